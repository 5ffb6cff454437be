"""`kubectl describe pod`, as a scrollable view."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from widgets.footer import focus_then_footer
from widgets.screen import SettledScreen


class DescribeScreen(SettledScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="describe.close"),
    ]
    DEFAULT_CSS = """
    DescribeScreen #describe-title {
        height: 1; background: $primary-darken-2; text-style: bold; padding: 0 1;
    }
    DescribeScreen VerticalScroll { padding: 0 1; }
    """

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="describe-title", markup=False)
        with VerticalScroll():
            yield Static("\n".join(self.lines), id="describe-body", markup=False)

    def on_mount(self) -> None:
        focus_then_footer(self, self.query_one(VerticalScroll))

    def action_close(self) -> None:
        self.dismiss(None)
