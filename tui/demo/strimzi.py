"""The runbook's Kafka (Strimzi `mercurious-cluster` in namespace kafka) and what the
runbook's Service/Ingress section looks at: Ingresses with their TLS, EndpointSlices,
PVCs; each kind's CRD with the printer columns the real one declares, and one broken
case each (a KafkaTopic not Ready, a Certificate not Ready)."""

from __future__ import annotations

from tui.demo.clock import now
from tui.demo.state import Cluster, Obj, Resource, now_rfc3339

READY = '.status.conditions[?(@.type=="Ready")].status'
AGE = ("Age", "date", ".metadata.creationTimestamp", 0)
CLUSTER = ("Cluster", "string", ".metadata.labels.strimzi\\.io/cluster", 0)
STRIMZI = "kafka.strimzi.io"
KAFKA = Resource(
    STRIMZI,
    "v1beta2",
    "kafkas",
    "Kafka",
    True,
    ("k",),
    ("status",),
    columns=(
        ("Desired Kafka replicas", "integer", ".spec.kafka.replicas", 0),
        ("Desired ZK replicas", "integer", ".spec.zookeeper.replicas", 0),
        ("Ready", "string", READY, 0),
        ("Metadata State", "string", ".status.kafkaMetadataState", 0),
        ("Warnings", "string", '.status.conditions[?(@.type=="Warning")].status', 0),
    ),
)
TOPIC = Resource(
    STRIMZI,
    "v1beta2",
    "kafkatopics",
    "KafkaTopic",
    True,
    ("kt",),
    ("status",),
    columns=(
        CLUSTER,
        ("Partitions", "integer", ".spec.partitions", 0),
        ("Replication factor", "integer", ".spec.replicas", 0),
        ("Ready", "string", READY, 0),
    ),
)
USER = Resource(
    STRIMZI,
    "v1beta2",
    "kafkausers",
    "KafkaUser",
    True,
    ("ku",),
    ("status",),
    columns=(
        CLUSTER,
        ("Authentication", "string", ".spec.authentication.type", 0),
        ("Authorization", "string", ".spec.authorization.type", 0),
        ("Ready", "string", READY, 0),
    ),
)


def condition(ready: bool, reason: str, message: str, since: float = 3600) -> Obj:
    return {
        "type": "Ready",
        "status": "True" if ready else "False",
        "reason": reason,
        "message": message,
        "lastTransitionTime": now_rfc3339(now() - since),
    }


