"""The store: plain objects keyed by uid, changed only by applying typed changes.

Sources (in threads) put changes into a ChangeBuffer; the UI thread drains it and
applies them here, so the store is only ever touched by one thread.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.store.alerts import Alert, AlertsUpdate, HealthCheck, HealthUpdate
from tui.store.fleet import Fleet, NodeMetrics, apply_node_metrics
from tui.store.host import HostUpdate, HostView
from tui.store.lists import bury, index
from tui.store.models import Deployment, Event, Node, ReplicaSet
from tui.store.pods import Pod, PodOrder, Troubled
from tui.store.status import KindStatus, State

KINDS = ("pods", "nodes", "events", "deployments", "replicasets", "services", "endpoints")


@dataclass(frozen=True, slots=True)
class Upsert:
    kind: str
    obj: Any  # a parsed model with .uid


@dataclass(frozen=True, slots=True)
class Delete:
    kind: str
    uid: str


@dataclass(frozen=True, slots=True)
class Replace:
    """A complete list: everything of this kind not in it is gone. Indexed (and the
    troubled pods picked) where it is made, on the feed's thread: the screen's thread
    only swaps it in (at 50,000 pods, 44 ms of its time before)."""

    kind: str
    objs: tuple[Any, ...]
    by_uid: dict[str, Any] = field(init=False, repr=False, compare=False)
    troubled: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_uid = index(self.objs)
        object.__setattr__(self, "by_uid", by_uid)
        troubled = (
            {u: p for u, p in by_uid.items() if troubled_pod(p)} if self.kind == "pods" else {}
        )
        object.__setattr__(self, "troubled", troubled)


@dataclass(frozen=True, slots=True)
class StatusChange:
    kind: str
    status: KindStatus


@dataclass(frozen=True, slots=True)
class Usage:
    cpu_m: float  # millicores
    memory: float  # bytes


@dataclass(frozen=True, slots=True)
class MetricsUpdate:
    """One poll of metrics.k8s.io: usage by (namespace, name) and by node."""

    status: KindStatus
    pods: dict[tuple[str, str], Usage] = field(default_factory=dict)
    nodes: dict[str, Usage] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PrometheusUpdate:
    """One poll of Prometheus: the API error rate (a fraction), or why there is none."""

    status: KindStatus
    error_rate: float | None = None


@dataclass(frozen=True, slots=True)
class ApiServer:
    """Where the cluster's API server is: its URL, and whether it runs on this machine
    (its address is loopback or one of this machine's). Triage names the host that runs
    it when it cannot be reached."""

    url: str
    host: str  # the URL's host name or address
    local: bool


@dataclass(frozen=True, slots=True)
class FluxPaths:
    """What discovery found: each Flux kind's object path template at its served version."""

    paths: tuple[tuple[str, str], ...]  # (kind, "/apis/group/version/namespaces/{ns}/...")


Change = (
    Upsert
    | Delete
    | Replace
    | StatusChange
    | MetricsUpdate
    | HostUpdate
    | NodeMetrics
    | PrometheusUpdate
    | AlertsUpdate
    | HealthUpdate
    | ApiServer
    | FluxPaths
)


class ChangeBuffer:
    """Thread-safe hand-off from source threads to the UI thread."""

    def __init__(self) -> None:
        self._items: deque[Change] = deque()
        self._event = threading.Event()

    def put(self, change: Change) -> None:
        self._items.append(change)
        self._event.set()

    def drain(self, limit: int = 1_000_000) -> list[Change]:
        out: list[Change] = []
        items = self._items
        while items and len(out) < limit:
            out.append(items.popleft())
        if not items:
            self._event.clear()
        return out

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    def __len__(self) -> int:
        return len(self._items)


def _since_kept(old: KindStatus | None, new: KindStatus) -> KindStatus:
    """A state that goes on keeps the time it began."""
    if old is not None and old.state is new.state:
        return KindStatus(new.state, new.message, old.since)
    return new


MAX_EVENTS = 5_000  # the newest events kept; a busy cluster keeps an hour of them


class Store:
    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self.max_events = max_events
        # Flux kind -> its object path template at the version discovery found
        self.flux_paths: dict[str, str] = {}
        self.events_dropped = 0  # older events not kept, said in the events pane
        self.objects: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
        self.status: dict[str, KindStatus] = {k: KindStatus(State.CONNECTING) for k in KINDS}
        self.metrics_status = KindStatus(State.CONNECTING, "waiting for the first poll")
        self.pod_usage: dict[tuple[str, str], Usage] = {}
        self.node_usage: dict[str, Usage] = {}
        self.versions: dict[str, int] = {
            k: 0 for k in (*KINDS, "metrics", "status", "hosts", "alerts")
        }
        self.hosts: dict[str, HostView] = {}  # by the console's name for the host
        self.fleet = Fleet()  # the Prometheus source of every node's figures, if any
        self.prometheus_status = KindStatus(State.ABSENT, "no Prometheus URL configured")
        self.api_error_rate: float | None = None
        self.alertmanager_status = KindStatus(State.ABSENT, "no Alertmanager URL configured")
        self.alerts: tuple[Alert, ...] = ()
        self.health: tuple[HealthCheck, ...] = ()  # the health URLs' last checks
        # the pods the pod rules look at (a restart, a last termination, not healthy),
        # kept as each pod changes: the rules read these few, not every pod each second
        self.troubled = Troubled()
        self.pod_order = PodOrder()  # the pods pane's default order, kept as pods change
        self._named: dict[str, tuple[int, dict[tuple[str, str], Any]]] = {}  # see named()
        self.api_server: ApiServer | None = None

    def clear(self) -> None:
        """Forget the cluster (another context): the panes keep this same store, and the
        hosts, which are not the cluster's, stay."""
        hosts = {name: view for name, view in self.hosts.items() if view.sampled}
        for view in hosts.values():  # the figures Prometheus gave were the old cluster's
            view.metrics, view.metrics_status, view.exporter = None, None, ""
        self.__init__(self.max_events)  # type: ignore[misc]
        self.hosts = hosts

    def add_host(self, name: str, target: str) -> HostView:
        """A host sampled from now on (a view Prometheus made keeps its figures)."""
        view = self.hosts.get(name)
        if view is None:
            view = self.hosts[name] = HostView(name, target)
        else:
            view.target = target
        return view

    def drop_host(self, name: str) -> None:
        """No sampler any more: the view goes, or stays with Prometheus's figures only."""
        view = self.hosts.get(name)
        if view is not None and view.metrics_status is not None:
            view.target, view.sample = "", None
            view.status = view.metrics_status
        elif view is not None:
            del self.hosts[name]
        self.versions["hosts"] += 1

    def host_of_node(self, node: str) -> HostView | None:
        """A host named after the node ([hosts] names them so; the demo's local host too)."""
        return self.hosts.get(node)

    def host_of_subject(self, kind: str, name: str) -> HostView | None:
        """The host a finding's subject is, or runs on (a host, or a node with its host)."""
        return self.hosts.get(name) if kind in ("host", "node") else None

    # -- applying changes -------------------------------------------------
    def apply(self, changes: Iterable[Change]) -> set[str]:
        """Apply changes in order; return the kinds (and 'status', 'metrics') that changed."""
        touched: set[str] = set()
        for ch in changes:
            if isinstance(ch, Upsert):
                objs = self.objects.setdefault(ch.kind, {})
                was = objs.get(ch.obj.uid)
                objs[ch.obj.uid] = ch.obj
                touched.add(ch.kind)
                if ch.kind == "pods":
                    self._note(ch.obj)
                    self.pod_order.change(was, ch.obj)
            elif isinstance(ch, Delete):
                if (gone := self.objects.setdefault(ch.kind, {}).pop(ch.uid, None)) is not None:
                    touched.add(ch.kind)
                if ch.kind == "pods":
                    self.troubled.drop(ch.uid)
                    self.pod_order.change(gone, None)
            elif isinstance(ch, Replace):
                bury(self.objects.get(ch.kind, {}))
                self.objects[ch.kind] = ch.by_uid
                touched.add(ch.kind)
                if ch.kind == "pods":
                    self.troubled = Troubled(ch.troubled)
                    self.pod_order.replace(ch.by_uid, self.troubled)
            elif isinstance(ch, StatusChange):
                new = _since_kept(self.status.get(ch.kind), ch.status)
                if self.status.get(ch.kind) != new:
                    self.status[ch.kind] = new
                    touched.add("status")
            elif isinstance(ch, MetricsUpdate):
                self.metrics_status = _since_kept(self.metrics_status, ch.status)
                if ch.status.state.ok:
                    self.pod_usage, self.node_usage = ch.pods, ch.nodes
                touched.add("metrics")
            elif isinstance(ch, PrometheusUpdate):
                self.prometheus_status = _since_kept(self.prometheus_status, ch.status)
                self.api_error_rate = ch.error_rate if ch.status.state.ok else None
                touched.add("metrics")
            elif isinstance(ch, HealthUpdate):
                self.health = ch.checks
                touched.add("alerts")
            elif isinstance(ch, AlertsUpdate):
                self.alertmanager_status = _since_kept(self.alertmanager_status, ch.status)
                if ch.alerts is not None:
                    self.alerts = ch.alerts
                touched.add("alerts")
            elif isinstance(ch, ApiServer):
                self.api_server = ch
                touched.add("status")
            elif isinstance(ch, FluxPaths):
                self.flux_paths.update(ch.paths)
            elif isinstance(ch, NodeMetrics):
                apply_node_metrics(self.hosts, self.nodes, self.fleet, ch)
                touched.add("hosts")
            elif isinstance(ch, HostUpdate):
                view = self.hosts.get(ch.host)
                if view is None:
                    view = self.hosts[ch.host] = HostView(ch.host, ch.host)
                view.apply(ch)
                touched.add("hosts")
        if "events" in touched:
            self._trim_events()
        for kind in touched:
            self.versions[kind] = self.versions.get(kind, 0) + 1
        return touched

    def _note(self, pod: Pod) -> None:
        if troubled_pod(pod):
            self.troubled.put(pod)
        else:
            self.troubled.drop(pod.uid)

    def flux_path(self, kind: str, namespace: str, name: str) -> str:
        """A Flux object's API path at the version discovery found ("" before discovery)."""
        template = self.flux_paths.get(kind, "")
        return template.format(namespace=namespace, name=name) if template else ""

    def flux_objects(self) -> list[Any]:
        """Every Flux object, whatever its kind (each kind is fed as "flux/<Kind>")."""
        return [
            o
            for kind, objs in self.objects.items()
            if kind.startswith("flux/")
            for o in objs.values()
        ]

    def _trim_events(self) -> None:
        """Keep the newest events by last-seen time, trimming in chunks (10 % over)."""
        events = self.objects["events"]
        if len(events) <= self.max_events * 1.1:
            return
        newest = sorted(events.values(), key=lambda e: e.last_seen or 0.0, reverse=True)
        self.objects["events"] = {e.uid: e for e in newest[: self.max_events]}
        self.events_dropped += len(newest) - self.max_events

    # -- typed views --------------------------------------------------------
    @property
    def pods(self) -> dict[str, Pod]:
        return self.objects["pods"]

    @property
    def nodes(self) -> dict[str, Node]:
        return self.objects["nodes"]

    @property
    def events(self) -> dict[str, Event]:
        return self.objects["events"]

    @property
    def deployments(self) -> dict[str, Deployment]:
        return self.objects["deployments"]

    @property
    def replicasets(self) -> dict[str, ReplicaSet]:
        return self.objects["replicasets"]

    def deployment_of(self, pod: Pod) -> Deployment | None:
        """The Deployment owning a pod through its ReplicaSet, if any."""
        if pod.owner_kind != "ReplicaSet":
            return None
        rs = self.named("replicasets").get((pod.namespace, pod.owner_name))
        if rs is not None and rs.owner:
            return self.deployment(pod.namespace, rs.owner)
        # Without the ReplicaSet at hand, fall back on the pod-template-hash naming.
        if "pod-template-hash" in pod.labels:
            suffix = "-" + pod.labels["pod-template-hash"]
            if pod.owner_name.endswith(suffix):
                return self.deployment(pod.namespace, pod.owner_name[: -len(suffix)])
        return None

    def deployment(self, namespace: str, name: str) -> Deployment | None:
        return self.named("deployments").get((namespace, name))

    def named(self, kind: str) -> dict[tuple[str, str], Any]:
        """A kind's objects by (namespace, name), made again once it changed: the pod rules
        look up each troubled pod's ReplicaSet and Deployment every second (a pass over all
        of them for each pod was 10,000 x 500 comparisons in a large cluster)."""
        version, by_name = self._named.get(kind, (-1, {}))
        if version != self.versions.get(kind, 0):
            by_name = {(o.namespace, o.name): o for o in self.objects.get(kind, {}).values()}
            self._named[kind] = (self.versions.get(kind, 0), by_name)
        return by_name

    def backends(self, namespace: str, service: str) -> tuple[list[str], list[str], str] | None:
        """A Service's ready and not-ready addresses, from its EndpointSlices where the
        cluster has them, else from its Endpoints; and which it was. None: neither."""
        slices = [
            s
            for s in self.objects.get("endpointslices", {}).values()
            if s.namespace == namespace and s.service == service
        ]
        if slices:
            ready = [a for s in slices for a in s.ready_addresses]
            waiting = [a for s in slices for a in s.not_ready_addresses]
            return ready, waiting, "EndpointSlices"
        ep = self.find("endpoints", namespace, service)
        if ep is None:
            return None
        return list(ep.ready_addresses), list(ep.not_ready_addresses), "Endpoints"

    def find(self, kind: str, namespace: str, name: str) -> Any:
        for o in self.objects.get(kind, {}).values():
            if o.name == name and getattr(o, "namespace", "") == namespace:
                return o
        return None

    def pod_counts(self) -> tuple[int, int]:
        return len(self.pods), self.pod_order.unhealthy


def troubled_pod(pod: Any) -> bool:
    """What the pod rules look at: a restart, a last termination, not healthy."""
    return bool(pod.restarts or not pod.healthy)
