"""The nodes pane: Ready (NotReady/Unknown with how long), pressures, roles, version, usage."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from textual.app import ComposeResult

from tui.store import Node, State, Store
from tui.store.units import age, fmt_bytes, fmt_cpu, human_duration
from widgets.pane import Pane, state_text
from widgets.table import Cells, Column, VirtualTable

COLUMNS = [
    Column("name", "NAME", 16),
    Column("status", "STATUS", 18),
    Column("pressure", "PRESSURE", 14),
    Column("roles", "ROLES", 20),
    Column("ip", "INTERNAL-IP", 15),
    Column("version", "VERSION", 14),
    Column("cpu", "CPU", 11, "right"),
    Column("memory", "MEM", 12, "right"),
    Column("age", "AGE", 6, "right"),
]


def node_status(node: Node, now: float) -> str:
    if node.ready == "True":
        text = "Ready"
    else:
        text = "NotReady" if node.ready == "False" else "Unknown"
        if node.ready_since:
            text += f" {human_duration(now - node.ready_since)}"
    if node.unschedulable:
        text += ",SchedulingDisabled"
    return text


def _pct(used: float, total: float | None) -> str:
    return f" {used / total * 100:.0f}%" if total else ""


def node_cells(node: Node, store: Store, now: float) -> tuple[Cells, str]:
    ms = store.metrics_status
    if ms.state is State.LIVE:
        u = store.node_usage.get(node.name)
        cpu = fmt_cpu(u.cpu_m) + _pct(u.cpu_m, node.cpu_allocatable) if u else ""
        mem = fmt_bytes(u.memory) + _pct(u.memory, node.memory_allocatable) if u else ""
    else:
        cpu = mem = ms.state.value
    cells: Cells = (
        node.name,
        node_status(node, now),
        ",".join(node.pressures) or "-",
        ",".join(node.roles),
        node.internal_ip,
        node.version,
        cpu,
        mem,
        age(node.created, now),
    )
    row = "" if node.healthy else ("critical" if node.ready != "True" else "warning")
    return cells, row


class NodesPane(Pane):
    def __init__(self, store: Store, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.table = VirtualTable[Node](
            COLUMNS,
            render=lambda n: node_cells(n, self.store, self.clock()),
            key=attrgetter("uid"),
            id="nodes-table",
        )

    def compose(self) -> ComposeResult:
        yield self.table

    def refresh_rows(self) -> None:
        nodes = sorted(self.store.nodes.values(), key=attrgetter("order"))
        table = self.table
        table.set_rows(nodes)
        height = min(max(len(nodes), 1), 6) + 3
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height
        bad = sum(1 for n in nodes if not n.healthy)
        status = self.store.status["nodes"]
        sub = "" if status.state is State.LIVE else state_text(status, len(nodes), self.clock())
        table.set_class(not status.state.ok and len(nodes) > 0, "-stale")
        self.set_title(f"Nodes {len(nodes)}" + (f" / {bad} not ready" if bad else ""), sub)
        self.set_class(bad > 0, "-trouble")
        table.empty_message = (
            "no nodes" if status.state.ok else f"{status.state.value}: {status.message}"
        )
