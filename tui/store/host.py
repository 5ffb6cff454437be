"""What a host says about itself, and what the console keeps of it: no Textual, no I/O.

A HostSample is one reading (local psutil or an SSH host's /proc text); a HostView is
the store's record of one host: its state, its last sample and ten minutes of history,
with the gaps left by a lost connection kept as gaps.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from tui.store.status import KindStatus, State

HISTORY_SECONDS = 600.0  # the charts show the last ten minutes

# The runbook's thresholds ("Monitoring proactif").
DISK_FULL_PERCENT = 90
MEMORY_FULL_PERCENT = 95

# The units the console asks every host about (service-restart picks among those present).
UNITS = (
    "k3s",
    "k3s-agent",
    "containerd",
    "systemd-resolved",
    "systemd-journald",
    "ssh",
    "sshd",
    "ufw",
    "docker",
)


@dataclass(frozen=True, slots=True)
class Filesystem:
    mount: str
    device: str
    size: int  # bytes
    used: int  # bytes
    available: int  # bytes (for the unprivileged: reserved blocks excluded)

    @property
    def percent(self) -> int:
        """Use% as df prints it: used / (used + available), rounded up."""
        denominator = self.used + self.available
        return math.ceil(100 * self.used / denominator) if denominator else 0


@dataclass(frozen=True, slots=True)
class Memory:
    total: int
    available: int
    swap_total: int
    swap_free: int

    @property
    def used_percent(self) -> float:
        return 100.0 * (self.total - self.available) / self.total if self.total else 0.0

    @property
    def swap_used(self) -> int:
        return self.swap_total - self.swap_free


@dataclass(frozen=True, slots=True)
class Proc:
    pid: int
    name: str
    cpu: float  # percent of one core, as top
    memory: float  # percent of RAM


@dataclass(frozen=True, slots=True)
class Unit:
    name: str  # without .service
    active: str  # active, inactive, failed, activating...
    sub: str = ""  # running, dead, exited...


@dataclass(frozen=True, slots=True)
class Services:
    """What systemd and the journal say; read every ten seconds or so, not every sample."""

    units: tuple[Unit, ...] = ()  # only the units the host has
    note: str = ""  # why there are none (e.g. "systemd is not running")
    journal_errors: int | None = None  # entries at priority err in the last hour

    @property
    def k3s(self) -> Unit | None:
        """The k3s unit (server or agent); None when the host has neither."""
        for unit in self.units:
            if unit.name in ("k3s", "k3s-agent"):
                return unit
        return None


@dataclass(frozen=True, slots=True)
class HostSample:
    at: float
    cpu: float
    per_core: tuple[float, ...]
    load: tuple[float, float, float]
    cores: int
    memory: Memory
    filesystems: tuple[Filesystem, ...]
    top_cpu: tuple[Proc, ...]
    top_memory: tuple[Proc, ...]
    net_rx: float = 0.0  # bytes/s, every interface but lo
    net_tx: float = 0.0
    services: Services = field(default_factory=Services)
    took: float = 0.0  # seconds to read and parse this sample

    @property
    def disk_full(self) -> list[Filesystem]:
        return [f for f in self.filesystems if f.percent >= DISK_FULL_PERCENT]

    @property
    def memory_full(self) -> bool:
        return self.memory.used_percent >= MEMORY_FULL_PERCENT

    @property
    def overloaded(self) -> bool:
        return self.load[0] > self.cores


@dataclass(frozen=True, slots=True)
class Point:
    """One point of the charts; None values mark a gap (the host was not reachable)."""

    at: float
    cpu: float | None
    memory: float | None
    load: float | None


@dataclass(frozen=True, slots=True)
class HostUpdate:
    """A source's news about a host: a new sample, a new state, or both."""

    host: str
    status: KindStatus
    sample: HostSample | None = None


def _kept(old: KindStatus | None, new: KindStatus) -> KindStatus:
    """The same state keeps its first `since`: how long it has lasted."""
    if old is not None and old.state is new.state:
        return KindStatus(new.state, new.message, old.since)
    return new


