"""The events pane: newest first by real last-seen time, Warnings highlighted, repeats folded."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.store import Event, State, Store
from tui.store.units import age
from widgets.pane import Pane, state_text
from widgets.table import Cells, Column, VirtualTable

COLUMNS = [
    Column("seen", "LAST SEEN", 9, "right"),
    Column("type", "TYPE", 7),
    Column("reason", "REASON", 17),
    Column("object", "OBJECT", 46),
    Column("count", "COUNT", 6, "right"),
    Column("message", "MESSAGE", 50, flex=True),
]


@dataclass(frozen=True, slots=True)
class FoldedEvent:
    key: str
    type: str
    reason: str
    object: str
    message: str
    count: int
    last_seen: float | None

    @property
    def warning(self) -> bool:
        return self.type == "Warning"


def fold_events(events: list[Event], warnings_only: bool = False) -> list[FoldedEvent]:
    """Repeats of the same reason and message about the same object fold into one xN row."""
    newest: dict[str, Event] = {}
    counts: dict[str, int] = {}
    for ev in events:
        if warnings_only and ev.type != "Warning":
            continue
        key = ev.fold_key
        seen = newest.get(key)
        if seen is None:
            newest[key], counts[key] = ev, ev.count
        else:
            counts[key] += ev.count
            if (ev.last_seen or 0.0) > (seen.last_seen or 0.0):
                newest[key] = ev
    out = []
    for key, ev in newest.items():
        obj = f"{ev.object_kind.lower()}/{ev.object_name}" if ev.object_kind else ev.object_name
        ns = ev.object_namespace
        out.append(
            FoldedEvent(
                key=key,
                type=ev.type,
                reason=ev.reason,
                object=f"{ns}/{obj}" if ns else obj,
                message=ev.message,
                count=counts[key],
                last_seen=ev.last_seen,
            )
        )
    out.sort(key=lambda f: (f.last_seen or 0.0, f.warning), reverse=True)
    return out


def event_cells(ev: FoldedEvent, now: float) -> tuple[Cells, str]:
    cells: Cells = (
        age(ev.last_seen, now),
        ev.type,
        ev.reason,
        ev.object,
        f"x{ev.count}" if ev.count > 1 else "",
        ev.message,
    )
    return cells, "warning" if ev.warning else ""


class EventsPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "toggle_warnings", "Warnings only", id="events.warnings"),
    ]

    DEFAULT_CSS = """
    EventsPane .detail { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, store: Store, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.warnings_only = False
        self.table = VirtualTable[FoldedEvent](
            COLUMNS,
            render=lambda e: event_cells(e, self.clock()),
            key=attrgetter("key"),
            id="events-table",
        )
        self.detail = Static("", id="events-detail", classes="detail", markup=False)

    def compose(self) -> ComposeResult:
        yield self.table
        yield self.detail

    def refresh_rows(self) -> None:
        rows = fold_events(list(self.store.events.values()), self.warnings_only)
        table = self.table
        table.set_rows(rows)
        self.show_detail()
        status = self.store.status["events"]
        warnings = sum(1 for r in rows if r.warning)
        title = f"Events {len(rows)}" + (f" / {warnings} warnings" if warnings else "")
        if self.store.events_dropped:
            title += (
                f" (newest {self.store.max_events} kept, {self.store.events_dropped} older not)"
            )
        parts = []
        if status.state is not State.LIVE:
            parts.append(state_text(status, len(rows), self.clock()))
        table.set_class(not status.state.ok and len(rows) > 0, "-stale")
        if self.warnings_only:
            parts.append("warnings only")
        self.set_title(title, " · ".join(parts))
        self.set_class(status.state in (State.FORBIDDEN, State.ERROR), "-trouble")
        table.empty_message = (
            ("no warnings" if self.warnings_only else "no events")
            if status.state.ok
            else f"{status.state.value}: {status.message}"
        )

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        ev = self.table.selected
        text = f"{ev.object} · {ev.reason} · {ev.message}" if ev else ""
        self.detail.update(text, layout=False)  # fixed height: no layout pass

    def action_toggle_warnings(self) -> None:
        self.warnings_only = not self.warnings_only
        self.refresh_rows()
