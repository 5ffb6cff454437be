"""Any kind, as `kubectl get` prints it: rows of the server's Table (its columns are the
API server's printers, and each CRD's additionalPrinterColumns), or, where the server
offers no Table, NAMESPACE NAME READY AGE plus the CRD's columns evaluated here.

Each row also carries what the runbook asks of its kind: the Ready condition (status,
reason, message) for sorting and colouring, and a few facts the views need (a
Service's selector, an Ingress's rules and TLS secrets, a Secret's keys never its
values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.store.meta import JSON, Object, _d, _l, _s, parse_meta
from tui.store.pods import FAILING, HEALTHY, NOT_READY
from tui.store.units import human_duration, parse_time
from tui.text import clean


@dataclass(frozen=True, slots=True)
class TableColumn:
    name: str
    type: str = "string"
    priority: int = 0
    json_path: str = ""  # the fallback's own evaluation (a CRD's printer column)


@dataclass(frozen=True, slots=True)
class Route:
    """One Ingress rule's path: host/path -> service:port."""

    host: str
    path: str
    service: str
    port: str


@dataclass(frozen=True, slots=True)
class Row(Object):
    kind: str  # the resource as kubectl names it: services, kafkatopics.kafka.strimzi.io
    columns: tuple[TableColumn, ...]
    cells: tuple[str, ...]
    ready: str  # True | False | Unknown | "" (no Ready condition)
    reason: str
    message: str
    attention: int
    order: tuple[int, str, str]
    haystack: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


REPLICAS = {  # kinds without a Ready condition: ready replicas against those wanted
    "Deployment": ("readyReplicas", "spec", "replicas"),
    "StatefulSet": ("readyReplicas", "spec", "replicas"),
    "ReplicaSet": ("readyReplicas", "spec", "replicas"),
    "DaemonSet": ("numberReady", "status", "desiredNumberScheduled"),
}


def _ready(obj: JSON) -> tuple[str, str, str]:
    """The Ready condition (status, reason, message); for the workload kinds, whether
    every replica wanted is ready."""
    status = _d(obj, "status")
    for c in _l(status, "conditions"):
        if isinstance(c, dict) and c.get("type") == "Ready":
            return _s(c, "status", 16), _s(c, "reason", 128), _s(c, "message", 1024)
    fields = REPLICAS.get(_s(obj, "kind", 64))
    if fields is None:
        return "", "", ""
    ready = status.get(fields[0]) or 0
    wanted = _d(obj, fields[1]).get(fields[2], 1 if fields[1] == "spec" else 0)
    if not isinstance(ready, int) or not isinstance(wanted, int):
        return "", "", ""
    if ready >= wanted:
        return "True", "", ""
    return "False", "ReplicasNotReady", f"{ready} of {wanted} replicas ready"


