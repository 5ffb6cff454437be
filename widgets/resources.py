"""Any kind's rows, as kubectl prints them (`:kind`), with what the runbook asks of each:
a Service's ready and not-ready endpoints and the pods behind them, an Ingress's routes
to their endpoints and its TLS certificate's state, any kind's Ready condition."""

from __future__ import annotations

from operator import attrgetter
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from tui.store import State, Store
from tui.store.pods import FAILING, NOT_READY
from tui.store.resources import Row
from widgets.pane import Pane, state_text
from widgets.scrolling import InputBox
from widgets.table import Cells, Column, VirtualTable

SAMPLE = 500  # rows looked at to size the columns
WIDEST = 48


def columns_of(rows: list[Row]) -> list[Column]:
    """The server's columns (priority 0, as `kubectl get` without -o wide), with the
    namespace first where the rows have one, each as wide as its header or its widest
    cell among the first rows (at most 48; the last takes the room left)."""
    if not rows:
        return [Column("name", "NAME", 30, flex=True)]
    first, sample = rows[0], rows[:SAMPLE]

    def widest(values: list[int], header: str) -> int:
        return min(WIDEST, max([len(header), *values]) + 1)

    cols = []
    if first.namespace:
        cols.append(
            Column(
                "namespace", "NAMESPACE", widest([len(r.namespace) for r in sample], "NAMESPACE")
            )
        )
    shown = [(i, c) for i, c in enumerate(first.columns) if c.priority == 0]
    for i, c in shown:
        if c.name.lower() == "namespace" and first.namespace:
            continue
        w = widest([len(r.cells[i]) for r in sample if i < len(r.cells)], c.name)
        cols.append(Column(str(i), c.name.upper(), w, "left", flex=c is shown[-1][1]))
    return cols


def attention(row: Row, store: Store) -> int:
    """How much the row needs the operator: its Ready condition, and for a Service with
    a selector, whether any endpoint is ready behind it (the runbook's "no endpoints")."""
    if row.attention:
        return row.attention
    if row.kind == "services" and row.facts.get("selector"):
        found = store.backends(row.namespace, row.name)
        return FAILING if found is None or not found[0] else row.attention
    if row.kind == "ingresses.networking.k8s.io":
        dead = any(
            (b := store.backends(row.namespace, r.service)) is None or not b[0]
            for r in row.facts.get("routes", ())
        )
        unissued = any(
            (c := certificate(store, row.namespace, secret)) is not None and c.ready != "True"
            for _, secret in row.facts.get("tls", ())
        )
        return NOT_READY if dead or unissued else row.attention
    return row.attention


def certificate(store: Store, namespace: str, secret: str) -> Any:
    """cert-manager's Certificate that writes this TLS secret (named after it)."""
    return next(
        (
            c
            for c in store.objects.get("certificates", {}).values()
            if c.namespace == namespace and c.name == secret
        ),
        None,
    )


def row_cells(row: Row, store: Store) -> tuple[Cells, str]:
    cells = [row.namespace] if row.namespace else []
    for i, c in enumerate(row.columns):
        if c.priority != 0 or (c.name.lower() == "namespace" and row.namespace):
            continue
        cells.append(row.cells[i] if i < len(row.cells) else "")
    style = {FAILING: "critical", NOT_READY: "warning"}.get(attention(row, store), "")
    return tuple(cells), style


def row_detail(row: Row, store: Store) -> str:
    """One line that answers the runbook's question about the selected row."""
    if row.message and row.ready != "True":
        return f"{row.key} · Ready={row.ready or '?'}({row.reason}): {row.message}"
    if row.kind == "services":
        return f"{row.key} · " + service_backends(store, row.namespace, row.name)
    if row.kind == "ingresses.networking.k8s.io":
        return f"{row.key} · " + ingress_routes(store, row)
    if row.kind == "secrets":
        keys = ", ".join(f"{k} ({n} bytes)" for k, n in row.facts.get("keys", ()))
        return f"{row.key} · keys: {keys or 'none'} (values are never shown)"
    state = f"Ready={row.ready}" if row.ready else ""
    return " · ".join(p for p in (row.key, state, row.message) if p)