def crd(r: Resource) -> Obj:
    """The CustomResourceDefinition that makes the API server serve `r`."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{r.plural}.{r.group}", "creationTimestamp": _ago(86400 * 200)},
        "spec": {
            "group": r.group,
            "names": {
                "plural": r.plural,
                "singular": r.kind.lower(),
                "kind": r.kind,
                "shortNames": list(r.short_names),
            },
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "versions": [
                {
                    "name": r.version,
                    "served": True,
                    "storage": True,
                    "additionalPrinterColumns": [
                        {"name": n, "type": t, "jsonPath": p, **({"priority": pr} if pr else {})}
                        for n, t, p, pr in r.columns
                    ],
                }
            ],
        },
        "status": {"conditions": [{"type": "Established", "status": "True"}]},
    }


def _ago(seconds: float) -> str:
    return now_rfc3339(now() - seconds)


def _topic(name: str, partitions: int, ready: bool, message: str = "") -> Obj:
    return {
        "apiVersion": f"{STRIMZI}/v1beta2",
        "kind": "KafkaTopic",
        "metadata": {
            "name": name,
            "namespace": "kafka",
            "labels": {"strimzi.io/cluster": "mercurious-cluster"},
            "creationTimestamp": _ago(86400 * 90),
        },
        "spec": {"partitions": partitions, "replicas": 1, "topicName": name},
        "status": {
            "conditions": [
                condition(ready, "" if ready else "KafkaError", message or "", since=900)
            ]
            if not ready
            else [{"type": "Ready", "status": "True", "lastTransitionTime": _ago(86400)}],
            "observedGeneration": 1,
        },
    }


def seed_strimzi(cluster: Cluster) -> None:
    """Strimzi's kinds, `mercurious-cluster` Ready, its topics (one refused by the broker)
    and a user."""
    for r in (KAFKA, TOPIC, USER):
        cluster.add_resource(r)
        cluster.put("CustomResourceDefinition", crd(r))
    cluster.put(
        "Kafka",
        {
            "apiVersion": f"{STRIMZI}/v1beta2",
            "kind": "Kafka",
            "metadata": {
                "name": "mercurious-cluster",
                "namespace": "kafka",
                "creationTimestamp": _ago(86400 * 120),
            },
            "spec": {
                "kafka": {"version": "3.8.0", "replicas": 1, "listeners": []},
                "zookeeper": {"replicas": 1},
                "entityOperator": {"topicOperator": {}, "userOperator": {}},
            },
            "status": {
                "conditions": [condition(True, "", "", since=86400 * 3)],
                "kafkaMetadataState": "ZooKeeper",
                "clusterId": "mK1q0Zb9Tq2wXcU9v3cXyA",
                "observedGeneration": 1,
            },
        },
    )
    for name, partitions in (("orders", 6), ("generations", 3)):
        cluster.put("KafkaTopic", _topic(name, partitions, True))
    cluster.put(
        "KafkaTopic",
        _topic(
            "enrichments",
            12,
            False,
            "Number of partitions cannot be decreased: the topic has 24 partitions",
        ),
    )
    cluster.put(
        "KafkaUser",
        {
            "apiVersion": f"{STRIMZI}/v1beta2",
            "kind": "KafkaUser",
            "metadata": {
                "name": "api-gateway",
                "namespace": "kafka",
                "labels": {"strimzi.io/cluster": "mercurious-cluster"},
                "creationTimestamp": _ago(86400 * 90),
            },
            "spec": {
                "authentication": {"type": "scram-sha-512"},
                "authorization": {"type": "simple"},
            },
            "status": {"conditions": [condition(True, "", "", since=86400)]},
        },
    )


def seed_network(cluster: Cluster) -> None:
    """The apps' Ingresses through Traefik (api with its certificate, kafka-ui with one
    not issued), the EndpointSlices the controller keeps, the broker's PVC."""
    for name, host, secret in (
        ("api-gateway", "api.mercurious.example.com", "api-gateway-tls"),
        ("kafka-ui", "kafka.mercurious.example.com", "kafka-ui-tls"),
    ):
        service = "api-gateway" if name == "api-gateway" else "kafka-ui"
        cluster.put(
            "Ingress",
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "name": name,
                    "namespace": "default" if name == "api-gateway" else "kafka",
                    "creationTimestamp": _ago(86400 * 60),
                    "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt-prod"},
                },
                "spec": {
                    "ingressClassName": "traefik",
                    "tls": [{"hosts": [host], "secretName": secret}],
                    "rules": [
                        {
                            "host": host,
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {"name": service, "port": {"number": 80}}
                                        },
                                    }
                                ]
                            },
                        }
                    ],
                },
                "status": {"loadBalancer": {"ingress": [{"ip": "37.59.98.241"}]}},
            },
        )
    cluster.put(
        "PersistentVolumeClaim",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": "data-mercurious-cluster-kafka-0",
                "namespace": "kafka",
                "creationTimestamp": _ago(86400 * 120),
            },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "20Gi"}},
                "storageClassName": "local-path",
                "volumeName": "pvc-3f0d5a52-6d1c-4a8e-9a0e-0d5c1c3b2a11",
                "volumeMode": "Filesystem",
            },
            "status": {
                "phase": "Bound",
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": "20Gi"},
            },
        },
    )
