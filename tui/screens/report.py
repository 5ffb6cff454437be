"""The incident report inside the console: the timeline so far, as `report` writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Markdown, Static
from textual_plotext import PlotextPlot

from widgets.footer import QuietFooter


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
    ReportScreen #incident-chart { height: 12; }
    """

    def __init__(
        self,
        title: str,
        markdown: str,
        save_to: Path,
        whole: str = "",
        rendered: Text | None = None,
        chart: list[tuple[float, int]] | None = None,
    ) -> None:
        """`rendered`: the Markdown already laid out (made off the UI thread). `chart`:
        incidents begun per day (day start, count), drawn above the report."""
        super().__init__()
        self.chart = chart or []
        self.title_text, self.markdown, self.save_to = title, markdown, save_to
        self.whole = whole or markdown  # what `s` saves: every row
        self.rendered = rendered

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="report-title", markup=False)
        if self.chart:
            yield PlotextPlot(id="incident-chart")
        with VerticalScroll():
            if self.rendered is not None:
                yield Static(self.rendered, id="report-body")
            else:
                yield Markdown(self.markdown, id="report-body", open_links=False)
        yield QuietFooter()

    def on_mount(self) -> None:
        if self.chart:
            plt = self.query_one("#incident-chart", PlotextPlot).plt
            plt.theme("textual-clear")
            days = [datetime.fromtimestamp(at, UTC).strftime("%m-%d") for at, _ in self.chart]
            plt.bar(days, [n for _, n in self.chart], marker="sd")
            plt.title(f"incidents per day · {sum(n for _, n in self.chart)} in {len(days)} days")
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
