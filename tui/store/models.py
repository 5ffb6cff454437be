"""The store's own types, parsed from raw API JSON with fields derived once per change.

Parsing never raises on malformed objects: a missing or mistyped field reads as empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.store.units import parse_quantity, parse_time
from tui.text import clean

JSON = dict[str, Any]

# How much a pod needs the operator's attention; higher sorts first.
HEALTHY, NOT_READY, PENDING, FAILING = 0, 1, 2, 3

FAILING_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "OOMKilled",
        "Error",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "ContainerCannotRun",
        "Evicted",
        "Failed",
        "Unknown",
        "NodeLost",
        "DeadlineExceeded",
    }
)


def _d(obj: object, key: str) -> JSON:
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, dict) else {}


def _l(obj: object, key: str) -> list[Any]:
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, list) else []


def _s(obj: object, key: str, limit: int = 4096) -> str:
    v = obj.get(key) if isinstance(obj, dict) else None
    if v is None or isinstance(v, dict | list):
        return ""
    return clean(v, limit)


def _i(obj: object, key: str) -> int:
    v = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(v, bool) or not isinstance(v, int | float):
        return 0
    return int(v)


def _labels(meta: JSON) -> dict[str, str]:
    raw = _d(meta, "labels")
    return {clean(k, 253): clean(v, 253) for k, v in list(raw.items())[:64]}


def _owner(meta: JSON) -> tuple[str, str]:
    for ref in _l(meta, "ownerReferences"):
        if isinstance(ref, dict) and ref.get("controller"):
            return _s(ref, "kind", 64), _s(ref, "name", 253)
    for ref in _l(meta, "ownerReferences"):
        if isinstance(ref, dict):
            return _s(ref, "kind", 64), _s(ref, "name", 253)
    return "", ""


@dataclass(slots=True, frozen=True)
class Meta:
    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None
    deleting: bool
    labels: dict[str, str]


def parse_meta(obj: object) -> Meta:
    meta = _d(obj, "metadata")
    ns, name = _s(meta, "namespace", 253), _s(meta, "name", 253)
    uid = _s(meta, "uid", 128) or f"{ns}/{name}"
    return Meta(
        uid=uid,
        namespace=ns,
        name=name,
        resource_version=_s(meta, "resourceVersion", 64),
        created=parse_time(meta.get("creationTimestamp")),
        deleting=meta.get("deletionTimestamp") is not None,
        labels=_labels(meta),
    )


@dataclass(slots=True, frozen=True)
class Container:
    name: str
    image: str
    ready: bool
    restarts: int
    state: str  # running | waiting | terminated | ""
    reason: str  # current waiting/terminated reason
    message: str
    last_reason: str  # last termination reason (e.g. OOMKilled)
    last_exit_code: int | None
    last_finished: float | None
    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class Pod:
    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None
    node: str
    phase: str
    status: str  # what kubectl's STATUS column shows
    ready: int
    total: int
    restarts: int
    last_restart: float | None
    last_termination: str  # e.g. "OOMKilled (137)"
    attention: int
    owner_kind: str
    owner_name: str
    labels: dict[str, str]
    containers: tuple[Container, ...]
    message: str
    haystack: str  # lower-cased text the filter searches
    order: tuple[int, str, str]  # the default order, trouble first; computed once, off the UI

    @property
    def healthy(self) -> bool:
        return self.attention == HEALTHY

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def _container(status: JSON, spec: JSON | None) -> Container:
    state = _d(status, "state")
    last = _d(_d(status, "lastState"), "terminated")
    kind, reason, message = "", "", ""
    for k in ("running", "waiting", "terminated"):
        if isinstance(state.get(k), dict):
            kind = k
            reason = _s(state[k], "reason", 128)
            message = _s(state[k], "message", 1024)
            break
    res = _d(spec, "resources") if spec else {}
    return Container(
        name=_s(status, "name", 253),
        image=_s(status, "image", 512) or (_s(spec, "image", 512) if spec else ""),
        ready=status.get("ready") is True,
        restarts=_i(status, "restartCount"),
        state=kind,
        reason=reason,
        message=message,
        last_reason=_s(last, "reason", 128),
        last_exit_code=_i(last, "exitCode") if "exitCode" in last else None,
        last_finished=parse_time(last.get("finishedAt")),
        requests={clean(k, 64): clean(v, 64) for k, v in _d(res, "requests").items()},
        limits={clean(k, 64): clean(v, 64) for k, v in _d(res, "limits").items()},
    )


def _has_condition(status: JSON, ctype: str) -> bool:
    for c in _l(status, "conditions"):
        if isinstance(c, dict) and c.get("type") == ctype and c.get("status") == "True":
            return True
    return False


def pod_status(obj: JSON) -> tuple[str, int, int, int, float | None]:
    """kubectl's printPod: (status, ready, total, restarts, last restart)."""
    spec, status, meta = _d(obj, "spec"), _d(obj, "status"), _d(obj, "metadata")
    reason = _s(status, "reason", 128) or _s(status, "phase", 64) or "Unknown"
    total = len(_l(spec, "containers"))
    ready = restarts = 0
    last_restart: float | None = None

    def note_last(cs: JSON) -> None:
        nonlocal last_restart
        t = parse_time(_d(_d(cs, "lastState"), "terminated").get("finishedAt"))
        if t is not None and (last_restart is None or t > last_restart):
            last_restart = t

    init_specs = _l(spec, "initContainers")
    sidecars = {
        c.get("name")
        for c in init_specs
        if isinstance(c, dict) and c.get("restartPolicy") == "Always"
    }
    total += len(sidecars)
    initializing = False
    for i, cs in enumerate(_l(status, "initContainerStatuses")):
        if not isinstance(cs, dict):
            continue
        restarts += _i(cs, "restartCount")
        note_last(cs)
        state = _d(cs, "state")
        term, wait = _d(state, "terminated"), _d(state, "waiting")
        if "terminated" in state and _i(term, "exitCode") == 0:
            continue
        if cs.get("name") in sidecars and cs.get("started") is True:
            if cs.get("ready") is True:
                ready += 1
            continue
        if "terminated" in state:
            r = _s(term, "reason", 128)
            if not r:
                sig = _i(term, "signal")
                r = f"Signal:{sig}" if sig else f"ExitCode:{_i(term, 'exitCode')}"
            reason = "Init:" + r
        elif _s(wait, "reason", 128) and wait.get("reason") != "PodInitializing":
            reason = "Init:" + _s(wait, "reason", 128)
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _has_condition(status, "Initialized"):
        restarts = sum(
            _i(cs, "restartCount")
            for cs in _l(status, "initContainerStatuses")
            if isinstance(cs, dict) and cs.get("name") in sidecars
        )
        has_running = False
        for cs in reversed(_l(status, "containerStatuses")):
            if not isinstance(cs, dict):
                continue
            restarts += _i(cs, "restartCount")
            note_last(cs)
            state = _d(cs, "state")
            wait, term = _d(state, "waiting"), _d(state, "terminated")
            if _s(wait, "reason", 128):
                reason = _s(wait, "reason", 128)
            elif _s(term, "reason", 128):
                reason = _s(term, "reason", 128)
            elif "terminated" in state:
                sig = _i(term, "signal")
                reason = f"Signal:{sig}" if sig else f"ExitCode:{_i(term, 'exitCode')}"
            elif cs.get("ready") is True and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_condition(status, "Ready") else "NotReady"

    if meta.get("deletionTimestamp") is not None:
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason, ready, total, restarts, last_restart


