"""The demo cluster's objects as the runbook describes them: the K3s node, the apps'
and the system's Deployments, their log lines."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from tui.demo.clock import RNG, now
from tui.demo.state import Obj, now_rfc3339

NODE = "vps-6227e9e1"
NODE_IP = "37.59.98.241"
KUBELET = "v1.30.6+k3s1"
OOM_LIMIT = 1 * 2**30  # below this memory limit, api-gateway is OOMKilled

# namespace, name, replicas, image, memory limit, cpu limit, labels
DEPLOYMENTS: list[tuple[str, str, int, str, str, str]] = [
    ("kube-system", "coredns", 1, "rancher/mirrored-coredns-coredns:1.11.3", "170Mi", ""),
    ("kube-system", "traefik", 1, "rancher/mirrored-library-traefik:2.11.10", "", ""),
    ("kube-system", "metrics-server", 1, "rancher/mirrored-metrics-server:v0.7.2", "", ""),
    (
        "kube-system",
        "local-path-provisioner",
        1,
        "rancher/local-path-provisioner:v0.0.30",
        "",
        "",
    ),
    ("flux-system", "source-controller", 1, "ghcr.io/fluxcd/source-controller:v1.4.1", "1Gi", "1"),
    (
        "flux-system",
        "kustomize-controller",
        1,
        "ghcr.io/fluxcd/kustomize-controller:v1.4.0",
        "1Gi",
        "1",
    ),
    ("flux-system", "helm-controller", 1, "ghcr.io/fluxcd/helm-controller:v1.1.0", "1Gi", "1"),
    (
        "flux-system",
        "notification-controller",
        1,
        "ghcr.io/fluxcd/notification-controller:v1.4.0",
        "1Gi",
        "1",
    ),
    (
        "flux-system",
        "image-reflector-controller",
        1,
        "ghcr.io/fluxcd/image-reflector-controller:v0.33.0",
        "1Gi",
        "1",
    ),
    (
        "flux-system",
        "image-automation-controller",
        1,
        "ghcr.io/fluxcd/image-automation-controller:v0.39.0",
        "1Gi",
        "1",
    ),
    ("kafka", "strimzi-cluster-operator", 1, "quay.io/strimzi/operator:0.43.0", "384Mi", "1"),
    (
        "kafka",
        "mercurious-cluster-entity-operator",
        1,
        "quay.io/strimzi/operator:0.43.0",
        "512Mi",
        "",
    ),
    ("monitoring", "kube-prometheus-stack-grafana", 1, "docker.io/grafana/grafana:11.2.2", "", ""),
    (
        "monitoring",
        "kube-prometheus-stack-operator",
        1,
        "quay.io/prometheus-operator/prometheus-operator:v0.77.1",
        "",
        "",
    ),
    (
        "monitoring",
        "kube-prometheus-stack-kube-state-metrics",
        1,
        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
        "",
        "",
    ),
    ("cert-manager", "cert-manager", 1, "quay.io/jetstack/cert-manager-controller:v1.16.1", "", ""),
    (
        "cert-manager",
        "cert-manager-cainjector",
        1,
        "quay.io/jetstack/cert-manager-cainjector:v1.16.1",
        "",
        "",
    ),
    (
        "cert-manager",
        "cert-manager-webhook",
        1,
        "quay.io/jetstack/cert-manager-webhook:v1.16.1",
        "",
        "",
    ),
    (
        "default",
        "api-gateway",
        3,
        "registry.example.com/mercurious/api-gateway:1.8.2",
        "256Mi",
        "500m",
    ),
    (
        "default",
        "api-generation",
        1,
        "registry.example.com/mercurious/api-generation:2.3.0",
        "512Mi",
        "",
    ),
    (
        "default",
        "api-enrichment",
        1,
        "registry.example.com/mercurious/api-enrichment:1.4.1",
        "512Mi",
        "",
    ),
]

# Pods owned by StatefulSets, StrimziPodSets and DaemonSets: namespace, name, owner kind, image
STATIC_PODS: list[tuple[str, str, str, str, str]] = [
    (
        "kafka",
        "mercurious-cluster-kafka-0",
        "StrimziPodSet",
        "mercurious-cluster-kafka",
        "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0",
    ),
    (
        "monitoring",
        "prometheus-kube-prometheus-stack-prometheus-0",
        "StatefulSet",
        "prometheus-kube-prometheus-stack-prometheus",
        "quay.io/prometheus/prometheus:v2.54.1",
    ),
    (
        "monitoring",
        "alertmanager-kube-prometheus-stack-alertmanager-0",
        "StatefulSet",
        "alertmanager-kube-prometheus-stack-alertmanager",
        "quay.io/prometheus/alertmanager:v0.27.0",
    ),
    (
        "monitoring",
        "kube-prometheus-stack-prometheus-node-exporter-8xk2p",
        "DaemonSet",
        "kube-prometheus-stack-prometheus-node-exporter",
        "quay.io/prometheus/node-exporter:v1.8.2",
    ),
    (
        "kube-system",
        "svclb-traefik-5d2c1a3e-7qzxv",
        "DaemonSet",
        "svclb-traefik-5d2c1a3e",
        "rancher/klipper-lb:v0.4.9",
    ),
]

APP_LOG = {
    "api-gateway": [
        'level=info msg="GET /api/v1/orders" status=200 duration=12ms',
        'level=info msg="POST /api/v1/enrich" status=202 duration=48ms',
        'level=warn msg="upstream api-generation slow" duration=870ms',
        'level=info msg="cache fill" entries=18231 heap_used=201Mi',
    ],
    "default": ['level=info msg="tick"', 'level=info msg="consumer lag" lag=0'],
}


def _rand_suffix(n: int = 5) -> str:
    return "".join(RNG.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))


def template_hash(template: Any) -> str:
    digest = hashlib.sha256(orjson.dumps(template, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return "".join(c for c in digest if c in "bcdf0123456789")[:10]


def _ago(seconds: float) -> str:
    return now_rfc3339(now() - seconds)


def make_node(name: str = NODE, ip: str = NODE_IP, server: bool = True) -> Obj:
    """The runbook's node (a K3s server), or an agent node joined to it."""
    roles = {
        "node-role.kubernetes.io/control-plane": "true",
        "node-role.kubernetes.io/master": "true",
    }
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "k3s",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        **(roles if server else {}),
        "node.kubernetes.io/instance-type": "k3s",
    }
    since = _ago(86400 * 41)
    return {
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "k3s.io/node-args": '["server"]' if server else '["agent"]',
                "flannel.alpha.coreos.com/backend-type": "vxlan",
            },
            "creationTimestamp": _ago(86400 * 212),
        },
        "spec": {"podCIDR": "10.42.0.0/24", "providerID": f"k3s://{name}"},
        "status": {
            "capacity": {
                "cpu": "4",
                "memory": "8129300Ki",
                "pods": "110",
                "ephemeral-storage": "82083148Ki",
            },
            "allocatable": {
                "cpu": "4",
                "memory": "8129300Ki",
                "pods": "110",
                "ephemeral-storage": "79850922291",
            },
            "conditions": [
                {
                    "type": t,
                    "status": "False",
                    "reason": f"KubeletHas{ok}",
                    "message": msg,
                    "lastHeartbeatTime": now_rfc3339(),
                    "lastTransitionTime": since,
                }
                for t, ok, msg in (
                    (
                        "MemoryPressure",
                        "SufficientMemory",
                        "kubelet has sufficient memory available",
                    ),
                    ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
                    ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available"),
                )
            ]
            + [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": now_rfc3339(),
                    "lastTransitionTime": since,
                },
            ],
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": KUBELET,
                "kubeProxyVersion": KUBELET,
                "containerRuntimeVersion": "containerd://1.7.22-k3s1",
                "kernelVersion": "6.1.0-26-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def flux_labels(ns: str, name: str) -> dict[str, str]:
    """Who applies an object, as Flux labels it: the apps from the Kustomization `apps`,
    Flux itself from `flux-system`, cert-manager from `infrastructure`, the monitoring
    stack and the Strimzi operator from their HelmReleases; K3s's own are not Flux's."""
    if ns == "default":
        return {KS + "name": "apps", KS + "namespace": "flux-system"}
    if ns == "flux-system":
        return {KS + "name": "flux-system", KS + "namespace": "flux-system"}
    if ns == "cert-manager":
        return {KS + "name": "infrastructure", KS + "namespace": "flux-system"}
    if ns == "monitoring":
        return {HR + "name": "kube-prometheus-stack", HR + "namespace": "monitoring"}
    if name == "strimzi-cluster-operator":
        return {HR + "name": "strimzi-kafka-operator", HR + "namespace": "kafka"}
    return {}


KS, HR = "kustomize.toolkit.fluxcd.io/", "helm.toolkit.fluxcd.io/"


def make_deployment(
    ns: str, name: str, replicas: int, image: str, mem: str, cpu: str, age: float
) -> Obj:
    limits = {k: v for k, v in (("memory", mem), ("cpu", cpu)) if v}
    requests = {"memory": mem} if mem else {}
    if name == "api-gateway":
        requests = {"memory": "128Mi", "cpu": "100m"}
    container: Obj = {
        "name": name if ns == "default" else name.replace("kube-prometheus-stack-", "") or name,
        "image": image,
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "resources": {"limits": limits, "requests": requests},
    }
    if ns == "default":
        container["readinessProbe"] = {
            "httpGet": {"path": "/health", "port": 8080},
            "periodSeconds": 10,
        }
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "generation": 1,
            "labels": {"app": name, "app.kubernetes.io/name": name, **flux_labels(ns, name)},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "creationTimestamp": _ago(age),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
        "status": {},
    }
