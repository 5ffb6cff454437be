"""The help screen: every key binding with its id (for [keys] in the config) and description."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(title="Keys", expand=True, show_edge=False)
        table.add_column("where")
        table.add_column("key", style="bold")
        table.add_column("what")
        table.add_column("id (for [keys] in config.toml)")
        for where, key, what, bid in self.rows:
            table.add_row(where, key, what, bid)
        with VerticalScroll():
            yield Static(table)
            yield Static(
                "Esc closes. Keys are remapped in $XDG_CONFIG_HOME/incident-console/config.toml.",
                markup=False,
            )


def binding_rows(sources: list[tuple[str, list[BindingType]]]) -> list[tuple[str, str, str, str]]:
    rows = []
    for where, bindings in sources:
        for b in bindings:
            if isinstance(b, Binding):
                rows.append((where, b.key_display or b.key, b.description, b.id or ""))
    return rows
