"""Pods as the console shows them: kubectl's STATUS, READY and RESTARTS derived once per
change, how much each needs the operator's attention, and the containers' states."""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from operator import attrgetter
from sys import intern

from tui.store.meta import JSON, Object, _d, _i, _l, _owner, _s, _shared, _texts, parse_meta
from tui.store.units import parse_time

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
class Pod(Object):
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
        now = state.get(k)
        if isinstance(now, dict):
            kind = k
            reason = _shared(now, "reason", 128) if now else ""
            message = _s(now, "message", 1024) if now else ""
            break
    res = _d(spec, "resources") if spec else {}
    return Container(
        name=_shared(status, "name", 253),
        image=_shared(status, "image", 512) or (_shared(spec, "image", 512) if spec else ""),
        ready=status.get("ready") is True,
        restarts=_i(status, "restartCount"),
        state=kind,
        reason=reason,
        message=message,
        last_reason=_shared(last, "reason", 128) if last else "",
        last_exit_code=_i(last, "exitCode") if "exitCode" in last else None,
        last_finished=parse_time(last.get("finishedAt")) if last else None,
        requests=_texts(res.get("requests"), 64, 1 << 30) if res else {},
        limits=_texts(res.get("limits"), 64, 1 << 30) if res else {},
    )


def _has_condition(status: JSON, ctype: str) -> bool:
    for c in _l(status, "conditions"):
        if isinstance(c, dict) and c.get("type") == ctype and c.get("status") == "True":
            return True
    return False


def _last_finished(cs: JSON) -> float | None:
    """When a container's last run ended (its lastState.terminated.finishedAt)."""
    last = cs.get("lastState")
    term = last.get("terminated") if isinstance(last, dict) else None
    return parse_time(term.get("finishedAt")) if isinstance(term, dict) else None


def pod_status(spec: JSON, status: JSON, meta: JSON) -> tuple[str, int, int, int, float | None]:
    """kubectl's printPod: (status, ready, total, restarts, last restart), from the pod's
    spec, status and metadata (each read once by parse_pod: a list parses 10,000)."""
    reason = _s(status, "reason", 128) or _s(status, "phase", 64) or "Unknown"
    total = len(_l(spec, "containers"))
    ready = restarts = 0
    last_restart: float | None = None
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
        t = _last_finished(cs)
        if t is not None and (last_restart is None or t > last_restart):
            last_restart = t
        state = _d(cs, "state")
        term, wait = state.get("terminated"), state.get("waiting")
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
        elif _s(wait, "reason", 128) and _d(state, "waiting").get("reason") != "PodInitializing":
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
            t = _last_finished(cs)
            if t is not None and (last_restart is None or t > last_restart):
                last_restart = t
            state = _d(cs, "state")
            wait, term = state.get("waiting"), state.get("terminated")
            if (why := _s(wait, "reason", 128)) or (why := _s(term, "reason", 128)):
                reason = why
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
    spec, status, meta = _d(obj, "spec"), _d(obj, "status"), _d(obj, "metadata")
    status_text, ready, total, restarts, last_restart = pod_status(spec, status, meta)
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
    phase = _shared(status, "phase", 64)
    attention = _attention(status_text, phase, ready, total)
    owner_kind, owner_name = _owner(meta)
    node = _shared(spec, "nodeName", 253)
    message = _s(status, "message", 1024)
    for c in containers:
        if c.message:
            message = c.message
            break
    return Pod(
        *m.identity,
        node=node,
        phase=phase,
        status=intern(status_text),
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


_ORDER = attrgetter("order")


class Troubled(dict[str, Pod]):
    """The troubled pods by uid, and which uids changed since the pod rules last looked
    (`news`; after a list, `whole`): a pass of the rules reads those, not 10,000 pods."""

    def __init__(self, pods: dict[str, Pod] | None = None) -> None:
        super().__init__(pods or {})
        self.news: set[str] = set()
        self.whole = True

    def put(self, pod: Pod) -> None:
        self[pod.uid] = pod
        self.news.add(pod.uid)

    def drop(self, uid: str) -> None:
        if self.pop(uid, None) is not None:
            self.news.add(uid)


class PodOrder:
    """The pods in the pane's default order (trouble first, then namespace/name), and how
    many need attention, both kept as each pod changes. Under churn a change that moved a
    pod ended the list's order, and every key typed in the pods filter sorted 10,000 pods
    again and counted the unhealthy ones (about 2 ms of each key's 9)."""

    def __init__(self) -> None:
        self._pods: list[Pod] | None = []  # None: sorted again at the next read
        self.unhealthy = 0

    def replace(self, pods: dict[str, Pod], troubled: dict[str, Pod]) -> None:
        """A whole list, indexed in order where it was read (`lists.index`), and its
        troubled pods (the unhealthy ones are among them)."""
        self._pods = list(pods.values())
        self.unhealthy = sum(1 for p in troubled.values() if p.attention)

    def change(self, was: Pod | None, new: Pod | None) -> None:
        """`was` replaced by `new` (None: it came; None: it went)."""
        self.unhealthy += bool(new and new.attention) - bool(was and was.attention)
        pods = self._pods
        if pods is None:
            return
        if was is not None:
            i = bisect_left(pods, was.order, key=_ORDER)
            while i < len(pods) and pods[i] is not was and pods[i].order == was.order:
                i += 1  # a namesake (one pod gone, the next come): look on
            if i == len(pods) or pods[i] is not was:
                self._pods = None  # not where it should be: sort at the next read
                return
            if new is not None and new.order == was.order:
                pods[i] = new
                return
            del pods[i]
        if new is not None:
            insort(pods, new, key=_ORDER)

    def sorted(self, pods: dict[str, Pod]) -> list[Pod]:
        """The pods in order (the caller's to read, not to change)."""
        if self._pods is None or len(self._pods) != len(pods):
            self._pods = sorted(pods.values(), key=_ORDER)
        return self._pods
