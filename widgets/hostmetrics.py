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

from tui.store import KindStatus, State, Store
from tui.store.fleet import Fleet
from tui.store.host import (
    DISK_FULL_PERCENT,
    HISTORY_SECONDS,
    MEMORY_FULL_PERCENT,
    HostSample,
    HostView,
    in_node_order,
)
from tui.store.units import fmt_bytes, human_duration
from widgets.pane import Pane, state_text

CHART_INTERVAL = 1.0  # a chart is redrawn at most once a second
DETAIL_ROOM = 7  # lines one host's detail needs at the least (else: the fleet's rows)


def in_trouble(view: HostView) -> bool:
    s = view.figures
    if s is None:
        return view.status.state is not State.CONNECTING
    return bool(s.disk_full or s.memory_full or s.overloaded)


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

    def __init__(self, clock: Callable[[], float], fleet: Fleet | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.clock = clock
        self.fleet = fleet  # the Prometheus source's state, where there is one

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
        if len(hosts) > 1 and len(hosts) + DETAIL_ROOM > height:
            self._fleet(text, hosts, selected, height)
            return text
        if len(hosts) > 1:
            width = min(20, max(len(v.name) for v in hosts))
            for view in hosts:
                self._row(text, view, view is selected, width)
            text.append("\n")
        if selected is not None:
            self._detail(text, selected, max(1, height - len(hosts) - 1))
        return text

    def _fleet(
        self, text: Text, hosts: list[HostView], selected: HostView | None, height: int
    ) -> None:
        """More hosts than fit beside one host's detail: the hosts in trouble named on one
        line, a row per host around the selected one, and two lines about the selected."""
        st = self.get_component_rich_style
        trouble = [v.name for v in hosts if in_trouble(v)]
        text.append(f"{len(hosts)} hosts", st("host--label"))
        prom = self.fleet.status if self.fleet is not None else None
        if prom is not None and not prom.state.ok and prom.state is not State.CONNECTING:
            text.append(f" · prometheus {prom.state.value}: {prom.message}", st("host--bad"))
        elif trouble:
            text.append(f" · {len(trouble)} in trouble: ", st("host--bad"))
            text.append(" ".join(trouble[:6]) + (" …" if len(trouble) > 6 else ""), st("host--bad"))
        else:
            text.append(" · none in trouble", st("host--ok"))
        text.append(" · h/H: move\n", st("host--dim"))
        shown = max(1, min(len(hosts), height - 3))
        at = hosts.index(selected) if selected in hosts else 0
        first = min(max(0, at - shown // 2), len(hosts) - shown)
        width = min(20, max(len(v.name) for v in hosts))
        for view in hosts[first : first + shown]:
            self._row(text, view, view is selected, width)
        if selected is not None:
            self._sources(text, selected)
            live = selected.sample if selected.sampled and selected.status.state.ok else None
            self._services(text, live, selected)

    def _row(self, text: Text, view: HostView, chosen: bool, width: int = 20) -> None:
        st = self.get_component_rich_style
        text.append("▶ " if chosen else "  ", st("host--name"))
        name = f"{view.name[:width]:{width}} "
        text.append(name, st("host--name" if chosen else "host--label"))
        s = view.figures
        if s is None:
            text.append(
                view.status.state.value, st("host--bad" if in_trouble(view) else "host--dim")
            )
            text.append("\n")
            return
        text.append(f"cpu{s.cpu:3.0f}% ", st(f"host--{level(s.cpu, 80, 95)}"))
        mem = s.memory.used_percent
        text.append(f"mem{mem:3.0f}% ", st(f"host--{level(mem, 85, MEMORY_FULL_PERCENT)}"))
        disk = max((f.percent for f in s.filesystems), default=0)
        text.append(f"disk{disk:3d}% ", st(f"host--{level(disk, 80, DISK_FULL_PERCENT)}"))
        load = f"{s.load[0]:.2f}/{s.cores}"
        text.append(f"load {load:8} ", st("host--bad" if s.overloaded else "host--ok"))
        live = view.sample if view.sampled and view.status.state.ok else None
        k3s = live.services.k3s if live is not None else None
        if k3s is not None:
            state = "✔" if k3s.active == "active" else k3s.active
            text.append(f"k3s {state}", st(f"host--{unit_class(k3s.active)}"))
        elif view.sampled and not view.status.state.ok:
            text.append(f"ssh {view.status.state.value}", st("host--warn"))
        elif not view.sampled:
            text.append("prom", st("host--dim"))
        text.append("\n")

    def _detail(self, text: Text, view: HostView, room: int) -> None:
        st = self.get_component_rich_style
        text.append(view.name, st("host--name"))
        where = "this machine" if view.target == "local" else view.target
        if where and where != view.name:
            text.append(f"  {where}", st("host--dim"))
        s = view.figures
        if s is None:
            text.append("\n")
            # the reason is what to fix (a fingerprint, a file): wrapped, never cut
            width = max(20, (self.size.width or 64) - 1)
            for label, status in self._states(view):
                style = "host--dim" if status.state is State.CONNECTING else "host--bad"
                lines = textwrap.wrap(label + state_text(status, 0, self.clock()), width)
                text.append("\n".join(lines or [""]) + "\n", st(style))
            last = view.sample or view.metrics
            if last is not None:
                ago = human_duration(self.clock() - last.at)
                text.append(f"last sample {ago} ago; the charts show the gap", st("host--dim"))
            return
        text.append(f"  {s.cores} cores\n", st("host--dim"))
        self._sources(text, view)
        self._numbers(text, s)
        live = view.sample if view.sampled and view.status.state.ok else None
        self._services(text, live, view)
        used = 6 + (view.metrics_status is not None)
        if live is not None and room - used >= 2:
            self._top(text, live, min(10, (room - used) // 2))

    def _states(self, view: HostView) -> list[tuple[str, KindStatus]]:
        """Why a host has no figures: its sampler's state, and Prometheus's."""
        out = []
        if view.sampled:
            out.append(("" if view.metrics_status is None else "ssh: ", view.status))
        if view.metrics_status is not None:
            out.append(("prometheus: ", view.metrics_status))
        return out

    def _sources(self, text: Text, view: HostView) -> None:
        """Which source each figure comes from, where Prometheus is one (else the header
        says: this machine or the SSH target)."""
        if view.metrics_status is None:
            return
        st = self.get_component_rich_style
        text.append("From ", st("host--label"))
        figures = view.figures_from
        if figures == "prometheus":
            figures += f" {view.exporter}" if view.exporter else ""
        text.append(f"figures {figures}", st("host--dim"))
        if view.sampled:
            procs = "psutil" if view.target == "local" else "ssh"
            text.append(f" · processes {procs}", st("host--dim"))
        if view.metrics_status is not None and not view.metrics_status.state.ok:
            text.append(f" · prometheus {view.metrics_status.state.value}", st("host--warn"))
        text.append("\n")

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

    def _services(self, text: Text, live: HostSample | None, view: HostView) -> None:
        st = self.get_component_rich_style
        text.append("k3s  ", st("host--label"))
        if live is None:
            why = (
                f"ssh {view.status.state.value}: {view.status.message}"
                if view.sampled
                else "no SSH: [hosts] default or --ssh gives processes, systemd"
            )
            text.append(why + "\n", st("host--warn" if view.sampled else "host--dim"))
            return
        svc = live.services
        k3s = svc.k3s
        if k3s is not None:
            text.append(
                f"{k3s.name} {k3s.active} ({k3s.sub})", st(f"host--{unit_class(k3s.active)}")
            )
        else:
            text.append(svc.note or "no k3s unit on this host", st("host--dim"))
        if svc.journal_errors is not None:
            errors = svc.journal_errors
            text.append("  journal err/1h ", st("host--label"))
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
        self.summary = HostSummary(self.clock, store.fleet, id="host-summary")
        self.usage = HostChart(id="host-usage-chart")
        self._charted: tuple[str | None, int, float] = (None, -1, 0.0)
        self.chart_draws = 0

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield self.summary
            yield self.usage

    @property
    def host(self) -> HostView | None:
        """The one chosen; else the first of `ordered` (the nodes pane's cursor's, at first)."""
        hosts = self.store.hosts
        if self.selected in hosts or not hosts:
            return hosts.get(self.selected or "")
        return self.ordered()[0]

    def ordered(self) -> list[HostView]:
        return in_node_order(self.store.hosts, self.store.nodes.values())

    def select(self, name: str) -> bool:
        if name in self.store.hosts and name != self.selected:
            self.selected = name
            # a node highlighted while the screen is still being built: draw once it is
            self.call_after_refresh(self.refresh_rows, True)
            return True
        return False

    def select_next(self, step: int = 1) -> None:
        names = [view.name for view in self.ordered()]
        if names:
            current = self.host
            i = names.index(current.name) if current else -1
            self.select(names[(i + step) % len(names)])

    def refresh_rows(self, force: bool = False) -> None:
        hosts = self.ordered()
        view = self.host
        self.summary.fleet = self.store.fleet  # a new one after a context switch
        text = self.summary.build(hosts, view, self.summary.size.height or 10)
        self.summary.update(text, layout=False)  # its size is the CSS's: no layout pass
        title = "Node metrics" + (f" · {view.name}" if view else "")
        if len(hosts) > 1:
            title += f" ({len(hosts)} hosts, h/H)"
        sub = ""
        if view is not None and view.figures is None:
            sub = view.status.state.value
        elif view is not None:
            sub = f"live, every {self.interval:g}s" if self.interval else "live"
        fleet = self.store.fleet
        if fleet.status is not None:  # Prometheus feeds the figures: its state, always
            sub += f" · prometheus {fleet.status.state.value}"
            if fleet.unmatched:
                sub += f" ({fleet.unmatched} exporters match no node)"
        self.set_title(title, sub.strip(" ·"))
        self.set_class(any(in_trouble(h) for h in hosts), "-trouble")
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
        cols = self.usage.size.width // 2  # a point every two columns
        step = span / cols if cols else 0.0
        if view is not None:
            cores = view.sample.cores if view.sample else 1
            series = [
                ("cpu", "cyan", 1.0),
                ("memory", "magenta", 1.0),
                ("load", "yellow", 100.0 / cores),
            ]
            for attr, color, scale in series:
                for i, (xs, ys) in enumerate(view.segments(attr, step)):
                    values = [y * scale for y in ys]
                    top = max(top, *values)
                    label = ("mem" if attr == "memory" else attr) if i == 0 else None
                    plt.plot([x - now for x in xs], values, color=color, label=label)
        plt.ylim(0, top * 1.05)
        self.usage.refresh()
