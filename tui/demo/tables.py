"""Server-side printing: the meta.k8s.io Table that `kubectl get` asks for.

Columns and cells follow the API server's own printers for the kinds the demo serves;
other kinds get Name and Age, as the server's default printer gives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tui.store import parse_deployment, parse_event, parse_node, parse_pod
from tui.store.units import human_duration, parse_time

Obj = dict[str, Any]
Column = tuple[str, str, int]  # name, type, priority


def _age(obj: Obj, now: float) -> str:
    t = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    return "<unknown>" if t is None else human_duration(now - t)


def _pod(obj: Obj, now: float) -> list[Any]:
    p = parse_pod(obj)
    restarts = str(p.restarts)
    if p.restarts and p.last_restart:
        restarts += f" ({human_duration(now - p.last_restart)} ago)"
    ip = (obj.get("status") or {}).get("podIP") or "<none>"
    return [
        p.name,
        f"{p.ready}/{p.total}",
        p.status,
        restarts,
        _age(obj, now),
        ip,
        p.node or "<none>",
    ]


def _node(obj: Obj, now: float) -> list[Any]:
    n = parse_node(obj)
    status = {"True": "Ready", "False": "NotReady"}.get(n.ready, "Unknown")
    if n.unschedulable:
        status += ",SchedulingDisabled"
    roles = ",".join(n.roles)
    return [n.name, status, roles, _age(obj, now), n.version, n.internal_ip or "<none>"]


def _event(obj: Obj, now: float) -> list[Any]:
    e = parse_event(obj)
    seen = "<unknown>" if e.last_seen is None else human_duration(now - e.last_seen)
    target = f"{e.object_kind.lower()}/{e.object_name}"
    return [seen, e.type, e.reason, target, e.message]


def _deployment(obj: Obj, now: float) -> list[Any]:
    d = parse_deployment(obj)
    return [d.name, f"{d.ready}/{d.replicas}", d.updated, d.available, _age(obj, now)]


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


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def table(plural: str, items: list[Obj], list_meta: Obj, include_object: str) -> Obj:
    columns, printer = PRINTERS.get(
        plural, ([("Name", "string", 0), ("Age", "string", 0)], _default)
    )
    now = time.time()
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
