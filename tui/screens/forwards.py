"""`:pf`: the console's port-forwards, live: local port, target, the pod it reaches now,
bytes each way, connections, state. `x` closes the selected one; all close at exit."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tui.store.units import fmt_bytes
from widgets.footer import focus_then_footer
from widgets.screen import SettledScreen

COLUMNS = ("LOCAL", "TARGET", "POD NOW", "IN", "OUT", "CONN", "STATE")


class ForwardsScreen(SettledScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="pf.close"),
        Binding("x", "stop_forward", "Close the forward", id="pf.stop"),
    ]
    DEFAULT_CSS = """
    ForwardsScreen #pf-title { height: 1; background: $primary-darken-2; text-style: bold; }
    ForwardsScreen #pf-hint { height: 1; color: $text-muted; }
    """

    def __init__(self, forwarder: Any) -> None:
        super().__init__()
        self.forwarder = forwarder

    def compose(self) -> ComposeResult:
        yield Static(" Port-forwards · 127.0.0.1 only · x closes one", id="pf-title")
        table: DataTable[str] = DataTable(id="pf-table", cursor_type="row")
        table.add_columns(*COLUMNS)
        yield table
        yield Static(" pod.port-forward or service.port-forward (palette) opens one", id="pf-hint")

    def on_mount(self) -> None:
        self.fill()
        self.set_interval(1.0, self.fill)
        focus_then_footer(self, self.query_one(DataTable))

    def fill(self) -> None:
        table = self.query_one("#pf-table", DataTable)
        rows = [
            (
                str(f.id),
                (
                    f"127.0.0.1:{f.local_port}",
                    f.target,
                    f.pod,
                    fmt_bytes(f.bytes_in),
                    fmt_bytes(f.bytes_out),
                    f"{f.active}/{f.connections}",
                    f.state,
                ),
            )
            for f in self.forwarder.listed()
        ]
        keys = [k for k, _ in rows]
        if [str(r.value) for r in table.rows] != keys:
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            return
        for key, cells in rows:
            for col, value in zip(table.columns, cells, strict=True):
                table.update_cell(key, col, value)

    def action_stop_forward(self) -> None:
        table = self.query_one("#pf-table", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        for f in self.forwarder.listed():
            if str(f.id) == key:
                self.forwarder.close(f)
                self.notify(f"closed 127.0.0.1:{f.local_port} → {f.target}")
        self.fill()

    def action_close(self) -> None:
        self.dismiss(None)
