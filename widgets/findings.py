"""The findings pane: the runbook's alerts that hold now, critical first, then the longest
standing; below them, dimmed, the findings that cleared (the timeline). Enter on a
finding asks the app for the palette narrowed to its actions (a FindingChosen message).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static

from tui.store.units import human_duration
from tui.triage import Finding, Severity, Tracker
from widgets.pane import Pane
from widgets.table import Cells, Column, VirtualTable

COLUMNS = [
    Column("sev", "SEV", 4),
    Column("for", "FOR", 5, "right"),
    Column("finding", "FINDING", 26),
    Column("subject", "SUBJECT", 12, flex=True),
]


@dataclass(frozen=True)
class Row:
    key: str
    finding: Finding
    first_seen: float
    cleared: float | None = None  # when it cleared: a row of the timeline


def subject_cell(f: Finding) -> str:
    """The subject's name; with several clusters watched, its context first."""
    name = f.subject.name or "cluster"
    return f"{f.context}: {name}" if f.context else name


def row_cells(row: Row, now: float) -> tuple[Cells, str]:
    f = row.finding
    if row.cleared is not None:
        return ("ok", human_duration(now - row.cleared), f.title, subject_cell(f)), "dim"
    sev = "CRIT" if f.severity is Severity.CRITICAL else "WARN"
    cells: Cells = (sev, human_duration(now - row.first_seen), f.title, subject_cell(f))
    if f.muted:  # silenced or inhibited in Alertmanager: listed, dimmed
        return ("mute", *cells[1:]), "dim"
    return cells, "critical" if f.severity is Severity.CRITICAL else "warning"


def detail_text(row: Row | None, offers: Callable[[str], bool] = lambda _id: True) -> str:
    if row is None:
        return ""
    f = row.finding
    if row.cleared is not None:
        took = human_duration(row.cleared - row.first_seen)
        at = time.strftime("%H:%M:%S", time.localtime(row.cleared))
        return f"{f.subject}: cleared at {at}, after {took} · was: {f.evidence}"
    offered = [a for a in f.actions if offers(a)]  # read-only mode: no mutation named
    actions = ", ".join(offered) if offered else "no action here: see the runbook"
    where = f"context {f.context} · " if f.context else ""
    return f"{where}Enter: {actions} · runbook: {f.section}\n{f.subject}: {f.evidence}"


class FindingsPane(Pane):
    DEFAULT_CSS = """
    FindingsPane .detail { height: 2; color: $text-muted; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Actions", id="findings.actions"),
    ]

    class Chosen(Message):
        """The operator wants to act on a finding."""

        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    def __init__(
        self, tracker: Tracker, offers: Callable[[str], bool] = lambda _id: True, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.tracker = tracker
        self.offers = offers  # whether an action is offered (read-only mode: no mutation)
        self.table = VirtualTable[Row](
            COLUMNS,
            render=lambda r: row_cells(r, self.clock()),
            key=lambda r: r.key,
            id="findings-table",
        )
        self.detail = Static("", id="findings-detail", classes="detail", markup=False)
        self.evaluated = False
        self.revision = -1  # the tracker's revision last shown

    def compose(self) -> ComposeResult:
        yield self.table
        yield self.detail

    def refresh_rows(self) -> None:
        t = self.tracker
        rows = [Row(f.key, f, t.first_seen.get(f.key, 0.0)) for f in t.findings()]
        rows += [
            Row(f"cleared:{e.finding.key}:{e.at}", e.finding, e.first_seen, e.at)
            for e in t.cleared()
        ]
        self.table.set_rows(rows)
        active = [r for r in rows if r.cleared is None]
        critical = sum(1 for r in active if r.finding.severity is Severity.CRITICAL)
        title = f"Findings {len(active)}" + (f" / {critical} critical" if critical else "")
        cleared = len(rows) - len(active)
        sub = "Enter: actions" if active else ""
        if cleared:
            sub += (" · " if sub else "") + f"{cleared} cleared"
        self.set_title(title, sub)
        self.set_class(critical > 0, "-trouble")
        self.table.empty_message = (
            "nothing the runbook alerts on" if self.evaluated else "waiting for the first lists"
        )
        self.show_detail()

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self.show_detail()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        row = self.table.selected
        if row is not None and row.cleared is None:
            self.post_message(self.Chosen(row.finding))

    def show_detail(self) -> None:
        self.detail.update(detail_text(self.table.selected, self.offers), layout=False)
