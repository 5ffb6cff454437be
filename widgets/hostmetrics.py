"""The node metrics pane: a compact row per host, the selected host in detail, and its
CPU, memory and load over the last ten minutes as plotext charts.

Values are coloured by the runbook's thresholds: a disk at 90 % or more, memory at
95 % or more, a load above the core count. A host that is down or refused says why
in place of its numbers; the charts keep the gap.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui.store import State, Store
from tui.store.host import (
    DISK_FULL_PERCENT,
    HISTORY_SECONDS,
    MEMORY_FULL_PERCENT,
    HostSample,
    HostView,
)
from tui.store.units import fmt_bytes, human_duration
from widgets.pane import Pane, state_text

CHART_INTERVAL = 1.0  # a chart is redrawn at most once a second


def ago(seconds: float) -> str:
    return f"{seconds / 60:.0f}m" if seconds >= 120 else f"{seconds:.0f}s"


def level(value: float, warn: float, bad: float) -> str:
    return "bad" if value >= bad else "warn" if value >= warn else "ok"


def rate(n: float) -> str:
    return f"{fmt_bytes(n)}/s" if n >= 1024 else f"{n:.0f}B/s"


def unit_class(active: str) -> str:
    return "ok" if active == "active" else "bad" if active == "failed" else "warn"


class HostSummary(Static):
    """The text half: host rows, then the selected host's numbers and top processes."""

    def __init__(self, clock: Callable[[], float], **kw: Any) -> None:
        super().__init__(**kw)
        self.clock = clock

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "host--name",
        "host--ok",
        "host--warn",
        "host--bad",
        "host--dim",
        "host--label",
    }
    DEFAULT_CSS = """
    HostSummary {
        width: 66; height: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    HostSummary > .host--name { text-style: bold; color: $accent; }
    HostSummary > .host--ok { color: $success; }
    HostSummary > .host--warn { color: $warning; text-style: bold; }
    HostSummary > .host--bad { color: $error; text-style: bold; }
    HostSummary > .host--dim { color: $text-muted; }
    HostSummary > .host--label { color: $text-muted; }
    """

    def build(self, hosts: list[HostView], selected: HostView | None, height: int) -> Text:
        st = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        if not hosts:
            text.append("no host: run with --local or --ssh TARGET", st("host--dim"))
            return text
        lines = 0
        if len(hosts) > 1:
            for view in hosts:
                self._row(text, view, view is selected)
                lines += 1
        if selected is None:
            return text
        if lines:
            text.append("\n")
            lines += 1
        self._detail(text, selected, max(1, height - lines))
        return text

    def _row(self, text: Text, view: HostView, chosen: bool) -> None:
        st = self.get_component_rich_style
        text.append("▶ " if chosen else "  ", st("host--name"))
        text.append(f"{view.name[:20]:20} ", st("host--name" if chosen else "host--label"))
        s = view.sample
        if not view.status.state.ok or s is None:
            text.append(view.status.state.value, st("host--bad" if view.sample else "host--dim"))
            text.append("\n")
            return
        text.append(f"cpu{s.cpu:3.0f}% ", st(f"host--{level(s.cpu, 80, 95)}"))
        mem = s.memory.used_percent
        text.append(f"mem{mem:3.0f}% ", st(f"host--{level(mem, 85, MEMORY_FULL_PERCENT)}"))
        disk = max((f.percent for f in s.filesystems), default=0)
        text.append(f"disk{disk:3d}% ", st(f"host--{level(disk, 80, DISK_FULL_PERCENT)}"))
        text.append(f"load{s.load[0]:5.2f} ", st("host--bad" if s.overloaded else "host--ok"))
        k3s = s.services.k3s
        if k3s is not None:
            state = "✔" if k3s.active == "active" else k3s.active
            text.append(f"k3s {state}", st(f"host--{unit_class(k3s.active)}"))
        text.append("\n")

    def _detail(self, text: Text, view: HostView, room: int) -> None:
        st = self.get_component_rich_style
        text.append(view.name, st("host--name"))
        where = "this machine" if view.target == "local" else view.target
        if where != view.name:
            text.append(f"  {where}", st("host--dim"))
        s = view.sample
        if not view.status.state.ok:
            text.append("\n")
            # the reason is what to fix (a fingerprint, a file): wrapped, never cut
            style = "host--dim" if view.status.state is State.CONNECTING else "host--bad"
            width = max(20, (self.size.width or 64) - 1)
            lines = textwrap.wrap(state_text(view.status, 0, self.clock()), width) or [""]
            text.append("\n".join(lines), st(style))
            if s is not None:
                ago = human_duration(self.clock() - s.at)
                text.append(f"\nlast sample {ago} ago; the charts show the gap", st("host--dim"))
            return
        if s is None:
            text.append("\nwaiting for the first sample", st("host--dim"))
            return
        text.append(f"  {s.cores} cores\n", st("host--dim"))
        self._numbers(text, s)
        used = 6
        if room - used >= 2:
            self._top(text, s, min(10, (room - used) // 2))

    def _numbers(self, text: Text, s: HostSample) -> None:
        st = self.get_component_rich_style
        label = st("host--label")
        text.append("CPU  ", label)
        text.append(f"{s.cpu:5.1f} %", st(f"host--{level(s.cpu, 80, 95)}"))
        cores = " ".join(f"{c:.0f}" for c in s.per_core[:16])
        text.append(f"  cores {cores}\n", st("host--dim"))
        text.append("Load ", label)
        text.append(
            f"{s.load[0]:.2f} {s.load[1]:.2f} {s.load[2]:.2f}",
            st("host--bad" if s.overloaded else "host--ok"),
        )
        text.append(f" / {s.cores} cores\n", st("host--dim"))
        m = s.memory
        text.append("Mem  ", label)
        mem = m.used_percent
        text.append(f"{mem:5.1f} %", st(f"host--{level(mem, 85, MEMORY_FULL_PERCENT)}"))
        text.append(f" of {fmt_bytes(m.total)}", st("host--dim"))
        if m.swap_total:
            text.append(
                f" · swap {fmt_bytes(m.swap_used)}/{fmt_bytes(m.swap_total)}", st("host--dim")
            )
        text.append("\n")
        text.append("Disk ", label)
        disks = sorted(s.filesystems, key=lambda f: -f.percent)[:3]
        for f in disks:
            text.append(f"{f.mount} ", st("host--dim"))
            text.append(f"{f.percent}% ", st(f"host--{level(f.percent, 80, DISK_FULL_PERCENT)}"))
            text.append(f"of {fmt_bytes(f.size)}  ", st("host--dim"))
        if not disks:
            text.append("none reported", st("host--dim"))
        text.append("\n")
        text.append("Net  ", label)
        text.append(f"↓ {rate(s.net_rx)}  ↑ {rate(s.net_tx)}\n", st("host--dim"))
        svc = s.services
        text.append("k3s  ", label)
        k3s = svc.k3s
        if k3s is not None:
            text.append(
                f"{k3s.name} {k3s.active} ({k3s.sub})", st(f"host--{unit_class(k3s.active)}")
            )
        else:
            text.append(svc.note or "no k3s unit on this host", st("host--dim"))
        if svc.journal_errors is not None:
            errors = svc.journal_errors
            text.append("  journal err/1h ", label)
            text.append(str(errors), st("host--warn" if errors else "host--ok"))
        text.append("\n")

    def _top(self, text: Text, s: HostSample, n: int) -> None:
        st = self.get_component_rich_style
        text.append(f"{'TOP CPU':<29}TOP MEM\n", st("host--label"))
        for i in range(n):
            a = s.top_cpu[i] if i < len(s.top_cpu) else None
            b = s.top_memory[i] if i < len(s.top_memory) else None
            left = f"{a.name[:15]:15} {a.cpu:5.1f}%" if a else ""
            right = f"{b.name[:15]:15} {b.memory:5.1f}%" if b else ""
            text.append(f"{left:<29}{right}\n", st("host--dim"))


class HostChart(PlotextPlot):  # type: ignore[misc]
    DEFAULT_CSS = """
    HostChart { width: 1fr; height: 1fr; }
    """


class HostMetricsPane(Pane):
    def __init__(self, store: Store, interval: float = 0.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.interval = interval
        self.selected: str | None = None
        self.summary = HostSummary(self.clock, id="host-summary")
        self.usage = HostChart(id="host-usage-chart")
        self._charted: tuple[str | None, int, float] = (None, -1, 0.0)
        self.chart_draws = 0

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield self.summary
            yield self.usage

    def on_mount(self) -> None:
        self.usage.plt.theme("textual-clear")

    @property
    def host(self) -> HostView | None:
        hosts = self.store.hosts
        if self.selected in hosts:
            return hosts[self.selected]
        return next(iter(hosts.values()), None)

    def select(self, name: str) -> bool:
        if name in self.store.hosts and name != self.selected:
            self.selected = name
            self.refresh_rows(force=True)
            return True
        return False

    def select_next(self) -> None:
        names = list(self.store.hosts)
        if names:
            current = self.host
            i = names.index(current.name) if current else -1
            self.select(names[(i + 1) % len(names)])

    def refresh_rows(self, force: bool = False) -> None:
        hosts = list(self.store.hosts.values())
        view = self.host
        self.summary.update(self.summary.build(hosts, view, self.summary.size.height or 10))
        bad = [h for h in hosts if not h.status.state.ok and h.status.state is not State.CONNECTING]
        hot = [
            h
            for h in hosts
            if h.sample and (h.sample.disk_full or h.sample.memory_full or h.sample.overloaded)
        ]
        title = "Node metrics" + (f" · {view.name}" if view else "")
        if len(hosts) > 1:
            title += f" ({len(hosts)} hosts, h: next)"
        sub = ""
        if view is not None and view.status.state is not State.LIVE:
            sub = view.status.state.value
        elif view is not None and view.sample is not None:
            sub = f"live, every {self.interval:g}s" if self.interval else "live"
        self.set_title(title, sub)
        self.set_class(bool(bad or hot), "-trouble")
        self._draw_charts(view, force)

    def _draw_charts(self, view: HostView | None, force: bool) -> None:
        now = self.clock()
        name, count, drawn = self._charted
        points = len(view.history) if view else 0
        key_changed = (view.name if view else None) != name
        if not force and not key_changed and (points == count or now - drawn < CHART_INTERVAL):
            return
        self._charted = (view.name if view else None, points, now)
        self.chart_draws += 1
        plt = self.usage.plt
        plt.clear_data()
        plt.clear_figure()
        plt.theme("textual-clear")
        # the last ten minutes; less while the history is shorter, so it is readable
        span = HISTORY_SECONDS
        if view is not None and view.history:
            span = min(HISTORY_SECONDS, max(60.0, now - view.history[0].at))
        plt.xlim(-span, 0)
        plt.xticks([-span, -span / 2, 0], [f"-{ago(span)}", f"-{ago(span / 2)}", "now"])
        plt.title("% · cpu mem load/cores")
        top = 100.0
        if view is not None:
            cores = view.sample.cores if view.sample else 1
            series = [
                ("cpu", "cyan", 1.0),
                ("memory", "magenta", 1.0),
                ("load", "yellow", 100.0 / cores),
            ]
            for attr, color, scale in series:
                for i, (xs, ys) in enumerate(view.segments(attr)):
                    values = [y * scale for y in ys]
                    top = max(top, *values)
                    label = ("mem" if attr == "memory" else attr) if i == 0 else None
                    plt.plot([x - now for x in xs], values, color=color, label=label)
        plt.ylim(0, top * 1.05)
        self.usage.refresh()
