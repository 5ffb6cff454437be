"""The incident report inside the console: the timeline so far, as `report` writes it."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static


class ReportScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="report.close"),
        Binding("s", "save", "Save as Markdown", id="report.save"),
    ]
    DEFAULT_CSS = """
    ReportScreen #report-title {
        height: 1; background: $primary-darken-2; text-style: bold; padding: 0 1;
    }
    ReportScreen VerticalScroll { padding: 0 1; }
    """

    def __init__(
        self,
        title: str,
        markdown: str,
        save_to: Path,
        whole: str = "",
        rendered: Text | None = None,
    ) -> None:
        """`rendered`: the Markdown already laid out (made off the UI thread)."""
        super().__init__()
        self.title_text, self.markdown, self.save_to = title, markdown, save_to
        self.whole = whole or markdown  # what `s` saves: every row
        self.rendered = rendered

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="report-title", markup=False)
        with VerticalScroll():
            if self.rendered is not None:
                yield Static(self.rendered, id="report-body")
            else:
                yield Markdown(self.markdown, id="report-body", open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        for scroll in self.query(VerticalScroll):  # none when closed before it was shown
            scroll.focus()

    def action_save(self) -> None:
        try:
            self.save_to.parent.mkdir(parents=True, exist_ok=True)
            self.save_to.write_text(self.whole)
        except OSError as e:
            self.notify(f"cannot write {self.save_to}: {e.strerror}", severity="error")
            return
        self.notify(f"saved {self.save_to}")

    def action_close(self) -> None:
        self.dismiss(None)
