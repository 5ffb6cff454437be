"""The demo's endpoints controllers: each Service's Endpoints and EndpointSlice list the
addresses of its pods, ready or not, as the controllers of a real cluster keep them."""

from __future__ import annotations

from tui.demo.objects import NODE, template_hash
from tui.demo.state import Cluster, Obj


def pod_ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions", [])
    )


class EndpointsControllers:
    cluster: Cluster

    def _endpoints(self) -> None:
        """The endpoints controller: each Service's Endpoints lists its pods' addresses."""
        c = self.cluster
        for svc in c.list("Service"):
            meta, spec = svc["metadata"], svc.get("spec") or {}
            selector = spec.get("selector") or {}
            if not selector:  # endpoints kept by hand (kubernetes, a bootstrap): not ours
                continue
            ready: list[Obj] = []
            not_ready: list[Obj] = []
            for pod in c.list("Pod", meta["namespace"]):
                labels = pod["metadata"].get("labels") or {}
                if not selector or any(labels.get(k) != v for k, v in selector.items()):
                    continue
                if "deletionTimestamp" in pod["metadata"]:
                    continue
                address = {
                    "ip": pod.get("status", {}).get("podIP", ""),
                    "nodeName": NODE,
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": meta["namespace"],
                        "name": pod["metadata"]["name"],
                    },
                }
                (ready if pod_ready(pod) else not_ready).append(address)
            subset: Obj = {"ports": [{"port": 8080, "protocol": "TCP"}]}
            if ready:
                subset["addresses"] = sorted(ready, key=lambda a: a["ip"])
            if not_ready:
                subset["notReadyAddresses"] = sorted(not_ready, key=lambda a: a["ip"])
            subsets = [subset] if ready or not_ready else []
            current = c.get("Endpoints", meta["namespace"], meta["name"])
            if current is None or current.get("subsets") != subsets:
                c.put(
                    "Endpoints",
                    {
                        "metadata": {
                            "name": meta["name"],
                            "namespace": meta["namespace"],
                            "labels": meta.get("labels", {}),
                        },
                        "subsets": subsets,
                    },
                )
            self._slice(meta, ready, not_ready)

    def _slice(self, meta: Obj, ready: list[Obj], not_ready: list[Obj]) -> None:
        """The EndpointSlice controller: one slice per Service, each endpoint with its
        ready condition (what a 1.21+ cluster reads instead of Endpoints)."""
        c, name = self.cluster, f"{meta['name']}-{template_hash(meta['name'])[:5]}"
        endpoints = [
            {
                "addresses": [a["ip"]],
                "conditions": {"ready": ok, "serving": ok, "terminating": False},
                "nodeName": a["nodeName"],
                "targetRef": a["targetRef"],
            }
            for ok, group in ((True, ready), (False, not_ready))
            for a in sorted(group, key=lambda a: a["ip"])
        ]
        current = c.get("EndpointSlice", meta["namespace"], name)
        if current is not None and current.get("endpoints") == endpoints:
            return
        c.put(
            "EndpointSlice",
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": name,
                    "namespace": meta["namespace"],
                    "labels": {
                        "kubernetes.io/service-name": meta["name"],
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                    },
                },
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
            },
        )