@dataclass
class HostView:
    """One host: its sampler's state and sample (psutil or SSH: every figure, the top
    processes and systemd), and where Prometheus serves its node-exporter, that source's
    figures too. Prometheus's figures win while it answers; the sampler's are the fallback.
    A host known only to Prometheus has no target, and its state is Prometheus's."""

    name: str  # what the console calls it: the node's name where one is mapped ([hosts])
    target: str  # "local", the SSH target, or "" (no sampler: Prometheus only)
    status: KindStatus = field(default_factory=lambda: KindStatus(State.CONNECTING))
    sample: HostSample | None = None
    history: deque[Point] = field(default_factory=deque)
    metrics: HostSample | None = None  # from Prometheus
    metrics_status: KindStatus | None = None  # None: Prometheus does not serve this host
    exporter: str = ""  # the exporter's instance ("10.0.0.5:9100")

    @property
    def sampled(self) -> bool:
        """A sampler (psutil or SSH) reads this host: processes and systemd are known."""
        return bool(self.target)

    @property
    def from_prometheus(self) -> bool:
        return (
            self.metrics is not None
            and self.metrics_status is not None
            and (self.metrics_status.state.ok)
        )

    @property
    def figures(self) -> HostSample | None:
        """CPU, load, memory, disks and network: Prometheus's while it answers, else the
        sampler's (while it is live)."""
        if self.from_prometheus:
            return self.metrics
        return self.sample if self.status.state.ok else None

    @property
    def figures_from(self) -> str:
        if self.from_prometheus:
            return "prometheus"
        return "psutil" if self.target == "local" else "ssh" if self.target else "prometheus"

    @property
    def address(self) -> str:
        """The host name or address it is reached at: "root@10.0.0.5:2222" -> "10.0.0.5"
        (an alias of ~/.ssh/config stays as it is)."""
        reach = self.target.rsplit("@", 1)[-1]
        if reach.startswith("["):  # [v6]:port
            return reach[1:].split("]", 1)[0]
        return reach.rsplit(":", 1)[0] if reach.count(":") == 1 else reach

    def apply(self, update: HostUpdate) -> None:
        """The sampler's news. Its points go to the charts only while Prometheus does not
        serve the figures (one source for a chart, not two interleaved)."""
        was_ok = self.figures is not None
        self.status = _kept(self.status, update.status)
        if update.sample is not None:
            self.sample = update.sample
            if not self.from_prometheus:
                self._point(update.sample)
        self._close(was_ok)

    def apply_metrics(
        self, status: KindStatus, sample: HostSample | None, exporter: str = ""
    ) -> None:
        """Prometheus's news for this host: figures, or why there are none."""
        was_ok = self.figures is not None
        self.metrics_status = _kept(self.metrics_status, status)
        if exporter:
            self.exporter = exporter
        if sample is not None and status.state.ok:
            self.metrics = sample
            self._point(sample)
        if not self.sampled:  # Prometheus is all this host has: its state is the host's
            self.status = self.metrics_status
        self._close(was_ok)

    def backfill(self, points: list[Point]) -> None:
        """Prometheus's history (query_range) before its first live point."""
        first = self.history[0].at if self.history else float("inf")
        self.history.extendleft(reversed([p for p in points if p.at < first]))

    def _point(self, s: HostSample) -> None:
        if self.history and self.history[-1].at >= s.at:
            return  # the same scrape read twice
        self.history.append(Point(s.at, s.cpu, s.memory.used_percent, s.load[0]))

    def _close(self, was_ok: bool) -> None:
        if was_ok and self.figures is None:
            since = max(
                self.status.since,
                self.metrics_status.since if self.metrics_status else 0.0,
                self.history[-1].at if self.history else 0.0,
            )
            self.history.append(Point(since, None, None, None))  # the gap
        horizon = time.time() - HISTORY_SECONDS
        while self.history and self.history[0].at < horizon:
            self.history.popleft()

    def segments(self, attr: str, step: float = 0.0) -> list[tuple[list[float], list[float]]]:
        """The history of one measure as runs of (times, values) between gaps. `step`:
        one point per that many seconds at most, the highest of them (a chart 40 cells
        wide shows 10 minutes of samples every 2 s, 300 points, in 40 columns: plotext
        drew them all, 26 ms on the screen's thread, and a spike must still show)."""
        runs: list[tuple[list[float], list[float]]] = []
        xs: list[float] = []
        ys: list[float] = []
        slot = None
        for point in self.history:
            value = getattr(point, attr)
            if value is None:
                if xs:
                    runs.append((xs, ys))
                xs, ys, slot = [], [], None
                continue
            here = int(point.at // step) if step > 0 else None
            if here is not None and here == slot:
                if value >= ys[-1]:
                    xs[-1], ys[-1] = point.at, value
                continue
            slot = here
            xs.append(point.at)
            ys.append(value)
        if xs:
            runs.append((xs, ys))
        return runs

    @property
    def gaps(self) -> int:
        return sum(1 for p in self.history if p.cpu is None)


def in_node_order(hosts: dict[str, HostView], nodes: Iterable[Any]) -> list[HostView]:
    """The hosts as the nodes pane lists their nodes, then the others, whatever order the
    hosts came or were named in (Prometheus's are renamed after their nodes as these are
    listed): what the host pane shows first, lists, and h/H go through."""
    names = [n.name for n in sorted(nodes, key=attrgetter("order"))]
    ours, listed = [hosts[name] for name in names if name in hosts], set(names)
    return ours + [view for name, view in hosts.items() if name not in listed]
