"""The help screen: every key binding with its id (for [keys] in the config) and description."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from actions import registry
from widgets.events import EventsPane
from widgets.pods import PodsPane
from widgets.screen import SettledModal
from widgets.table import VirtualTable


def action_bindings() -> list[BindingType]:
    """One binding per action that has a key, with the action's id: remappable, in the help."""
    return [
        Binding(
            a.key, f"run_action('{a.id}')", a.title.split(" (")[0], id=a.id, show=a.key in "lprd"
        )
        for a in registry.all_actions()
        if a.key
    ]


class HelpScreen(SettledModal[None]):
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

    def __init__(self, rows: list[tuple[str, str, str, str]] | None = None) -> None:
        super().__init__()
        self.rows = rows

    @classmethod
    def of(
        cls, everywhere: list[BindingType], panes: dict[str, Any], read_only: bool
    ) -> HelpScreen:
        """The keys everywhere (read-only mode: without the mutations), then each pane's,
        then the `:kind` screen's."""
        from tui.screens.resources import ResourceScreen

        shown = [
            b
            for b in everywhere
            if not (isinstance(b, Binding) and b.id and not registry.offered(b.id, read_only))
        ]
        sources = [("everywhere", shown)]
        sources += [(where, list(pane.BINDINGS)) for where, pane in panes.items()]
        sources.append((":kind views", list(ResourceScreen.BINDINGS)))
        rows = binding_rows(sources)
        rows.insert(
            1,
            (
                "palette",
                ":KIND [NS]",
                "any kind the server serves, live on its own screen (:svc, :ks, :cert default)",
                "",
            ),
        )
        return cls(rows)

    def compose(self) -> ComposeResult:
        if self.rows is None:  # pushed by name: read the App's keys and mode
            app: Any = self.app
            panes = {"pods": PodsPane, "events": EventsPane, "tables": VirtualTable}
            self.rows = HelpScreen.of(app.BINDINGS, panes, app.settings.read_only).rows or []
        table = Table(title="Keys", expand=True, show_edge=False)
        table.add_column("where")
        table.add_column("key", style="bold")
        table.add_column("what")
        table.add_column(Text("id (for [keys] in config.toml)"))
        for where, key, what, bid in self.rows:
            table.add_row(Text(where), Text(key), Text(what), Text(bid))
        settings = getattr(self.app, "settings", None)
        with VerticalScroll():
            if settings is not None and (settings.channel or settings.escalation):
                yield Static(who_to_tell(settings), id="help-contacts", markup=False)
            yield Static(table)
            yield Static(
                "Esc closes. Keys are remapped in $XDG_CONFIG_HOME/incident-console/config.toml.",
                markup=False,
            )


def who_to_tell(settings: Any) -> str:
    """The runbook's escalation matrix and channels, from [notify] in the config."""
    lines = ["Who to tell (the runbook's escalation matrix)"]
    if settings.channel:
        lines.append(f"  incident channel: {settings.channel} (incident.notify posts there)")
    if settings.status_page:
        lines.append(f"  status page: {settings.status_page}")
    lines += [f"  {i}. {step}" for i, step in enumerate(settings.escalation, 1)]
    return "\n".join(lines) + "\n"


def binding_rows(sources: list[tuple[str, list[BindingType]]]) -> list[tuple[str, str, str, str]]:
    rows = []
    for where, bindings in sources:
        for b in bindings:
            if isinstance(b, Binding):
                rows.append((where, b.key_display or b.key, b.description, b.id or ""))
    return rows


class QuitScreen(SettledModal[bool]):
    """`q` on the dashboard asks first: a second `q` typed to close a view must not end
    the console (and its tails, its watches) by surprise."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "leave", "Quit", id="quit.yes"),
        Binding("escape,n", "stay", "Stay", id="quit.no"),
    ]
    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > Static { width: 60; height: 5; border: thick $warning; background: $surface;
        content-align: center middle; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Quit incident-console?\ny or Enter quits · Esc stays", markup=False)

    def action_leave(self) -> None:
        self.app.exit(0)

    def action_stay(self) -> None:
        self.dismiss(False)
