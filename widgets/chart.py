"""The host pane's chart, drawn by plotext off the screen's thread.

plotext builds a chart in Python, cell by cell: 5-10 ms for the pane's chart, more
while other threads want the GIL, and the pane redraws it every second a host sends a
point. Built on the screen's thread, it was the worst wait of the keys typed then (the
dashboard's loop late by 20-32 ms while the report opened). The first drawing, and one
at a new size, is made here at once (the screen shows no blank chart); the next ones in
a thread, one at a time, the newest asked for last.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App
from textual_plotext import PlotextPlot


@dataclass(frozen=True)
class Series:
    xs: tuple[float, ...]  # seconds before now, negative
    ys: tuple[float, ...]
    color: str
    label: str | None


@dataclass(frozen=True)
class ChartSpec:
    """What the chart shows: every number plotext needs, taken on the screen's thread."""

    title: str
    span: float  # seconds shown, up to now
    ticks: tuple[tuple[float, str], ...]
    top: float
    series: tuple[Series, ...] = ()


class HostChart(PlotextPlot):  # type: ignore[misc]
    DEFAULT_CSS = """
    HostChart { width: 1fr; height: 1fr; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.spec: ChartSpec | None = None
        self._built: tuple[ChartSpec, tuple[int, int], Text] | None = None
        self._busy = False  # a thread is building; only it touches the plot then
        self.builds = 0

    def draw(self, spec: ChartSpec) -> None:
        self.spec = spec
        self._start()

    def on_resize(self, _event: events.Resize) -> None:
        self._start()

    def render(self) -> Text:
        return self._built[2] if self._built is not None else Text("")

    def _start(self) -> None:
        spec, size = self.spec, (self.size.width, self.size.height)
        if spec is None or self._busy or 0 in size:
            return
        if self._built is not None and self._built[:2] == (spec, size):
            return
        if self._built is None or self._built[1] != size:  # nothing to show meanwhile
            self._done(spec, size, self._build(spec, size))
            return
        self._busy = True
        args = (self.app, spec, size)
        threading.Thread(target=self._run, args=args, name="chart", daemon=True).start()

    def _run(self, app: App[Any], spec: ChartSpec, size: tuple[int, int]) -> None:
        text = self._build(spec, size)
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            app.call_from_thread(self._done, spec, size, text)

    def _done(self, spec: ChartSpec, size: tuple[int, int], text: Text) -> None:
        self._busy = False
        self._built = (spec, size, text)
        self.builds += 1
        self.refresh()
        self._start()  # asked for again meanwhile (a new point, a new size)

    def _build(self, spec: ChartSpec, size: tuple[int, int]) -> Text:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.theme("textual-clear")
        plt.xlim(-spec.span, 0)
        plt.xticks([x for x, _ in spec.ticks], [label for _, label in spec.ticks])
        plt.title(spec.title)
        for s in spec.series:
            plt.plot(list(s.xs), list(s.ys), color=s.color, label=s.label)
        plt.ylim(0, spec.top * 1.05)
        plt.plotsize(*size)
        plt._set_size(*size)  # as PlotextPlot.render does (textual-plotext issue 5)
        return Text.from_ansi(plt.build())
