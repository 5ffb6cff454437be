"""The incident report inside the console: the timeline so far, as `report` writes it."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widgets import Static
from textual_plotext import PlotextPlot

from widgets.footer import QuietFooter
from widgets.screen import SettledScreen
from widgets.textlines import TextLines


class ReportScreen(SettledScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="report.close"),
        Binding("s", "save", "Save as Markdown", id="report.save"),
    ]
    DEFAULT_CSS = """
    ReportScreen #report-title {
        height: 1; background: $primary-darken-2; text-style: bold; padding: 0 1;
    }
    ReportScreen TextLines { padding: 0 1; }
    ReportScreen #incident-chart { height: 12; }
    """

    def __init__(
        self,
        title: str,
        markdown: str,
        rendered: list[Strip],
        save_to: Path,
        whole: Path,
        chart: list[tuple[float, int]] | None = None,
    ) -> None:
        """`rendered`: the Markdown laid out, a strip a line (made off the UI thread: see
        TextLines). `whole`: a file with every row, what `s` saves (the screen's, removed
        with it). `chart`: incidents begun per day (day start, count), drawn above."""
        super().__init__()
        self.chart = chart or []
        self.title_text, self.markdown, self.save_to = title, markdown, save_to
        self.whole = whole
        self.rendered = rendered

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="report-title", markup=False)
        if self.chart:
            yield PlotextPlot(id="incident-chart")
        yield TextLines(self.rendered, id="report-body")
        yield QuietFooter()

    def on_mount(self) -> None:
        if self.chart:
            plt = self.query_one("#incident-chart", PlotextPlot).plt
            plt.theme("textual-clear")
            days = [datetime.fromtimestamp(at, UTC).strftime("%m-%d") for at, _ in self.chart]
            plt.bar(days, [n for _, n in self.chart], marker="sd")
            plt.title(f"incidents per day · {sum(n for _, n in self.chart)} in {len(days)} days")
        for body in self.query(TextLines):  # none when closed before it was shown
            body.focus()

    async def action_save(self) -> None:
        """A copy of the whole report, in a thread (it can be tens of megabytes)."""
        try:
            self.save_to.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.copyfile, self.whole, self.save_to)
        except OSError as e:
            self.notify(f"cannot write {self.save_to}: {e.strerror}", severity="error")
            return
        self.notify(f"saved {self.save_to}")

    def on_unmount(self) -> None:
        self.whole.unlink(missing_ok=True)

    def action_close(self) -> None:
        self.dismiss(None)