def _facts(obj: JSON) -> dict[str, Any]:
    """What the views of a kind need beyond the columns; a Secret's values never."""
    kind, spec = _s(obj, "kind", 64), _d(obj, "spec")
    if kind == "Service":
        selector = _d(spec, "selector")
        return {"selector": {str(k): str(v) for k, v in selector.items()}}
    if kind == "Ingress":
        routes = []
        for rule in _l(spec, "rules"):
            host = _s(rule, "host", 253) or "*"
            for p in _l(_d(rule, "http"), "paths"):
                svc = _d(_d(p, "backend"), "service")
                port = _d(svc, "port")
                shown = _s(port, "name", 64) or str(port.get("number", ""))
                routes.append(Route(host, _s(p, "path", 256) or "/", _s(svc, "name", 253), shown))
        tls = tuple(
            (tuple(str(h) for h in _l(t, "hosts")), _s(t, "secretName", 253))
            for t in _l(spec, "tls")
        )
        return {"routes": tuple(routes), "tls": tls}
    if kind == "Secret":
        data = _d(obj, "data")
        sizes = (
            (str(k), len(str(v)) * 3 // 4 - len(str(v)) + len(str(v).rstrip("=")))
            for k, v in data.items()
        )
        return {"keys": tuple(sorted(sizes))}
    return {}


def _attention(ready: str, cells: tuple[str, ...]) -> int:
    if ready == "False":
        return FAILING
    if ready == "Unknown":
        return NOT_READY
    return HEALTHY


def make_row(kind: str, columns: tuple[TableColumn, ...], cells: tuple[str, ...], obj: JSON) -> Row:
    m = parse_meta(obj)
    ready, reason, message = _ready(obj)
    attention = _attention(ready, cells)
    return Row(
        *m.identity,
        kind=kind,
        columns=columns,
        cells=cells,
        ready=ready,
        reason=reason,
        message=message,
        attention=attention,
        order=(-attention, m.namespace, m.name),
        haystack=f"{m.namespace}/{m.name} {' '.join(cells)}".lower(),
        facts=_facts(obj),
    )


def cell_text(value: Any, kind: str, now: float | None = None) -> str:
    """A Table cell as kubectl prints it: nothing as nothing, inert text."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "date" and now is not None:
        t = parse_time(value)
        return "<invalid>" if t is None else human_duration(now - t)
    if isinstance(value, list | dict):
        return clean(str(value), 256)
    return clean(str(value), 256)


def table_rows(
    kind: str, table: JSON, columns: tuple[TableColumn, ...] = ()
) -> tuple[tuple[TableColumn, ...], list[Row]]:
    """A meta.k8s.io Table (rows with includeObject=Object) as rows; a watch event's
    Table may leave out its columns: the list's are kept."""
    defs = [d for d in _l(table, "columnDefinitions") if isinstance(d, dict)]
    if defs:
        columns = tuple(
            TableColumn(
                _s(d, "name", 64), _s(d, "type", 16) or "string", int(d.get("priority") or 0)
            )
            for d in defs
        )
    rows = []
    for r in _l(table, "rows"):
        if not isinstance(r, dict):
            continue
        found = r.get("object")
        obj: JSON = found if isinstance(found, dict) else {}
        cells = tuple(cell_text(c, "string") for c in _l(r, "cells"))
        rows.append(make_row(kind, columns, cells, obj))
    return columns, rows


# -- the fallback, where the server offers no Table -------------------------------------
FALLBACK = (
    TableColumn("Namespace"),
    TableColumn("Name"),
    TableColumn("Ready"),
    TableColumn("Age", "date"),
)


def json_path(obj: Any, path: str) -> Any:
    """The subset of JSONPath that printer columns use: `.a.b`, `\\.` escaped dots,
    `[n]`, and `[?(@.field=="value")]` filters. None where nothing is found."""
    value, token, i, text = obj, "", 0, path.strip().lstrip("{").rstrip("}")
    steps: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            token, i = token + text[i + 1], i + 2
            continue
        if ch in ".[":
            if token:
                steps.append(token)
            token = ""
            if ch == "[":
                end = text.find("]", i)
                if end < 0:
                    return None
                steps.append(text[i : end + 1])
                i = end
        else:
            token += ch
        i += 1
    if token:
        steps.append(token)
    for step in steps:
        if step.startswith("[?(@.") and step.endswith(")]"):
            field_name, _, wanted = step[5:-2].partition("==")
            wanted = wanted.strip().strip("'\"")
            matches = (
                [x for x in value if isinstance(x, dict) and str(x.get(field_name)) == wanted]
                if isinstance(value, list)
                else []
            )
            value = matches[0] if matches else None
        elif step.startswith("["):
            try:
                value = value[int(step[1:-1])] if isinstance(value, list) else None
            except (ValueError, IndexError):
                value = None
        else:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _service_cells(obj: JSON) -> tuple[str, ...]:
    """kubectl's TYPE CLUSTER-IP EXTERNAL-IP PORT(S) of a Service."""
    spec, status = _d(obj, "spec"), _d(obj, "status")
    ingress = [
        _s(i, "ip", 64) or _s(i, "hostname", 253)
        for i in _l(_d(status, "loadBalancer"), "ingress")
        if isinstance(i, dict)
    ]
    external = ingress + [clean(x, 64) for x in _l(spec, "externalIPs") if isinstance(x, str)]
    kind = _s(spec, "type", 32) or "ClusterIP"
    if kind == "ExternalName":
        external = [_s(spec, "externalName", 253)]
    ports = []
    for p in _l(spec, "ports"):
        if isinstance(p, dict):
            node = f":{p['nodePort']}" if p.get("nodePort") else ""
            ports.append(f"{p.get('port', '')}{node}/{_s(p, 'protocol', 8) or 'TCP'}")
    pending = "<pending>" if kind == "LoadBalancer" else "<none>"
    return (
        kind,
        _s(spec, "clusterIP", 64) or "<none>",
        ",".join(external) or pending,
        ",".join(ports) or "<none>",
    )


def _ingress_cells(obj: JSON) -> tuple[str, ...]:
    """kubectl's CLASS HOSTS ADDRESS PORTS of an Ingress."""
    spec, status = _d(obj, "spec"), _d(obj, "status")
    hosts = [_s(r, "host", 253) or "*" for r in _l(spec, "rules") if isinstance(r, dict)]
    address = [
        _s(i, "ip", 64) or _s(i, "hostname", 253)
        for i in _l(_d(status, "loadBalancer"), "ingress")
        if isinstance(i, dict)
    ]
    return (
        _s(spec, "ingressClassName", 253) or "<none>",
        ",".join(hosts) or "*",
        ",".join(address),
        "80, 443" if _l(spec, "tls") else "80",
    )


BUILTIN = {  # kubectl's own columns, for a server that serves no Table form
    "services": (("Type", "Cluster-IP", "External-IP", "Port(s)"), _service_cells),
    "ingresses.networking.k8s.io": (("Class", "Hosts", "Address", "Ports"), _ingress_cells),
}


def fallback_rows(
    kind: str, items: list[Any], printer_columns: list[JSON], now: float
) -> tuple[tuple[TableColumn, ...], list[Row]]:
    """NAMESPACE NAME READY AGE, with the CRD's additionalPrinterColumns (priority 0,
    but its own Ready and Age) between READY and AGE, evaluated from their JSONPaths;
    a Service or an Ingress gets kubectl's own columns instead."""
    if kind in BUILTIN:
        names, cells_of = BUILTIN[kind]
        columns = (*FALLBACK[:2], *(TableColumn(n) for n in names), FALLBACK[3])
        rows = [
            make_row(
                kind,
                columns,
                (
                    _s(_d(o, "metadata"), "namespace", 253),
                    _s(_d(o, "metadata"), "name", 253),
                    *cells_of(o),
                    cell_text(_d(o, "metadata").get("creationTimestamp"), "date", now),
                ),
                o,
            )
            for o in items
            if isinstance(o, dict)
        ]
        return columns, rows
    extra = tuple(
        TableColumn(_s(c, "name", 64), _s(c, "type", 16) or "string", 0, _s(c, "jsonPath", 512))
        for c in printer_columns
        if isinstance(c, dict)
        and not c.get("priority")
        and str(c.get("name")).lower() not in ("age", "ready")  # READY and AGE are ours
    )
    columns = (*FALLBACK[:3], *extra, FALLBACK[3])
    rows = []
    for obj in items:
        if not isinstance(obj, dict):
            continue
        meta = _d(obj, "metadata")
        ready, reason, _ = _ready(obj)
        shown_ready = f"{ready} ({reason})" if ready and reason else ready or "-"
        cells = (
            _s(meta, "namespace", 253),
            _s(meta, "name", 253),
            shown_ready,
            *(cell_text(json_path(obj, c.json_path), c.type, now) for c in extra),
            cell_text(meta.get("creationTimestamp"), "date", now),
        )
        rows.append(make_row(kind, columns, cells, obj))
    return columns, rows