def _attention(status: str, phase: str, ready: int, total: int) -> int:
    if status in ("Completed", "Succeeded") or phase == "Succeeded":
        return HEALTHY
    if (
        status in FAILING_REASONS
        or status.startswith(("Init:Error", "Init:CrashLoop", "Init:ImagePull", "Init:ErrImage"))
        or status.startswith(("Signal:", "ExitCode:", "Init:Signal", "Init:ExitCode"))
        or phase == "Failed"
    ):
        return FAILING
    if phase == "Pending" or status.startswith("Init:") or status == "ContainerCreating":
        return PENDING
    if status == "Terminating" or ready < total or status != "Running":
        return NOT_READY
    return HEALTHY


def parse_pod(obj: JSON) -> Pod:
    m = parse_meta(obj)
    spec, status = _d(obj, "spec"), _d(obj, "status")
    status_text, ready, total, restarts, last_restart = pod_status(obj)
    specs = {c.get("name"): c for c in _l(spec, "containers") if isinstance(c, dict)}
    containers = tuple(
        _container(cs, specs.get(cs.get("name")))
        for cs in _l(status, "containerStatuses")
        if isinstance(cs, dict)
    )
    if not containers:
        containers = tuple(
            _container({"name": c.get("name")}, c) for c in specs.values() if isinstance(c, dict)
        )
    last_term = ""
    newest: float = -1.0
    for c in containers:
        if c.last_reason and (c.last_finished or 0.0) >= newest:
            newest = c.last_finished or 0.0
            code = f" ({c.last_exit_code})" if c.last_exit_code is not None else ""
            last_term = c.last_reason + code
    phase = _s(status, "phase", 64)
    attention = _attention(status_text, phase, ready, total)
    owner_kind, owner_name = _owner(_d(obj, "metadata"))
    node = _s(spec, "nodeName", 253)
    message = _s(status, "message", 1024)
    for c in containers:
        if c.message:
            message = c.message
            break
    return Pod(
        uid=m.uid,
        namespace=m.namespace,
        name=m.name,
        resource_version=m.resource_version,
        created=m.created,
        node=node,
        phase=phase,
        status=status_text,
        ready=ready,
        total=total,
        restarts=restarts,
        last_restart=last_restart,
        last_termination=last_term,
        attention=attention,
        owner_kind=owner_kind,
        owner_name=owner_name,
        labels=m.labels,
        containers=containers,
        message=message,
        haystack=f"{m.namespace}/{m.name} {status_text} {node} {last_term}".lower(),
        order=(-attention, m.namespace, m.name),
    )


