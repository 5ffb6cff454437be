"""`:kind [namespace]`: any kind's rows, live, on a screen of their own.

The screen reads the store (its rows arrive like every other feed's) and hands what the
operator asks for to the callbacks it was given: describe, YAML, an action on the row,
the row's actions in the palette. Closing it stops its feed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.store import Store
from tui.store.resources import Row
from widgets.footer import focus_then_footer
from widgets.resources import ResourcePane
from widgets.screen import SettledScreen
from widgets.table import VirtualTable

REFRESH = 0.25  # seconds between two looks at the store
ALSO_READ = ("status", "endpoints", "endpointslices", "certificates")


@dataclass(frozen=True)
class RowHandlers:
    view: Callable[[Row, Literal["describe", "yaml"]], None]
    act: Callable[[str, Row], None]  # an action id on the row
    choose: Callable[[Row], object]  # the row's actions, in the palette
    closed: Callable[[], None]
    can_delete: bool


class ResourceScreen(SettledScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="kind.close"),
        Binding("d", "view('describe')", "Describe", id="kind.describe"),
        Binding("y", "view('yaml')", "YAML", id="kind.yaml"),
        Binding("t", "trace", "Trace (Flux)", id="kind.trace"),
        Binding("D", "delete", "Delete", id="kind.delete"),
        Binding("enter", "choose", "Actions", id="kind.actions"),
    ]
    DEFAULT_CSS = """
    ResourceScreen #kind-title {
        height: 1; background: $primary-darken-2; text-style: bold; padding: 0 1;
    }
    """

    def __init__(
        self, store: Store, key: str, title: str, context: str, handlers: RowHandlers
    ) -> None:
        super().__init__()
        self.store, self.key, self.handlers = store, key, handlers
        self.heading = f" {title} · context {context}"
        self.pane = ResourcePane(store, key, title, id="resources")
        self._seen = -1

    def compose(self) -> ComposeResult:
        yield Static(self.heading, id="kind-title", markup=False)
        yield self.pane

    def on_mount(self) -> None:
        focus_then_footer(self, self.pane.table)
        self.set_interval(REFRESH, self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        # its rows, and what the views read beside them (addresses, certificates)
        v = self.store.versions
        version = sum(v.get(k, 0) for k in (self.key, *ALSO_READ))
        if version != self._seen:
            self._seen = version
            self.pane.refresh_rows()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete":
            return self.handlers.can_delete
        return True

    @property
    def row(self) -> Row | None:
        return self.pane.table.selected

    def action_view(self, mode: str) -> None:
        if self.row is not None:
            self.handlers.view(self.row, "yaml" if mode == "yaml" else "describe")

    def action_trace(self) -> None:
        if self.row is not None:
            self.handlers.act("flux.trace", self.row)

    def action_delete(self) -> None:
        if self.row is not None:
            self.handlers.act("resource.delete", self.row)

    def action_choose(self) -> None:
        if self.row is not None:
            self.handlers.choose(self.row)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.action_choose()

    def action_close(self) -> None:
        self.handlers.closed()
        self.dismiss()
