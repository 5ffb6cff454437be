"""Every node's figures from one Prometheus: what its node-exporters say, matched to the
cluster's nodes; no Textual, no I/O.

An exporter is matched to a node by `node_uname_info{nodename}` equal to the node's
name, else by the node's InternalIP as the host part of its `instance`. Every node gets
a host view (a node without a match says so); with no node known (the API down, hosts
first) every exporter is a host of its own, named by its nodename.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tui.store.host import HostSample, HostView, Point
from tui.store.models import Node
from tui.store.status import KindStatus, State


@dataclass(frozen=True, slots=True)
class Exporter:
    instance: str  # "10.0.0.5:9100"
    nodename: str  # node_uname_info's, "" when the exporter has no uname collector
    sample: HostSample | None  # None: scraped, but not every figure is there yet

    @property
    def address(self) -> str:
        """The host part of the instance: "10.0.0.5:9100" -> "10.0.0.5", "[::1]:9100" -> "::1"."""
        if self.instance.startswith("["):
            return self.instance[1:].split("]", 1)[0]
        host, sep, _ = self.instance.rpartition(":")
        return host if sep and ":" not in host else self.instance


@dataclass(frozen=True)
class NodeMetrics:
    """One refresh of the Prometheus source: its state, every exporter's figures, the
    exporters whose scrape fails (`up == 0`), and once, the last ten minutes."""

    url: str
    status: KindStatus
    exporters: tuple[Exporter, ...] = ()
    down: frozenset[str] = frozenset()  # instances
    history: Mapping[str, list[Point]] = field(default_factory=dict)  # by instance


def match(nodes: Iterable[Node], exporters: Iterable[Exporter]) -> dict[str, Exporter]:
    """Node name -> its exporter: by nodename first, then by InternalIP."""
    by_name: dict[str, Exporter] = {}
    by_ip: dict[str, Exporter] = {}
    for e in exporters:
        if e.nodename:
            by_name.setdefault(e.nodename, e)
        by_ip.setdefault(e.address, e)
    out: dict[str, Exporter] = {}
    for node in nodes:
        found = by_name.get(node.name) or (
            by_ip.get(node.internal_ip) if node.internal_ip else None
        )
        if found is not None:
            out[node.name] = found
    return out


@dataclass
class Fleet:
    """What the store keeps of the Prometheus source besides the host views."""

    url: str = ""
    status: KindStatus | None = None  # None: no Prometheus source
    unmatched: int = 0  # exporters that are no node's
    exporters: int = 0


def apply_node_metrics(
    hosts: dict[str, HostView], nodes: Mapping[str, Node], fleet: Fleet, ch: NodeMetrics
) -> None:
    """Give each node's view its exporter's figures, or the reason it has none (`nodes`:
    the store's, by uid)."""
    fleet.url = ch.url
    fleet.status = (
        KindStatus(ch.status.state, ch.status.message, fleet.status.since)
        if fleet.status is not None and fleet.status.state is ch.status.state
        else ch.status
    )
    if not ch.status.state.ok:  # Prometheus itself fails: every view it fed says so
        for view in hosts.values():
            if view.metrics_status is not None:
                view.apply_metrics(ch.status, None)
        return
    node_list = sorted(nodes.values(), key=lambda n: n.name)
    if node_list:
        matched = match(node_list, ch.exporters)
        names = [n.name for n in node_list]
    else:  # no node known: each exporter is a host of its own
        matched = {e.nodename or e.address: e for e in ch.exporters}
        names = sorted(matched)
    used = {e.instance for e in matched.values()}
    fleet.exporters = len(ch.exporters)
    fleet.unmatched = sum(1 for e in ch.exporters if e.instance not in used)
    for name in names:
        view = hosts.setdefault(name, HostView(name, ""))
        exporter = matched.get(name)
        if exporter is None:
            ip = next((n.internal_ip for n in node_list if n.name == name), "")
            why = f"no node-exporter in Prometheus for {name}: none has nodename={name}"
            why += f" or instance {ip}:…" if ip else ""
            view.apply_metrics(KindStatus(State.ABSENT, why), None)
        elif exporter.instance in ch.down:
            view.apply_metrics(
                KindStatus(
                    State.UNREACHABLE, f"Prometheus cannot scrape {exporter.instance} (up=0)"
                ),
                None,
                exporter.instance,
            )
        elif exporter.sample is None:
            view.apply_metrics(
                KindStatus(State.CONNECTING, f"{exporter.instance}: waiting for two scrapes"),
                None,
                exporter.instance,
            )
        else:
            if exporter.instance in ch.history:
                view.backfill(ch.history[exporter.instance])
            view.apply_metrics(KindStatus(State.LIVE), exporter.sample, exporter.instance)
    for name, view in list(hosts.items()):  # a node gone: its Prometheus-only view goes
        if name not in names and view.metrics_status is not None:
            if view.sampled:
                view.metrics, view.metrics_status = None, None
            else:
                del hosts[name]
