"""cert-manager in the demo: its Certificate kind and the apps' certificates."""

from __future__ import annotations

from tui.demo.state import Cluster, Resource, now_rfc3339

CERTIFICATE = Resource("cert-manager.io", "v1", "certificates", "Certificate", True, ("cert",))


def seed_cert_manager(cluster: Cluster) -> None:
    """cert-manager's Certificate kind and the gateway's certificate, issued and Ready."""
    cluster.add_resource(CERTIFICATE)
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
                "notAfter": "2027-02-20T10:00:00Z",
            },
        },
    )
