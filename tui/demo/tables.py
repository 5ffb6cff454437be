"""Server-side printing: the meta.k8s.io Table that `kubectl get` asks for.

Columns and cells follow the API server's own printers (pkg/printers/internalversion)
for the kinds the demo serves, written here from those printers and not from the
console's parsers, so that kubectl, the console and this server are three views that
can disagree. Other kinds get Name and Age, as the server's default printer gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.demo.clock import now as clock_now
from tui.demo.crdtables import crd_printer
from tui.demo.state import Resource
from tui.demo.units import epoch, human_duration

Obj = dict[str, Any]
Column = tuple[str, str, int]  # name, type, priority


def _age(obj: Obj, now: float) -> str:
    t = epoch((obj.get("metadata") or {}).get("creationTimestamp"))
    return "<unknown>" if t is None else human_duration(now - t)


def _condition_true(status: Obj, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or []
    )


def _terminated_reason(term: Obj) -> str:
    if term.get("reason"):
        return str(term["reason"])
    if term.get("signal"):
        return f"Signal:{term['signal']}"
    return f"ExitCode:{term.get('exitCode', 0)}"


def _pod(obj: Obj, now: float) -> list[Any]:
    """printPod: the reason the pod is in, ready/total, restarts (with the last one's age)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    init_specs = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total, ready, restarts = len(spec.get("containers") or []) + len(sidecars), 0, 0
    last: float | None = None

    def saw(cs: Obj) -> None:
        nonlocal last
        finished = epoch(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        if finished is not None and (last is None or finished > last):
            last = finished

    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(cs.get("restartCount") or 0)
        saw(cs)
        state = cs.get("state") or {}
        if "terminated" in state and not state["terminated"].get("exitCode"):
            continue
        if cs.get("name") in sidecars and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        waiting = (state.get("waiting") or {}).get("reason")
        if "terminated" in state:
            reason = "Init:" + _terminated_reason(state["terminated"])
        elif waiting and waiting != "PodInitializing":
            reason = f"Init:{waiting}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    if not initializing or _condition_true(status, "Initialized"):
        restarts = sum(
            int(cs.get("restartCount") or 0)
            for cs in status.get("initContainerStatuses") or []
            if cs.get("name") in sidecars
        )
        running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            saw(cs)
            state = cs.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif "terminated" in state:
                reason = _terminated_reason(state["terminated"])
            elif cs.get("ready") and "running" in state:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"
    if meta.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    shown = str(restarts)
    if restarts and last is not None:
        shown += f" ({human_duration(now - last)} ago)"
    return [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        shown,
        _age(obj, now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
    ]


def _node(obj: Obj, now: float) -> list[Any]:
    """printNode: Ready/NotReady/Unknown, roles from the node-role labels, kubelet, IP."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    ready = next(
        (c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"),
        None,
    )
    shown = {"True": "Ready", "False": "NotReady"}.get(str(ready), "Unknown")
    if spec.get("unschedulable"):
        shown += ",SchedulingDisabled"
    labels = meta.get("labels") or {}
    roles = sorted(
        {k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")}
        | ({labels["kubernetes.io/role"]} if labels.get("kubernetes.io/role") else set())
    )
    ip = next(
        (a.get("address") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
        None,
    )
    return [
        meta.get("name", ""),
        shown,
        ",".join(r for r in roles if r) or "<none>",
        _age(obj, now),
        (status.get("nodeInfo") or {}).get("kubeletVersion", ""),
        ip or "<none>",
    ]


def _event(obj: Obj, now: float) -> list[Any]:
    """printEvent: last seen from the series, else lastTimestamp, else the first time."""
    first = epoch(obj.get("firstTimestamp")) or epoch(obj.get("eventTime"))
    seen = epoch(obj.get("lastTimestamp")) or first
    series = obj.get("series") or {}
    if series.get("lastObservedTime"):
        seen = epoch(series["lastObservedTime"])
    involved = obj.get("involvedObject") or {}
    return [
        "<unknown>" if seen is None else human_duration(now - seen),
        obj.get("type", ""),
        obj.get("reason", ""),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        str(obj.get("message", "")).strip(),
    ]


def _deployment(obj: Obj, now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        (obj.get("metadata") or {}).get("name", ""),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        int(status.get("updatedReplicas", 0)),
        int(status.get("availableReplicas", 0)),
        _age(obj, now),
    ]


def _service(obj: Obj, now: float) -> list[Any]:
    """printService: type, cluster IP, external IPs, ports (with node ports), selector."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    kind = spec.get("type") or "ClusterIP"
    external = list(spec.get("externalIPs") or [])
    if kind == "LoadBalancer":
        lb = [
            i.get("ip") or i.get("hostname")
            for i in (status.get("loadBalancer") or {}).get("ingress") or []
        ]
        external = [x for x in lb if x] + external or ["<pending>"]
    elif kind == "ExternalName":
        external = [spec.get("externalName") or ""]
    ports = []
    for p in spec.get("ports") or []:
        node = f":{p['nodePort']}" if p.get("nodePort") else ""
        ports.append(f"{p.get('port')}{node}/{p.get('protocol') or 'TCP'}")
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    return [
        (obj.get("metadata") or {}).get("name", ""),
        kind,
        spec.get("clusterIP") or "<none>",
        ",".join(external) or "<none>",
        ",".join(ports) or "<none>",
        _age(obj, now),
        selector or "<none>",
    ]


def _endpoints(obj: Obj, now: float) -> list[Any]:
    """printEndpoints: the first three ready address:port pairs, "+ N more...", or <none>."""
    pairs = [
        f"{a.get('ip')}:{p.get('port')}"
        for subset in obj.get("subsets") or []
        for a in subset.get("addresses") or []
        for p in subset.get("ports") or [{}]
    ]
    shown = ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")
    return [(obj.get("metadata") or {}).get("name", ""), shown or "<none>", _age(obj, now)]


def _ingress(obj: Obj, now: float) -> list[Any]:
    """printIngress: class, hosts, the load balancer's address, ports (443 with TLS)."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    hosts = [r.get("host") for r in spec.get("rules") or [] if r.get("host")]
    lb = (status.get("loadBalancer") or {}).get("ingress") or []
    address = ",".join(i.get("ip") or i.get("hostname") or "" for i in lb)
    return [
        (obj.get("metadata") or {}).get("name", ""),
        spec.get("ingressClassName") or "<none>",
        ",".join(hosts) or "*",
        address,
        "80, 443" if spec.get("tls") else "80",
        _age(obj, now),
    ]


ACCESS = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def _pvc(obj: Obj, now: float) -> list[Any]:
    """printPersistentVolumeClaim: phase, volume, capacity, access modes, class."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    capacity = (status.get("capacity") or {}).get("storage", "") if spec.get("volumeName") else ""
    modes = ",".join(ACCESS.get(m, m) for m in status.get("accessModes") or [])
    return [
        (obj.get("metadata") or {}).get("name", ""),
        "Terminating"
        if (obj.get("metadata") or {}).get("deletionTimestamp")
        else status.get("phase", ""),
        spec.get("volumeName", ""),
        capacity,
        modes,
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _default(obj: Obj, now: float) -> list[Any]:
    return [(obj.get("metadata") or {}).get("name", ""), _age(obj, now)]


PRINTERS: dict[str, tuple[list[Column], Callable[[Obj, float], list[Any]]]] = {
    "pods": (
        [
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
        ],
        _pod,
    ),
    "nodes": (
        [
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
            ("Internal-IP", "string", 1),
        ],
        _node,
    ),
    "events": (
        [
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Message", "string", 0),
        ],
        _event,
    ),
    "deployments": (
        [
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
        ],
        _deployment,
    ),
}


PRINTERS["services"] = (
    [
        ("Name", "string", 0),
        ("Type", "string", 0),
        ("Cluster-IP", "string", 0),
        ("External-IP", "string", 0),
        ("Port(s)", "string", 0),
        ("Age", "string", 0),
        ("Selector", "string", 1),
    ],
    _service,
)
PRINTERS["endpoints"] = (
    [("Name", "string", 0), ("Endpoints", "string", 0), ("Age", "string", 0)],
    _endpoints,
)
PRINTERS["ingresses"] = (
    [
        ("Name", "string", 0),
        ("Class", "string", 0),
        ("Hosts", "string", 0),
        ("Address", "string", 0),
        ("Ports", "string", 0),
        ("Age", "string", 0),
    ],
    _ingress,
)
PRINTERS["persistentvolumeclaims"] = (
    [
        ("Name", "string", 0),
        ("Status", "string", 0),
        ("Volume", "string", 0),
        ("Capacity", "string", 0),
        ("Access Modes", "string", 0),
        ("StorageClass", "string", 0),
        ("VolumeAttributesClass", "string", 0),
        ("Age", "string", 0),
        ("VolumeMode", "string", 1),
    ],
    _pvc,
)


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def table(r: Resource, items: list[Obj], list_meta: Obj, include_object: str) -> Obj:
    if r.columns:
        columns, printer = crd_printer(r.columns)
    else:
        columns, printer = PRINTERS.get(
            r.plural, ([("Name", "string", 0), ("Age", "string", 0)], _default)
        )
    now = clock_now()
    rows = []
    for obj in items:
        row: Obj = {"cells": printer(obj, now)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [
            {
                "name": n,
                "type": t,
                "format": "name" if n == "Name" else "",
                "description": "",
                "priority": p,
            }
            for n, t, p in columns
        ],
        "rows": rows,
    }
