"""The project's own Kubernetes objects for tests, shaped like real ones."""

from __future__ import annotations

import copy
import time
from typing import Any

from tui.demo.state import now_rfc3339

Obj = dict[str, Any]


def ago(seconds: float) -> str:
    return now_rfc3339(time.time() - seconds)


def pod(
    name: str,
    namespace: str = "default",
    *,
    phase: str = "Running",
    ready: bool = True,
    restarts: int = 0,
    waiting: str | None = None,
    waiting_message: str = "",
    terminated: str | None = None,
    exit_code: int = 0,
    last_terminated: str | None = None,
    last_exit_code: int = 137,
    last_finished: float = 60.0,
    deleting: bool = False,
    reason: str | None = None,
    labels: dict[str, str] | None = None,
    node: str = "vps-6227e9e1",
    containers: int = 1,
    age: float = 3600.0,
    owner: tuple[str, str] | None = None,
) -> Obj:
    statuses = []
    for i in range(containers):
        state: Obj
        if waiting:
            state = {"waiting": {"reason": waiting, "message": waiting_message}}
        elif terminated is not None:
            state = {"terminated": {"reason": terminated, "exitCode": exit_code}}
        else:
            state = {"running": {"startedAt": ago(age)}}
        cs: Obj = {
            "name": f"c{i}" if containers > 1 else name.split("-")[0],
            "image": "registry.example.com/app:1.0",
            "ready": ready and not waiting and terminated is None,
            "restartCount": restarts,
            "state": state,
            "lastState": {},
        }
        if last_terminated:
            cs["lastState"] = {
                "terminated": {
                    "reason": last_terminated,
                    "exitCode": last_exit_code,
                    "startedAt": ago(last_finished + 30),
                    "finishedAt": ago(last_finished),
                }
            }
        statuses.append(cs)
    meta: Obj = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{namespace}-{name}",
        "creationTimestamp": ago(age),
        "labels": labels or {"app": name.split("-")[0]},
    }
    if deleting:
        meta["deletionTimestamp"] = ago(5)
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "controller": True}
        ]
    status: Obj = {"phase": phase, "containerStatuses": statuses}
    if reason:
        status["reason"] = reason
    all_ready = all(s["ready"] for s in statuses)
    status["conditions"] = [{"type": "Ready", "status": "True" if all_ready else "False"}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            "nodeName": node,
            "containers": [
                {"name": s["name"], "image": s["image"], "resources": {}} for s in statuses
            ],
        },
        "status": status,
    }


def node(
    name: str = "vps-6227e9e1",
    ready: str = "True",
    since: float = 86400.0,
    pressures: tuple[str, ...] = (),
    version: str = "v1.30.6+k3s1",
    ip: str = "",
) -> Obj:
    conds = [
        {"type": t, "status": "True" if t in pressures else "False"}
        for t in ("MemoryPressure", "DiskPressure", "PIDPressure")
    ]
    conds.append({"type": "Ready", "status": ready, "lastTransitionTime": ago(since)})
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"uid-node-{name}",
            "creationTimestamp": ago(86400 * 30),
            "labels": {"node-role.kubernetes.io/control-plane": "true"},
        },
        "spec": {},
        "status": {
            "conditions": conds,
            "nodeInfo": {"kubeletVersion": version},
            "allocatable": {"cpu": "4", "memory": "8Gi"},
            **({"addresses": [{"type": "InternalIP", "address": ip}]} if ip else {}),
        },
    }


def event(
    name: str,
    namespace: str = "default",
    *,
    reason: str = "BackOff",
    message: str = "Back-off restarting failed container",
    etype: str = "Warning",
    count: int = 1,
    last_seen: float = 10.0,
    obj: tuple[str, str] = ("Pod", "api-gateway-1"),
    series_last: float | None = None,
) -> Obj:
    ev: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-ev-{namespace}-{name}",
            "creationTimestamp": ago(last_seen + 100),
        },
        "involvedObject": {"kind": obj[0], "name": obj[1], "namespace": namespace},
        "reason": reason,
        "message": message,
        "type": etype,
        "count": count,
        "firstTimestamp": ago(last_seen + 100),
        "lastTimestamp": ago(last_seen),
        "source": {"component": "kubelet", "host": "vps-6227e9e1"},
    }
    if series_last is not None:
        ev["series"] = {"count": count, "lastObservedTime": ago(series_last)}
        ev["lastTimestamp"] = None
    return ev


def clone(obj: Obj) -> Obj:
    return copy.deepcopy(obj)
