"""cert-manager in the demo: its Certificate kind and the apps' certificates."""

from __future__ import annotations

from tui.demo.clock import now
from tui.demo.state import Cluster, Resource, now_rfc3339

READY = '.status.conditions[?(@.type=="Ready")]'
CERTIFICATE = Resource(
    "cert-manager.io",
    "v1",
    "certificates",
    "Certificate",
    True,
    ("cert", "certs"),
    ("status",),
    columns=(  # as cert-manager's CRD declares them
        ("Ready", "string", READY + ".status", 0),
        ("Secret", "string", ".spec.secretName", 0),
        ("Issuer", "string", ".spec.issuerRef.name", 1),
        ("Status", "string", READY + ".message", 1),
        ("Age", "date", ".metadata.creationTimestamp", 0),
    ),
)


def seed_cert_manager(cluster: Cluster) -> None:
    """cert-manager's Certificate kind, the gateway's certificate issued and Ready, and
    kafka-ui's stuck (its ACME challenge cannot be reached)."""
    cluster.add_resource(CERTIFICATE)
    cluster.put(
        "Service",
        {
            "metadata": {
                "name": "cert-manager-webhook",
                "namespace": "cert-manager",
                "labels": {"app": "cert-manager-webhook"},
                "creationTimestamp": now_rfc3339(now() - 40 * 86400),
            },
            "spec": {
                "selector": {"app": "cert-manager-webhook"},
                "ports": [{"name": "https", "port": 443, "targetPort": 10250}],
                "clusterIP": "10.43.201.17",
                "type": "ClusterIP",
            },
        },
    )
    cluster.put(  # every Certificate goes through it: its Service must have endpoints
        "ValidatingWebhookConfiguration",
        {
            "metadata": {"name": "cert-manager-webhook"},
            "webhooks": [
                {
                    "name": "webhook.cert-manager.io",
                    "clientConfig": {
                        "service": {
                            "name": "cert-manager-webhook",
                            "namespace": "cert-manager",
                            "path": "/validate",
                        }
                    },
                    "admissionReviewVersions": ["v1"],
                    "sideEffects": "None",
                }
            ],
        },
    )
    cluster.put(
        "Certificate",
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "kafka-ui-tls", "namespace": "kafka"},
            "spec": {
                "secretName": "kafka-ui-tls",
                "dnsNames": ["kafka.mercurious.example.com"],
                "issuerRef": {"name": "letsencrypt-prod", "kind": "ClusterIssuer"},
            },
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "DoesNotExist",
                        "message": "Issuing certificate as Secret does not exist",
                        "lastTransitionTime": now_rfc3339(),
                    }
                ],
            },
        },
    )
    cluster.put(
        "Certificate",
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "api-gateway-tls", "namespace": "default"},
            "spec": {
                "secretName": "api-gateway-tls",
                "dnsNames": ["api.mercurious.example.com"],
                "issuerRef": {"name": "letsencrypt-prod", "kind": "ClusterIssuer"},
            },
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "Ready",
                        "message": "Certificate is up to date and has not expired",
                        "lastTransitionTime": now_rfc3339(),
                    }
                ],
                "notAfter": now_rfc3339(now() + 60 * 86400),  # renewed 30 days ahead
            },
        },
    )
    cluster.put(  # what cert-manager made of it (the key is a placeholder, never read)
        "Secret",
        {
            "metadata": {
                "name": "api-gateway-tls",
                "namespace": "default",
                "annotations": {"cert-manager.io/certificate-name": "api-gateway-tls"},
            },
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "LS0tLS1CRUdJTi4uLg==", "tls.key": "LS0tLS1CRUdJTi4uLg=="},
        },
    )
