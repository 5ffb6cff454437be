"""A reserved place in the layout for a pane that a later version fills."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from widgets.pane import Pane


class ReservedPane(Pane):
    DEFAULT_CSS = """
    ReservedPane > Static { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, title: str, what: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._title, self._what = title, what

    def compose(self) -> ComposeResult:
        yield Static(self._what, markup=False)

    def on_mount(self) -> None:
        self.set_title(self._title, "not in this version")
