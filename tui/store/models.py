"""The store's own types, parsed from raw API JSON with fields derived once per change.

Parsing never raises on malformed objects: a missing or mistyped field reads as empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.store.meta import (
    CONSOLE_DISABLED_AT,
    JSON,
    Object,
    _d,
    _i,
    _l,
    _owner,
    _s,
    _shared,
    flux_manager,
    parse_meta,
    reconcile_disabled,
)
from tui.store.pods import parse_pod
from tui.store.units import parse_quantity, parse_time
from tui.text import clean


@dataclass(slots=True, frozen=True)
class Node(Object):
    ready: str  # True | False | Unknown
    ready_since: float | None
    ready_message: str
    pressures: tuple[str, ...]  # conditions other than Ready whose status is True
    roles: tuple[str, ...]
    version: str
    unschedulable: bool
    cpu_allocatable: float | None  # millicores
    memory_allocatable: float | None  # bytes
    internal_ip: str

    @property
    def healthy(self) -> bool:
        return self.ready == "True" and not self.pressures and not self.unschedulable

    @property
    def order(self) -> tuple[bool, str]:
        """As the nodes pane lists them: not healthy first, then by name."""
        return (self.healthy, self.name)


def parse_node(obj: JSON) -> Node:
    m = parse_meta(obj)
    status, spec = _d(obj, "status"), _d(obj, "spec")
    ready, since, message = "Unknown", None, "no Ready condition reported"
    pressures: list[str] = []
    for c in _l(status, "conditions"):
        if not isinstance(c, dict):
            continue
        ctype = _s(c, "type", 64)
        if ctype == "Ready":
            ready = _s(c, "status", 16) or "Unknown"
            since = parse_time(c.get("lastTransitionTime"))
            message = _s(c, "message", 512)
        elif c.get("status") == "True" and ctype.endswith(("Pressure", "Unavailable")):
            pressures.append(ctype)
    roles = sorted(
        k.split("/", 1)[1]
        for k in m.labels
        if k.startswith("node-role.kubernetes.io/") and "/" in k and k.split("/", 1)[1]
    )
    if not roles and m.labels.get("kubernetes.io/role"):
        roles = [m.labels["kubernetes.io/role"]]
    alloc = _d(status, "allocatable")
    cpu = parse_quantity(alloc.get("cpu"))
    ip = ""
    for a in _l(status, "addresses"):
        if isinstance(a, dict) and a.get("type") == "InternalIP":
            ip = _s(a, "address", 64)
    return Node(
        *m.identity,
        ready=ready,
        ready_since=since,
        ready_message=message,
        pressures=tuple(pressures),
        roles=tuple(roles) or ("<none>",),
        version=_s(_d(status, "nodeInfo"), "kubeletVersion", 64),
        unschedulable=spec.get("unschedulable") is True,
        cpu_allocatable=cpu * 1000 if cpu is not None else None,
        memory_allocatable=parse_quantity(alloc.get("memory")),
        internal_ip=ip,
    )


@dataclass(slots=True, frozen=True)
class Event(Object):
    type: str
    reason: str
    message: str
    count: int
    last_seen: float | None
    first_seen: float | None
    object_kind: str
    object_name: str
    object_namespace: str
    source: str
    fold_key: str  # repeats of one reason and message about one object share it

    @property
    def warning(self) -> bool:
        return self.type == "Warning"


def parse_event(obj: JSON) -> Event:
    m = parse_meta(obj)
    series = _d(obj, "series")
    last = (
        parse_time(series.get("lastObservedTime"))
        or parse_time(obj.get("lastTimestamp"))
        or parse_time(obj.get("eventTime"))
        or m.created
    )
    first = parse_time(obj.get("firstTimestamp")) or parse_time(obj.get("eventTime")) or m.created
    # most events were seen once: one float for the three times, not three equal ones
    last = m.created if last == m.created else last
    first = m.created if first == m.created else last if first == last else first
    count = _i(series, "count") or _i(obj, "count") or 1
    inv = _d(obj, "involvedObject") or _d(obj, "regarding")
    src = _d(obj, "source")
    source = _shared(src, "component", 128) or _shared(obj, "reportingComponent", 128)
    if _s(src, "host", 128):
        source += f", {_s(src, 'host', 128)}"
    inv_ns = _shared(inv, "namespace", 253) or m.namespace
    kind, name = _shared(inv, "kind", 64), _shared(inv, "name", 253)
    reason, message = _shared(obj, "reason", 128), _s(obj, "message", 2048) or _s(obj, "note", 2048)
    return Event(
        *m.identity,
        type=_shared(obj, "type", 32) or "Normal",
        reason=reason,
        message=message,
        count=count,
        last_seen=last,
        first_seen=first,
        object_kind=kind,
        object_name=name,
        object_namespace=inv_ns,
        source=source,
        fold_key="\x00".join((inv_ns, kind, name, reason, message)),
    )


@dataclass(slots=True, frozen=True)
class Deployment(Object):
    generation: int
    observed_generation: int
    replicas: int
    ready: int
    updated: int
    available: int
    unavailable: int
    paused: bool
    selector: dict[str, str]
    containers: tuple[tuple[str, dict[str, str], dict[str, str]], ...]  # name, requests, limits
    progressing_message: str
    unavailable_since: float | None = None  # when Available last turned False
    manager: tuple[str, str, str] = ("", "", "")  # Flux: (Kustomization|HelmRelease, ns, name)
    reconcile_disabled: bool = False  # kustomize.toolkit.fluxcd.io/reconcile: disabled
    disabled_by_console: float | None = None  # when this console set that annotation


def parse_deployment(obj: JSON) -> Deployment:
    m = parse_meta(obj)
    spec, status = _d(obj, "spec"), _d(obj, "status")
    tmpl = _d(_d(spec, "template"), "spec")
    containers = tuple(
        (
            _s(c, "name", 253),
            {clean(k, 64): clean(v, 64) for k, v in _d(_d(c, "resources"), "requests").items()},
            {clean(k, 64): clean(v, 64) for k, v in _d(_d(c, "resources"), "limits").items()},
        )
        for c in _l(tmpl, "containers")
        if isinstance(c, dict)
    )
    msg = ""
    unavailable_since = None
    for c in _l(status, "conditions"):
        if isinstance(c, dict) and c.get("type") == "Progressing":
            msg = _s(c, "message", 512)
        if isinstance(c, dict) and c.get("type") == "Available" and c.get("status") == "False":
            unavailable_since = parse_time(c.get("lastTransitionTime"))
    replicas = _i(spec, "replicas") if "replicas" in spec else 1
    return Deployment(
        *m.identity,
        generation=_i(_d(obj, "metadata"), "generation"),
        observed_generation=_i(status, "observedGeneration"),
        replicas=replicas,
        ready=_i(status, "readyReplicas"),
        updated=_i(status, "updatedReplicas"),
        available=_i(status, "availableReplicas"),
        unavailable=_i(status, "unavailableReplicas"),
        paused=spec.get("paused") is True,
        selector={
            clean(k, 253): clean(v, 253) for k, v in _d(_d(spec, "selector"), "matchLabels").items()
        },
        containers=containers,
        progressing_message=msg,
        unavailable_since=unavailable_since,
        manager=flux_manager(_d(obj, "metadata")),
        reconcile_disabled=reconcile_disabled(_d(obj, "metadata")),
        disabled_by_console=parse_time(
            _d(_d(obj, "metadata"), "annotations").get(CONSOLE_DISABLED_AT)
        ),
    )


@dataclass(slots=True, frozen=True)
class ReplicaSet(Object):
    owner: str  # owning Deployment's name
    revision: str
    replicas: int
    ready: int


def parse_replicaset(obj: JSON) -> ReplicaSet:
    m = parse_meta(obj)
    spec, status = _d(obj, "spec"), _d(obj, "status")
    kind, owner = _owner(_d(obj, "metadata"))
    ann = _d(_d(obj, "metadata"), "annotations")
    return ReplicaSet(
        *m.identity,
        owner=owner if kind == "Deployment" else "",
        revision=_s(ann, "deployment.kubernetes.io/revision", 16),
        replicas=_i(spec, "replicas"),
        ready=_i(status, "readyReplicas"),
    )


@dataclass(slots=True, frozen=True)
class Service(Object):
    type: str
    selector: dict[str, str]  # empty: endpoints managed by hand, not the controller's
    ports: tuple[int, ...] = ()  # the Service's ports (what a TCP probe connects to)


def parse_service(obj: JSON) -> Service:
    m = parse_meta(obj)
    spec = _d(obj, "spec")
    return Service(
        *m.identity,
        type=_s(spec, "type", 32) or "ClusterIP",
        selector={clean(k, 253): clean(v, 253) for k, v in _d(spec, "selector").items()},
        ports=tuple(
            p["port"]
            for p in spec.get("ports") or []
            if isinstance(p, dict) and isinstance(p.get("port"), int)
        ),
    )


@dataclass(slots=True, frozen=True)
class Endpoints(Object):
    ready: int  # addresses that receive traffic
    not_ready: int
    ready_addresses: tuple[str, ...] = ()  # "ip (pod)"
    not_ready_addresses: tuple[str, ...] = ()


def _address(a: JSON) -> str:
    ref = _d(a, "targetRef")
    pod = _s(ref, "name", 253) if _s(ref, "kind", 32) == "Pod" else ""
    return _s(a, "ip", 64) + (f" ({pod})" if pod else "")


def parse_endpoints(obj: JSON) -> Endpoints:
    m = parse_meta(obj)
    ready: list[str] = []
    waiting: list[str] = []
    for subset in _l(obj, "subsets"):
        ready += [_address(a) for a in _l(subset, "addresses") if isinstance(a, dict)]
        waiting += [_address(a) for a in _l(subset, "notReadyAddresses") if isinstance(a, dict)]
    return Endpoints(
        *m.identity,
        ready=len(ready),
        not_ready=len(waiting),
        ready_addresses=tuple(ready[:50]),
        not_ready_addresses=tuple(waiting[:50]),
    )


@dataclass(slots=True, frozen=True)
class EndpointSlice(Object):
    service: str  # the kubernetes.io/service-name label
    ready_addresses: tuple[str, ...]  # "ip (pod)"
    not_ready_addresses: tuple[str, ...]


def parse_endpointslice(obj: JSON) -> EndpointSlice:
    """discovery.k8s.io/v1: an endpoint counts as ready unless its conditions say not."""
    m = parse_meta(obj)
    ready: list[str] = []
    waiting: list[str] = []
    for e in _l(obj, "endpoints"):
        if not isinstance(e, dict):
            continue
        ref = _d(e, "targetRef")
        pod = _s(ref, "name", 253) if _s(ref, "kind", 32) == "Pod" else ""
        for ip in _l(e, "addresses")[:4]:
            shown = clean(str(ip), 64) + (f" ({pod})" if pod else "")
            (waiting if _d(e, "conditions").get("ready") is False else ready).append(shown)
    return EndpointSlice(
        *m.identity,
        service=m.labels.get("kubernetes.io/service-name", ""),
        ready_addresses=tuple(ready[:50]),
        not_ready_addresses=tuple(waiting[:50]),
    )


@dataclass(slots=True, frozen=True)
class Certificate(Object):
    """cert-manager's Certificate, where that kind exists."""

    ready: str
    message: str
    not_after: float | None


def parse_certificate(obj: JSON) -> Certificate:
    m = parse_meta(obj)
    status = _d(obj, "status")
    ready, message = "Unknown", "no Ready condition reported"
    for c in _l(status, "conditions"):
        if isinstance(c, dict) and c.get("type") == "Ready":
            ready = _s(c, "status", 16) or "Unknown"
            message = _s(c, "message", 512)
    return Certificate(
        *m.identity,
        ready=ready,
        message=message,
        not_after=parse_time(status.get("notAfter")),
    )


PARSERS = {
    "pods": parse_pod,
    "nodes": parse_node,
    "events": parse_event,
    "deployments": parse_deployment,
    "replicasets": parse_replicaset,
    "services": parse_service,
    "endpoints": parse_endpoints,
}
