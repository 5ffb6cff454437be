"""The Flux pane: `flux get all -A` as one live table, failing objects first."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from tui.store import State, Store
from tui.store.flux import FluxObject
from tui.store.units import age, human_duration, parse_time
from widgets.pane import Pane, state_text
from widgets.table import Cells, Column, VirtualTable

COLUMNS = [
    Column("kind", "KIND", 21),
    Column("namespace", "NAMESPACE", 12),
    Column("name", "NAME", 22),
    Column("revision", "REVISION", 20),
    Column("suspended", "SUSPENDED", 9),
    Column("ready", "READY", 7),
    Column("reconciled", "RECONCILED", 10, "right"),
    Column("message", "MESSAGE", 30, flex=True),
]


def revision_cell(o: FluxObject, now: float) -> str:
    """REVISION, or what the CLI shows for image kinds in its place."""
    extra = dict(o.extra)
    if o.kind == "ImageRepository":
        t = parse_time(extra.get("LAST SCAN"))
        return f"scanned {human_duration(now - t)} ago" if t else ""
    if o.kind == "ImagePolicy":
        image, tag = extra.get("IMAGE", ""), extra.get("TAG", "")
        return f"{image.rsplit('/', 1)[-1]}:{tag}" if tag else image
    if o.kind == "ImageUpdateAutomation":
        t = parse_time(extra.get("LAST RUN"))
        return f"ran {human_duration(now - t)} ago" if t else ""
    return o.revision


def flux_cells(o: FluxObject, now: float) -> tuple[Cells, str]:
    ready = o.ready + (" Stalled" if o.stalled else "") + (" …" if o.reconciling else "")
    message = ("SOPS: " if o.sops_failure else "") + o.message
    cells: Cells = (
        o.kind,
        o.namespace,
        o.name,
        revision_cell(o, now),
        str(o.suspended),
        ready,
        age(o.last_reconcile, now) if o.last_reconcile else "",
        message,
    )
    row = (
        "critical"
        if o.failing
        else ("warning" if o.reconciling else ("dim" if o.suspended else ""))
    )
    return cells, row


def flux_detail(o: FluxObject, store: Store) -> str:
    """Conditions and the source chain of the selected object, as flux trace would."""
    conds = " ".join(
        f"{c.type}={c.status}" + (f"({c.reason})" if c.reason else "") for c in o.conditions
    )
    parts = [f"{o.kind}/{o.namespace}/{o.name}", conds or "no conditions"]
    if o.source_kind:
        source = next(
            (
                s
                for s in store.flux_objects()
                if s.kind == o.source_kind
                and s.name == o.source_name
                and s.namespace == o.source_namespace
            ),
            None,
        )
        where = f"{o.source_kind}/{o.source_namespace}/{o.source_name}"
        parts.append(
            f"source {where}: Ready={source.ready} {source.revision}"
            if source
            else f"source {where}: not found"
        )
    about = [
        e
        for e in store.events.values()
        if e.object_kind == o.kind and e.object_name == o.name and e.object_namespace == o.namespace
    ]
    if about:
        newest = max(about, key=lambda e: e.last_seen or 0.0)
        parts.append(f"last event {newest.type} {newest.reason}: {newest.message}")
    return " · ".join(parts)


class FluxPane(Pane):
    DEFAULT_CSS = """
    FluxPane .detail { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, store: Store, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.table = VirtualTable[FluxObject](
            COLUMNS,
            render=lambda o: flux_cells(o, self.clock()),
            key=attrgetter("uid"),
            id="flux-table",
        )
        self.detail = Static("", id="flux-detail", classes="detail", markup=False)

    def compose(self) -> ComposeResult:
        yield self.table
        yield self.detail

    def refresh_rows(self) -> None:
        rows = sorted(self.store.flux_objects(), key=attrgetter("order"))
        self.table.set_rows(rows)
        failing = sum(1 for o in rows if o.failing)
        status = self.store.status.get("flux")
        title = f"Flux {len(rows)}" + (f" / {failing} not ready" if failing else "")
        problems = [
            f"{kind.split('/', 1)[1]} {s.state.value}"
            for kind, s in self.store.status.items()
            if kind.startswith("flux/") and not s.state.ok
        ]
        sub = ""
        if status is None:
            sub = "discovering Flux"
        elif status.state is State.ABSENT:
            sub = "Flux is not installed on this cluster"
        elif not status.state.ok:
            sub = state_text(status, len(rows), self.clock())
        elif problems:
            sub = " · ".join(problems)
        self.set_title(title, sub)
        self.set_class(failing > 0, "-trouble")
        self.table.empty_message = sub or "no Flux objects"
        if status is not None and status.state is State.NO_CLUSTER:
            self.table.empty_message = f"{status.state.value}: {status.message}"
        self.show_detail()

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        o = self.table.selected
        self.detail.update(flux_detail(o, self.store) if o else "", layout=False)
