"""The help screen: every key binding with its id (for [keys] in the config) and description."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from actions import registry


def action_bindings() -> list[BindingType]:
    """One binding per action that has a key, with the action's id: remappable, in the help."""
    return [
        Binding(
            a.key, f"run_action('{a.id}')", a.title.split(" (")[0], id=a.id, show=a.key in "lprd"
        )
        for a in registry.all_actions()
        if a.key
    ]


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

    @classmethod
    def of(
        cls, everywhere: list[BindingType], panes: dict[str, Any], read_only: bool
    ) -> HelpScreen:
        """The keys everywhere (read-only mode: without the mutations), then each pane's."""
        mutating = {a.id for a in registry.all_actions() if a.mutating}
        shown = [
            b
            for b in everywhere
            if not (read_only and isinstance(b, Binding) and b.id and b.id in mutating)
        ]
        sources = [("everywhere", shown)]
        sources += [(where, list(pane.BINDINGS)) for where, pane in panes.items()]
        return cls(binding_rows(sources))

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