@dataclass(slots=True, frozen=True)
class Node:
    uid: str
    name: str
    resource_version: str
    created: float | None
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
        uid=m.uid,
        name=m.name,
        resource_version=m.resource_version,
        created=m.created,
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
class Event:
    uid: str
    namespace: str
    name: str
    resource_version: str
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
    count = _i(series, "count") or _i(obj, "count") or 1
    inv = _d(obj, "involvedObject") or _d(obj, "regarding")
    src = _d(obj, "source")
    source = _s(src, "component", 128) or _s(obj, "reportingComponent", 128)
    if _s(src, "host", 128):
        source += f", {_s(src, 'host', 128)}"
    inv_ns = _s(inv, "namespace", 253) or m.namespace
    kind, name = _s(inv, "kind", 64), _s(inv, "name", 253)
    reason, message = _s(obj, "reason", 128), _s(obj, "message", 2048) or _s(obj, "note", 2048)
    return Event(
        uid=m.uid,
        namespace=m.namespace,
        name=m.name,
        resource_version=m.resource_version,
        type=_s(obj, "type", 32) or "Normal",
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
class Deployment:
    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None
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
        uid=m.uid,
        namespace=m.namespace,
        name=m.name,
        resource_version=m.resource_version,
        created=m.created,
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
    )


@dataclass(slots=True, frozen=True)
class ReplicaSet:
    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None
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
        uid=m.uid,
        namespace=m.namespace,
        name=m.name,
        resource_version=m.resource_version,
        created=m.created,
        owner=owner if kind == "Deployment" else "",
        revision=_s(ann, "deployment.kubernetes.io/revision", 16),
        replicas=_i(spec, "replicas"),
        ready=_i(status, "readyReplicas"),
    )


@dataclass(slots=True, frozen=True)
class Service:
    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None
    type: str
    selector: dict[str, str]  # empty: endpoints managed by hand, not the controller's


def parse_service(obj: JSON) -> Service:
    m = parse_meta(obj)
    spec = _d(obj, "spec")
    return Service(
        uid=m.uid,
        namespace=m.namespace,
        name=m.name,
        resource_version=m.resource_version,
        created=m.created,
        type=_s(spec, "type", 32) or "ClusterIP",
        selector={clean(k, 253): clean(v, 253) for k, v in _d(spec, "selector").items()},
    )


@dataclass(slots=True, frozen=True)
class Endpoints:
    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None
    ready: int  # addresses that receive traffic
    not_ready: int


def parse_endpoints(obj: JSON) -> Endpoints:
    m = parse_meta(obj)
    ready = not_ready = 0
    for subset in _l(obj, "subsets"):
        ready += len(_l(subset, "addresses"))
        not_ready += len(_l(subset, "notReadyAddresses"))
    return Endpoints(
        uid=m.uid,
        namespace=m.namespace,
        name=m.name,
        resource_version=m.resource_version,
        created=m.created,
        ready=ready,
        not_ready=not_ready,
    )


@dataclass(slots=True, frozen=True)
class Certificate:
    """cert-manager's Certificate, where that kind exists."""

    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None
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
        uid=m.uid,
        namespace=m.namespace,
        name=m.name,
        resource_version=m.resource_version,
        created=m.created,
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