def service_backends(store: Store, namespace: str, name: str) -> str:
    """A Service's ready and not-ready endpoint addresses, and the pods behind them."""
    found = store.backends(namespace, name)
    if found is None:
        return "no EndpointSlice nor Endpoints for it"
    ready, waiting, source = found
    text = f"ready {len(ready)}: {', '.join(ready) or 'none'}"
    if waiting:
        text += f" · not ready {len(waiting)}: {', '.join(waiting)}"
    return f"{text} ({source})"


def ingress_routes(store: Store, row: Row) -> str:
    """Each rule's host/path -> service:port -> ready endpoints; TLS secret -> certificate."""
    parts = []
    for r in row.facts.get("routes", ()):
        found = store.backends(row.namespace, r.service)
        behind = "no such Service" if found is None else f"{len(found[0])} ready"
        parts.append(f"{r.host}{r.path} → {r.service}:{r.port} ({behind})")
    for _hosts, secret in row.facts.get("tls", ()):
        cert = certificate(store, row.namespace, secret)
        state = "no Certificate" if cert is None else f"Ready={cert.ready}"
        if cert is not None and cert.ready != "True" and cert.message:
            state += f": {cert.message}"
        parts.append(f"TLS {secret}: {state}")
    return " · ".join(parts) or "no rules"


class ResourcePane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: run as the key arrives, before the next key is dispatched (`/` then
        # `s` typed at once: the `s` reached the table's bindings and opened a form)
        Binding("slash", "filter", "Filter", id="resources.filter", priority=True),
    ]
    DEFAULT_CSS = """
    ResourcePane Input { dock: bottom; height: 1; border: none; padding: 0 1; display: none; }
    ResourcePane Input.-active { display: block; }
    ResourcePane Input:focus { border: none; background: $accent 30%; }
    ResourcePane .detail { height: 2; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, store: Store, key: str, title: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.store, self.key, self.title = store, key, title
        self.filter_text = ""
        self.table = VirtualTable[Row](
            columns_of([]),
            render=lambda r: row_cells(r, self.store),
            key=attrgetter("uid"),
            id="resources-table",
        )
        self.detail = Static("", classes="detail", markup=False)
        self.filter_box = InputBox(placeholder="filter: words in namespace/name and cells")

    def compose(self) -> ComposeResult:
        yield self.table
        yield self.detail
        yield self.filter_box

    def refresh_rows(self) -> None:
        found = list(self.store.objects.get(self.key, {}).values())
        words = self.filter_text.lower().split()
        matching = [r for r in found if all(w in r.haystack for w in words)] if words else found
        # 4 times a second while 10,000 rows load or change: what the kind needs, no more
        if self.key.split("@")[0] in ("resource/services", "resource/ingresses.networking.k8s.io"):
            rows = sorted(matching, key=lambda r: (-attention(r, self.store), r.namespace, r.name))
            bad = sum(1 for r in found if attention(r, self.store))
        else:  # their attention is their own (see attention)
            rows = sorted(matching, key=attrgetter("order"))
            bad = sum(1 for r in found if r.attention)
        wanted = columns_of(rows)
        if wanted != self.table.columns:
            self.table.set_columns(wanted)
        self.table.set_rows(rows)
        status = self.store.status.get(self.key)
        sub = (
            ""
            if status is None or status.state is State.LIVE
            else state_text(status, len(found), self.clock())
        )
        if self.filter_text:
            sub = " · ".join(p for p in (sub, f"filter “{self.filter_text}”: {len(rows)}") if p)
        self.set_title(f"{self.title} {len(found)} / {bad} not ready", sub)
        self.set_class(bad > 0, "-trouble")
        if status is not None and not status.state.ok:
            self.table.empty_message = f"{status.state.value}: {status.message}"
        else:
            self.table.empty_message = "none" if not found else "no row matches"
        self.show_detail()

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        row = self.table.selected
        self.detail.update(row_detail(row, self.store) if row is not None else "", layout=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`/` typed in the filter box is a character of the filter, not the binding."""
        return not (action == "filter" and self.filter_box.has_focus)

    def action_filter(self) -> None:
        self.filter_box.add_class("-active")
        self.filter_box.value = self.filter_text
        self.filter_box.display = True
        self.screen.set_focus(self.filter_box)  # at once: the next letter goes into it

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value
        self.refresh_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()
