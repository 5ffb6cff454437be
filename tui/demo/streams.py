"""The emulator's streams and metrics: pods/log (follow, previous, tailLines, container,
timestamps) and metrics.k8s.io computed from the pods' requests."""

from __future__ import annotations

from tui.demo.state import (
    ApiError,
    Obj,
    Resource,
    now_rfc3339,
)
from tui.demo.units import quantity
from tui.demo.writes import Writes


class Streams(Writes):
    def _log(self, namespace: str, name: str, q: dict[str, list[str]]) -> None:
        c = self.cluster
        pod = c.get("Pod", namespace, name)
        if pod is None:
            raise ApiError(404, "NotFound", f'pods "{name}" not found')
        names = [x.get("name") for x in pod.get("spec", {}).get("containers", [])]
        container = q.get("container", [""])[0]
        if not container:
            if len(names) != 1:
                raise ApiError(
                    400,
                    "BadRequest",
                    f"a container name must be specified for pod {name}, "
                    f"choose one of: [{' '.join(str(n) for n in names)}]",
                )
            container = str(names[0])
        elif container not in names + [
            x.get("name") for x in pod.get("spec", {}).get("ephemeralContainers", [])
        ]:  # an ephemeral (debug) container's logs are its output too
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = q.get("previous", [""])[0] in ("1", "true")
        follow = q.get("follow", [""])[0] in ("1", "true") and not previous
        stamps = q.get("timestamps", [""])[0] in ("1", "true")
        tail = q.get("tailLines", [""])[0]
        key = (namespace, name, container)
        with c.cond:
            source = c.previous_logs if previous else c.logs
            if previous and key not in source:
                raise ApiError(
                    400,
                    "BadRequest",
                    f'previous terminated container "{container}" in pod "{name}" not found',
                )
            lines = list(source.get(key, []))
        since = q.get("sinceTime", [""])[0]
        if since:
            lines = [line for line in lines if line[:19] >= since[:19]]
        if tail:
            lines = lines[-int(tail) :] if int(tail) > 0 else []

        def fmt(ls: list[str]) -> bytes:
            if not stamps:
                ls = [line.split(" ", 1)[1] if " " in line else line for line in ls]
            # surrogateescape: a test's "\udcff" goes out as the raw byte 0xFF, as a
            # container's own invalid UTF-8 would
            return "".join(line + "\n" for line in ls).encode("utf-8", "surrogateescape")

        self._start_stream("text/plain")
        if lines:
            self._chunk(fmt(lines))
        if not follow:
            self._end_stream()
            return
        with c.cond:  # absolute line numbers: trimming the front does not stall a follower
            seen = c.log_base.get(key, 0) + len(c.logs.get(key, []))
        while True:
            with c.cond:
                while True:
                    if self.server.stopping:  # a dying server's connections are gone
                        self.close_connection = True
                        return
                    buf = c.logs.get(key)
                    current = c.get("Pod", namespace, name)
                    if (
                        buf is None
                        or current is None
                        or current["metadata"]["uid"] != pod["metadata"].get("uid")
                    ):
                        new: list[str] | None = None  # rotated (restart) or the pod is gone
                        break
                    base = c.log_base.get(key, 0)
                    end = base + len(buf)
                    if end > seen:
                        new = buf[max(seen - base, 0) :]
                        seen = end
                        break
                    c.cond.wait(1.0)
            if new is None:
                self._end_stream()
                return
            self._chunk(fmt(new))

    # -- metrics -------------------------------------------------------------------
    def _metrics(self, version: str, rest: list[str]) -> None:
        c = self.cluster
        if c.faults.metrics_absent or version != "v1beta1":
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        code = c.faults.codes.get("metrics") or c.faults.codes.get("*")
        if code:
            self._fault(code, Resource("metrics.k8s.io", "v1beta1", "pods", "PodMetrics"), None)
        if not rest:
            return self._send_json(
                200,
                {
                    "kind": "APIResourceList",
                    "apiVersion": "v1",
                    "groupVersion": "metrics.k8s.io/v1beta1",
                    "resources": [
                        {
                            "name": "nodes",
                            "singularName": "",
                            "namespaced": False,
                            "kind": "NodeMetrics",
                            "verbs": ["get", "list"],
                        },
                        {
                            "name": "pods",
                            "singularName": "",
                            "namespaced": True,
                            "kind": "PodMetrics",
                            "verbs": ["get", "list"],
                        },
                    ],
                },
            )
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        stamp = now_rfc3339()
        items: list[Obj] = []
        with c.cond:
            if rest[0] == "nodes":
                per_node: dict[str, list[float]] = {}
                pods = c.objects["/pods"]
                for (ns, pname), usage in c.usage.items():
                    p = pods.get((ns, pname))
                    node = (p or {}).get("spec", {}).get("nodeName")
                    if not node:
                        continue
                    acc = per_node.setdefault(node, [0.0, 0.0])
                    for cpu_q, mem_q in usage.values():
                        acc[0] += quantity(cpu_q)
                        acc[1] += quantity(mem_q)
                for (_, node_name), _n in sorted(c.objects["/nodes"].items()):
                    cpu, mem = per_node.get(node_name, [0.0, 0.0])
                    items.append(
                        {
                            "metadata": {"name": node_name, "creationTimestamp": stamp},
                            "timestamp": stamp,
                            "window": "20.05s",
                            "usage": {
                                "cpu": f"{int((cpu + 0.35) * 1e9)}n",
                                "memory": f"{int((mem + 1.2 * 2**30) / 1024)}Ki",
                            },
                        }
                    )
                kind = "NodeMetricsList"
            elif rest[0] == "pods":
                for (ns, pname), usage in sorted(c.usage.items()):
                    if namespace is not None and ns != namespace:
                        continue
                    if (ns, pname) not in c.objects["/pods"]:
                        continue
                    items.append(
                        {
                            "metadata": {
                                "name": pname,
                                "namespace": ns,
                                "creationTimestamp": stamp,
                            },
                            "timestamp": stamp,
                            "window": "18.2s",
                            "containers": [
                                {"name": cn, "usage": {"cpu": cpu, "memory": mem}}
                                for cn, (cpu, mem) in usage.items()
                            ],
                        }
                    )
                kind = "PodMetricsList"
            else:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
        self._send_json(
            200,
            {"kind": kind, "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items},
        )
