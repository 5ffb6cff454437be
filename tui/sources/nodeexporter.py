"""Every node's figures from Prometheus's node-exporter series; no Textual.

One refresh is seven instant queries (`/api/v1/query`) for all nodes together, never one
per node: uname, CPU per core, load, memory, filesystems, network, and the exporters that
fail their scrape. The history charts' last ten minutes come from three range queries
(`/api/v1/query_range`), asked when an exporter is first seen. The store matches each
exporter to its node (tui/store/fleet.py).

CPU is busy time as top and psutil count it (everything but idle and iowait), from the
last two scrapes (irate); filesystems are those df shows (no pseudo filesystem).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from tui.sources.procfs import PSEUDO_FS
from tui.sources.prometheus import Endpoint, PromError, api_get, endpoint
from tui.store import ChangeBuffer, KindStatus, State
from tui.store.fleet import Exporter, NodeMetrics
from tui.store.host import HISTORY_SECONDS, Filesystem, HostSample, Memory, Point

WINDOW = "2m"  # irate takes the last two scrapes within it (30 s scrapes leave 4)
IDLE = f'sum by (instance, cpu) (irate(node_cpu_seconds_total{{mode=~"idle|iowait"}}[{WINDOW}]))'
FSTYPES = "|".join(sorted(PSEUDO_FS))
QUERIES = {
    "uname": "node_uname_info",
    "cpu": IDLE,
    "load": '{__name__=~"node_load1|node_load5|node_load15"}',
    "memory": '{__name__=~"node_memory_(MemTotal|MemAvailable|SwapTotal|SwapFree)_bytes"}',
    "fs": f'{{__name__=~"node_filesystem_(size|avail|free)_bytes",fstype!~"{FSTYPES}"}}',
    "net": " or ".join(
        f"label_replace(sum by (instance) (irate(node_network_{way}_bytes_total"
        f'{{device!="lo"}}[{WINDOW}])), "dir", "{short}", "", "")'
        for way, short in (("receive", "rx"), ("transmit", "tx"))
    ),
    "down": 'up{job=~".*node.*"} == 0',
}
HISTORY = {  # one value per exporter and step, for the charts
    "cpu": f"100 * (1 - avg by (instance) ({IDLE}))",
    "memory": "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
    "load": "node_load1",
}
HISTORY_STEP = 10.0  # seconds between two points of the backfilled history (at most)
MAX_FILESYSTEMS = 20  # per host


def _value(entry: Any) -> float | None:
    try:
        v = float(entry["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return v if v == v else None  # NaN: no value


def _result(data: Any) -> list[dict[str, Any]]:
    result = data.get("result") if isinstance(data, dict) else None
    return [r for r in result or [] if isinstance(r, dict) and isinstance(r.get("metric"), dict)]


def build_exporters(answers: dict[str, Any], at: float) -> tuple[list[Exporter], set[str]]:
    """The instant queries' answers as one Exporter per instance, and the instances down."""
    nodename: dict[str, str] = {}
    cores: dict[str, dict[str, float]] = defaultdict(dict)
    load: dict[str, dict[str, float]] = defaultdict(dict)
    memory: dict[str, dict[str, float]] = defaultdict(dict)
    fs: dict[str, dict[tuple[str, str], dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    net: dict[str, dict[str, float]] = defaultdict(dict)
    down: set[str] = set()
    seen: set[str] = set()
    for r in _result(answers.get("uname")):
        m = r["metric"]
        instance = str(m.get("instance", ""))
        seen.add(instance)
        nodename[instance] = str(m.get("nodename", ""))
    for name, table in (("cpu", cores), ("load", load), ("memory", memory), ("net", net)):
        for r in _result(answers.get(name)):
            m, v = r["metric"], _value(r)
            instance = str(m.get("instance", ""))
            seen.add(instance)
            if v is None:
                continue
            key = {"cpu": "cpu", "net": "dir"}.get(name)
            table[instance][str(m.get(key, "")) if key else str(m.get("__name__", ""))] = v
    for r in _result(answers.get("fs")):
        m, v = r["metric"], _value(r)
        instance = str(m.get("instance", ""))
        if v is not None:
            metric = str(m.get("__name__", "")).removeprefix("node_filesystem_")
            fs[instance][(str(m.get("mountpoint", "")), str(m.get("device", "")))][metric] = v
    for r in _result(answers.get("down")):
        down.add(str(r["metric"].get("instance", "")))
    out = []
    for instance in sorted(seen - {""}):
        out.append(Exporter(instance, nodename.get(instance, ""), _sample(
            at, cores.get(instance), load.get(instance), memory.get(instance),
            fs.get(instance, {}), net.get(instance, {}),
        )))  # fmt: skip
    return out, down


def _sample(
    at: float,
    idle: dict[str, float] | None,
    load: dict[str, float] | None,
    mem: dict[str, float] | None,
    fs: dict[tuple[str, str], dict[str, float]],
    net: dict[str, float],
) -> HostSample | None:
    """One host's figures; None until CPU, load and memory are all there."""
    if not idle or not load or not mem or "node_memory_MemTotal_bytes" not in mem:
        return None
    order = sorted(idle, key=lambda c: int(c) if c.isdigit() else 0)
    per_core = tuple(max(0.0, min(100.0, 100.0 * (1 - idle[c]))) for c in order)
    filesystems = []
    for (mount, device), v in fs.items():
        size, free, avail = v.get("size_bytes", 0.0), v.get("free_bytes"), v.get("avail_bytes")
        if size <= 0 or free is None or avail is None:
            continue
        filesystems.append(Filesystem(mount, device, int(size), int(size - free), int(avail)))
    filesystems.sort(key=lambda f: -f.percent)
    return HostSample(
        at=at,
        cpu=sum(per_core) / len(per_core),
        per_core=per_core,
        load=(
            load.get("node_load1", 0.0),
            load.get("node_load5", 0.0),
            load.get("node_load15", 0.0),
        ),
        cores=len(per_core),
        memory=Memory(
            int(mem.get("node_memory_MemTotal_bytes", 0)),
            int(mem.get("node_memory_MemAvailable_bytes", 0)),
            int(mem.get("node_memory_SwapTotal_bytes", 0)),
            int(mem.get("node_memory_SwapFree_bytes", 0)),
        ),
        filesystems=tuple(filesystems[:MAX_FILESYSTEMS]),
        top_cpu=(),
        top_memory=(),
        net_rx=net.get("rx", 0.0),
        net_tx=net.get("tx", 0.0),
    )


def build_history(answers: dict[str, Any]) -> dict[str, list[Point]]:
    """The range queries' answers as chart points by instance."""
    series: dict[str, dict[float, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for name, data in answers.items():
        for r in _result(data):
            instance = str(r["metric"].get("instance", ""))
            for pair in r.get("values") or []:
                try:
                    t, v = float(pair[0]), float(pair[1])
                except (IndexError, TypeError, ValueError):
                    continue
                if v == v:
                    series[instance][t][name] = v
    return {
        instance: [
            Point(t, v.get("cpu"), v.get("memory"), v.get("load"))
            for t, v in sorted(points.items())
            if len(v) == len(HISTORY)
        ]
        for instance, points in series.items()
    }


class NodeExporterFeed:
    """Asks Prometheus every `interval` seconds; each answer is one NodeMetrics change."""

    def __init__(
        self,
        url: str | Endpoint,
        buffer: ChangeBuffer,
        interval: float = 2.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = url if isinstance(url, Endpoint) else endpoint(url)
        self.url = self.endpoint.url  # without credentials: the one every message shows
        self.buffer, self.interval, self.timeout = buffer, interval, timeout
        self.clock = clock
        self._stop = threading.Event()
        self._backfilled: set[str] = set()
        self.step = min(HISTORY_STEP, max(1.0, 5 * interval))
        self.refreshes = 0
        self.took = 0.0  # seconds the last refresh took (every query, answered and parsed)

    def refresh(self) -> NodeMetrics:
        started = time.perf_counter()
        try:
            answers = {
                name: api_get(self.endpoint, "/api/v1/query", {"query": q}, self.timeout)
                for name, q in QUERIES.items()
            }
        except PromError as e:
            self._backfilled.clear()  # after an outage, the charts are filled in again
            return NodeMetrics(self.url, e.status)
        exporters, down = build_exporters(answers, self.clock())
        history: dict[str, list[Point]] = {}
        new = {e.instance for e in exporters if e.sample is not None} - self._backfilled
        if new:
            try:
                history = {i: p for i, p in self.history().items() if i in new}
            except PromError:
                history = {}
            self._backfilled |= new
        self.refreshes += 1
        self.took = time.perf_counter() - started
        message = "" if exporters else "no node_uname_info series: is node-exporter scraped?"
        status = KindStatus(State.LIVE, message)
        return NodeMetrics(self.url, status, tuple(exporters), frozenset(down), history)

    def history(self) -> dict[str, list[Point]]:
        end = self.clock()
        params = {"start": f"{end - HISTORY_SECONDS:.3f}", "end": f"{end:.3f}"}
        params["step"] = f"{self.step:g}"
        return build_history(
            {
                name: api_get(
                    self.endpoint, "/api/v1/query_range", {"query": q, **params}, self.timeout
                )
                for name, q in HISTORY.items()
            }
        )

    def run(self) -> None:
        while not self._stop.is_set():
            self.buffer.put(self.refresh())
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
