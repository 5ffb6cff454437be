"""Port-forward through the API's websocket protocol, to 127.0.0.1 only.

Each forward listens on a local port; each connection to it opens its own websocket to
the pod (v4.channel.k8s.io: a data and an error channel for the port) and is pumped both
ways, its bytes counted. The pod is resolved at each connection: a forward to a pod
that was replaced (a rollout, an OOM kill) goes to its Deployment's new pod, and a
forward to a Service to a ready pod behind it (kubectl does neither: k9s issue 1893)."""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from tui.sources.client import ApiError, Kube
from tui.sources.podexec import core_api

LOOPBACK = "127.0.0.1"


class ForwardError(Exception):
    pass


@dataclass
class Forward:
    id: int
    kind: str  # pod | service
    namespace: str
    name: str  # the pod or the Service asked for
    remote_port: int
    local_port: int = 0
    pod: str = ""  # where the last connection went
    selector: dict[str, str] = field(default_factory=dict)  # the pod's workload, to re-resolve
    bytes_in: int = 0  # from the pod
    bytes_out: int = 0  # to the pod
    connections: int = 0
    active: int = 0
    state: str = "listening"
    listener: socket.socket | None = None

    @property
    def target(self) -> str:
        return f"{self.kind}/{self.name}:{self.remote_port} in {self.namespace}"


class Forwarder:
    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.forwards: dict[int, Forward] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def open(self, kind: str, ns: str, name: str, remote_port: int, local_port: int = 0) -> Forward:
        """Listen on 127.0.0.1:local_port (0: any free one); ForwardError saying why not."""
        fwd = Forward(next(self._ids), kind, ns, name, remote_port)
        if kind == "pod":
            fwd.pod = name
            fwd.selector = self.workload_selector(ns, name)
        else:
            fwd.pod = self.pod_behind(fwd)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((LOOPBACK, local_port))
        except OSError as e:
            listener.close()
            raise ForwardError(
                f"127.0.0.1:{local_port} cannot be used ({e.strerror}): choose another local port"
            ) from None
        listener.listen(16)
        fwd.local_port, fwd.listener = listener.getsockname()[1], listener
        with self._lock:
            self.forwards[fwd.id] = fwd
        threading.Thread(target=self._accept, args=(fwd,), name=f"pf-{fwd.id}", daemon=True).start()
        return fwd

    def close(self, fwd: Forward) -> None:
        fwd.state = "closed"
        if fwd.listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
                fwd.listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                fwd.listener.close()
        with self._lock:
            self.forwards.pop(fwd.id, None)

    def close_all(self) -> None:
        for fwd in list(self.forwards.values()):
            self.close(fwd)

    def listed(self) -> list[Forward]:
        with self._lock:
            return sorted(self.forwards.values(), key=lambda f: f.id)

    # -- which pod ------------------------------------------------------------------
    def workload_selector(self, ns: str, pod: str) -> dict[str, str]:
        """The labels that pick the pod's siblings (its ReplicaSet's), to find its
        replacement; {} for a pod no controller replaces."""
        try:
            obj = self.kube.json("GET", f"/api/v1/namespaces/{ns}/pods/{pod}")
        except ApiError as e:
            raise ForwardError(f"pod {ns}/{pod}: {e.message}") from None
        meta = obj.get("metadata") or {}
        if not meta.get("ownerReferences"):
            return {}
        labels = dict(meta.get("labels") or {})
        labels.pop("pod-template-hash", None)  # the new ReplicaSet's pods have another
        return labels

    def ready_pod(self, ns: str, selector: dict[str, str]) -> str:
        query = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        items = self.kube.json(
            "GET", f"/api/v1/namespaces/{ns}/pods", query={"labelSelector": query}
        ).get("items", [])
        running = [
            p for p in items
            if "deletionTimestamp" not in p["metadata"]
            and (p.get("status") or {}).get("phase") == "Running"
        ]  # fmt: skip
        ready = [
            p for p in running
            if all(s.get("ready") for s in (p.get("status") or {}).get("containerStatuses") or [])
        ]  # fmt: skip
        chosen = sorted(ready or running, key=lambda p: p["metadata"]["name"])
        return str(chosen[0]["metadata"]["name"]) if chosen else ""

    def pod_behind(self, fwd: Forward) -> str:
        """A Service's ready pod, from its Endpoints."""
        try:
            ep = self.kube.json("GET", f"/api/v1/namespaces/{fwd.namespace}/endpoints/{fwd.name}")
        except ApiError as e:
            raise ForwardError(f"Service {fwd.namespace}/{fwd.name}: {e.message}") from None
        for subset in ep.get("subsets") or []:
            for address in subset.get("addresses") or []:
                ref = address.get("targetRef") or {}
                if ref.get("kind") == "Pod":
                    return str(ref["name"])
        raise ForwardError(f"Service {fwd.namespace}/{fwd.name} has no ready pod behind it")

    def resolve(self, fwd: Forward) -> str:
        if fwd.kind == "service":
            return self.pod_behind(fwd)
        try:
            pod = self.kube.json("GET", f"/api/v1/namespaces/{fwd.namespace}/pods/{fwd.pod}")
            if "deletionTimestamp" not in pod["metadata"]:
                return fwd.pod
        except ApiError as e:
            if e.status != 404:
                raise ForwardError(e.message) from None
        if not fwd.selector:
            raise ForwardError(f"pod {fwd.pod} is gone and nothing replaces it")
        found = self.ready_pod(fwd.namespace, fwd.selector)
        if not found:
            raise ForwardError(f"pod {fwd.pod} is gone; no new pod is running yet")
        return found

    # -- the connections ----------------------------------------------------------------
    def _accept(self, fwd: Forward) -> None:
        assert fwd.listener is not None
        while fwd.state != "closed":
            try:
                conn, _ = fwd.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(fwd, conn), daemon=True).start()

    def _serve(self, fwd: Forward, conn: socket.socket) -> None:
        from kubernetes.stream import portforward

        fwd.connections += 1
        fwd.active += 1
        pf = None
        try:
            try:
                fwd.pod = self.resolve(fwd)
                pf = portforward(
                    core_api(self.kube).connect_get_namespaced_pod_portforward,
                    fwd.pod, fwd.namespace, ports=str(fwd.remote_port),
                )  # fmt: skip
            except (ForwardError, ApiError) as e:
                fwd.state = f"error: {e}"
                return
            except Exception as e:
                fwd.state = f"error: {type(e).__name__}: {e}"[:200]
                return
            fwd.state = "listening"
            self._pump(fwd, conn, pf.socket(fwd.remote_port), pf)
        finally:
            fwd.active -= 1
            with contextlib.suppress(OSError):
                conn.close()
            if pf is not None:
                with contextlib.suppress(Exception):
                    pf.close()

    @staticmethod
    def _pump(fwd: Forward, local: socket.socket, remote: Any, pf: Any) -> None:
        ends = [local, remote]
        while fwd.state != "closed":
            readable, _, _ = select.select(ends, [], [], 1.0)
            for s in readable:
                try:
                    data = s.recv(256 * 1024)
                except OSError:
                    data = b""
                if not data:
                    error = pf.error(fwd.remote_port)
                    if error:
                        fwd.state = f"error: {error}"[:200]
                    return
                (remote if s is local else local).sendall(data)
                if s is local:
                    fwd.bytes_out += len(data)
                else:
                    fwd.bytes_in += len(data)
