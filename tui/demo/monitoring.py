"""The monitoring namespace's ConfigMaps: Grafana's dashboards as kube-prometheus-stack
ships them (label grafana_dashboard: "1", read by Grafana's sidecar), and one that is
not a dashboard (the export leaves it out)."""

from __future__ import annotations

import orjson

from tui.demo.state import Cluster, now_rfc3339

DASHBOARDS = {
    "kube-prometheus-stack-k8s-resources-pod": "Kubernetes / Compute Resources / Pod",
    "kube-prometheus-stack-node-exporter": "Node Exporter / Nodes",
    "api-gateway-overview": "API gateway / Overview",
}


def seed_dashboards(cluster: Cluster) -> None:
    for name, title in DASHBOARDS.items():
        board = {"title": title, "uid": name[:40], "panels": [], "schemaVersion": 39}
        cluster.put(
            "ConfigMap",
            {
                "metadata": {
                    "name": name,
                    "namespace": "monitoring",
                    "labels": {"grafana_dashboard": "1", "app.kubernetes.io/part-of": "grafana"},
                    "creationTimestamp": now_rfc3339(),
                },
                "data": {f"{name}.json": orjson.dumps(board).decode()},
            },
        )
    cluster.put(
        "ConfigMap",
        {
            "metadata": {
                "name": "kube-prometheus-stack-grafana-config-dashboards",
                "namespace": "monitoring",
                "creationTimestamp": now_rfc3339(),
            },
            "data": {"provider.yaml": "apiVersion: 1\nproviders: []\n"},
        },
    )
