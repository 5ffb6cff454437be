"""Containers that run a command once, as a probe's fallbacks do: an ephemeral debug
container added to a running pod (it stays in the pod's spec, terminated, until the pod
is replaced) and a throwaway pod (restartPolicy Never, no owner). The demo's shell gives
their output (their logs) and exit code; their status says when they ended. Also the
Services the probes name: kubernetes.default, kube-dns, the Kafka bootstrap."""

from __future__ import annotations

import threading
from typing import Any

from tui.demo.objects import _ago
from tui.demo.shell import Shell
from tui.demo.state import Cluster, Obj, now_rfc3339

START_AFTER = 0.3  # seconds: an image already present, a container started


def add_ephemeral(cluster: Cluster, ns: str, name: str, patch: Any) -> Obj:
    """The pods/ephemeralcontainers subresource: a strategic merge of
    spec.ephemeralContainers (by name); a new one is started, then runs once."""
    from tui.demo.state import ApiError

    pod = cluster.get("Pod", ns, name)
    if pod is None:
        raise ApiError(404, "NotFound", f'pods "{name}" not found')
    wanted = ((patch or {}).get("spec") or {}).get("ephemeralContainers")
    if not isinstance(wanted, list):
        raise ApiError(422, "Invalid", "spec.ephemeralContainers: Required value")
    have = {c["name"]: c for c in (pod.get("spec") or {}).get("ephemeralContainers") or []}
    added = [c for c in wanted if isinstance(c, dict) and c.get("name") not in have]
    for c in wanted:
        if isinstance(c, dict) and c.get("name") in have and c != have[c["name"]]:
            raise ApiError(422, "Invalid", "ephemeral containers cannot be changed or removed")
    spec = dict(pod["spec"], ephemeralContainers=[*have.values(), *added])
    new = cluster.put("Pod", dict(pod, spec=spec))
    for c in added:
        threading.Timer(START_AFTER, run_ephemeral, (cluster, ns, name, c)).start()
    return new


def _set_status(cluster: Cluster, ns: str, name: str, cname: str, state: Obj) -> None:
    with cluster.cond:
        pod = cluster.get("Pod", ns, name)
        if pod is None:
            return
        status = dict(pod.get("status") or {})
        others = [s for s in status.get("ephemeralContainerStatuses") or [] if s["name"] != cname]
        image = next(
            (c.get("image", "") for c in pod["spec"].get("ephemeralContainers") or []
             if c["name"] == cname), "",
        )  # fmt: skip
        status["ephemeralContainerStatuses"] = [
            *others, {"name": cname, "image": image, "ready": False, "state": state}
        ]  # fmt: skip
        cluster.put("Pod", dict(pod, status=status))


def run_ephemeral(cluster: Cluster, ns: str, name: str, container: Obj) -> None:
    started = now_rfc3339()
    _set_status(cluster, ns, name, container["name"], {"running": {"startedAt": started}})
    pod = cluster.get("Pod", ns, name)
    if pod is None:
        return
    r = Shell(cluster, pod, container["name"]).run(
        [*container.get("command", []), *container.get("args", [])]
    )
    lines = (r.out + r.err).splitlines() or []
    if r.missing:
        lines = [f'exec: "{r.missing}": executable file not found in $PATH']
    if lines:
        cluster.append_log(ns, name, container["name"], *lines)
    done = {
        "terminated": {
            "exitCode": r.code,
            "reason": "Completed" if r.code == 0 else "Error",
            "startedAt": started,
            "finishedAt": now_rfc3339(),
        }
    }
    _set_status(cluster, ns, name, container["name"], done)


def maybe_run_once(cluster: Cluster, pod: Obj) -> None:
    """A pod created with no owner and restartPolicy Never runs its command once."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    if meta.get("ownerReferences") or spec.get("restartPolicy") != "Never":
        return
    threading.Timer(START_AFTER, run_once, (cluster, meta["namespace"], meta["name"])).start()


def run_once(cluster: Cluster, ns: str, name: str) -> None:
    pod = cluster.get("Pod", ns, name)
    if pod is None:
        return
    c = (pod["spec"].get("containers") or [{}])[0]
    started = now_rfc3339()
    first: Obj = {"name": c.get("name", ""), "image": c.get("image", ""), "ready": True,
                  "restartCount": 0, "state": {"running": {"startedAt": started}}}  # fmt: skip
    running: Obj = {
        "phase": "Running",
        "podIP": "10.42.0.250",
        "startTime": started,
        "containerStatuses": [first],
    }
    pod = cluster.put("Pod", dict(pod, status=running))
    r = Shell(cluster, pod, c.get("name", "")).run([*c.get("command", []), *c.get("args", [])])
    lines = (r.out + r.err).splitlines()
    if r.missing:
        lines = [f'exec: "{r.missing}": executable file not found in $PATH']
    if lines:
        cluster.append_log(ns, name, c.get("name", ""), *lines)
    if cluster.get("Pod", ns, name) is None:
        return
    term = {"exitCode": r.code, "reason": "Completed" if r.code == 0 else "Error",
            "startedAt": started, "finishedAt": now_rfc3339()}  # fmt: skip
    done = dict(
        running,
        phase="Succeeded" if r.code == 0 else "Failed",
        containerStatuses=[dict(first, ready=False, state={"terminated": term})],
    )  # fmt: skip
    cluster.put("Pod", dict(cluster.get("Pod", ns, name) or pod, status=done))


def seed_services(cluster: Cluster, node_ip: str) -> None:
    """The Services the runbook's checks name, with their endpoints."""
    for ns, name, ip, port, address, target in (
        ("default", "kubernetes", "10.43.0.1", 443, node_ip, 6443),
        ("kube-system", "kube-dns", "10.43.0.10", 53, "10.42.0.3", 53),
        ("kafka", "mercurious-cluster-kafka-bootstrap", "10.43.118.7", 9092, "10.42.0.21", 9092),
    ):
        cluster.put(
            "Service",
            {
                # made with the cluster, 212 days ago, as the namespaces
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": _ago(86400 * 212)},
                "spec": {"clusterIP": ip, "type": "ClusterIP",
                         "ports": [{"name": "tcp", "port": port, "targetPort": target}]},
            },
        )  # fmt: skip
        cluster.put(
            "Endpoints",
            {
                "metadata": {"name": name, "namespace": ns},
                "subsets": [{"addresses": [{"ip": address}],
                             "ports": [{"name": "tcp", "port": target, "protocol": "TCP"}]}],
            },
        )  # fmt: skip
