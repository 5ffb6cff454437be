"""The incident console App: one screen, live; sources feed the store, panes read it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.containers import Horizontal
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from actions import registry
from actions.targets import Selection
from tui.config import Settings
from tui.flow import ActionFlow, AppScreens
from tui.kinds import KindCommands
from tui.navigation import Navigation
from tui.palette import ConsoleCommands, FindingCommands
from tui.screens.help import HelpScreen, QuitScreen, action_bindings
from tui.session import Session
from tui.sources.client import Kube
from tui.sources.host import Host
from tui.store import Store
from tui.store.lists import tune_gc
from tui.triage import Finding
from widgets.events import EventsPane
from widgets.findings import FindingsPane
from widgets.flux import FluxPane
from widgets.footer import focus_then_footer
from widgets.hostmetrics import HostMetricsPane
from widgets.nodes import NodesPane
from widgets.pods import PodsPane
from widgets.screen import OpaqueOnTop, SettledScreen
from widgets.status import StatusBar, banner_text, title_text
from widgets.table import VirtualTable

WORKER_THREADS = 32  # tails, dry runs and actions (the feeds have the session's threads)
FLUSH_INTERVAL = 0.1  # seconds between hand-offs of source changes to the store and panes
# The least time between two refreshes of a pane: pods at every flush, the rest twice a second.
PANE_INTERVAL = dict(pods=0.0, nodes=0.5, events=0.5, flux=0.25, hosts=0.5, findings=0.0)
TRIAGE_INTERVAL = 1.0  # seconds between two evaluations of the rules
COVERED_INTERVAL = 2.0  # seconds between two draws of a pane a full screen hides
PANE_IDS = {"hosts": "hostmetrics"}  # the others' ids are their names
PANE_KINDS = {  # the store's kinds each pane shows (flux: also every "flux/<Kind>")
    "pods": {"pods", "metrics", "status"},
    "nodes": {"nodes", "metrics", "status"},
    "events": {"events", "status"},
    "flux": {"status"},
    "hosts": {"hosts"},
}


class IncidentApp(Navigation, OpaqueOnTop, App[int]):
    """Composition, bindings, the flush to the panes and the messages; the session holds
    the cluster and the hosts, the flow runs the actions."""

    CSS_PATH = "app.tcss"
    TITLE = "incident-console"
    COMMANDS = App.COMMANDS | {ConsoleCommands, KindCommands}
    SCREENS = {"help": HelpScreen, "quit": QuitScreen}  # both read the App when shown
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # -narrow: one pane at a time
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        *action_bindings(),
        Binding("ctrl+p,colon", "command_palette", "Palette", key_display="^p :", id="app.palette"),
        Binding("q", "push_screen('quit')", "Quit", id="app.quit"),
        Binding("question_mark", "push_screen('help')", "Help", key_display="?", id="app.help"),
        Binding("1", "focus_pane('pods')", "Pods", show=False, id="app.focus-pods"),
        Binding("2", "focus_pane('nodes')", "Nodes", show=False, id="app.focus-nodes"),
        Binding("3", "focus_pane('events')", "Events", show=False, id="app.focus-events"),
        Binding("4", "focus_pane('flux')", "Flux", show=False, id="app.focus-flux"),
        Binding("f,5", "focus_pane('findings')", "Findings", show=False, id="app.focus-findings"),
        Binding("tab", "focus_next", "Next pane", show=False, id="app.focus-next"),
        Binding("h", "next_host(1)", "Next host", show=False, id="hosts.next"),
        Binding("H", "next_host(-1)", "Previous host", show=False, id="hosts.previous"),
    ]

    def __init__(
        self,
        settings: Settings,
        kube: Kube,
        *,
        note: str = "",
        watch_options: dict[str, Any] | None = None,
        hosts: list[Host] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.note = note
        self.clock = clock  # the time the panes show; the snapshot scenes hold it still
        self.session = Session(
            settings, kube, hosts=hosts, watch_options=watch_options, clock=clock
        )
        self.session.watch(settings.contexts)  # other clusters: KubeConfigError names a bad one
        self.flow = ActionFlow(self.session, AppScreens(self, self.selection))
        self.chosen_finding: Finding | None = None
        self.panes: dict[str, Any] = {}
        self._dirty: set[str] = set()
        self._banner = "\0"  # the banner text shown ("\0": none yet)
        self._refreshed: dict[str, float] = {}
        self.after_flush: list[Callable[[set[str]], None]] = []
        if settings.keys:
            self.set_keymap(dict(settings.keys))

    @property
    def store(self) -> Store:
        return self.session.store

    def title_text(self) -> Text:
        s, info = self.session, self.session.kube.info
        return title_text(info, s.connected, self.settings.read_only, self.note, list(s.watched))

    # -- layout ----------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return SettledScreen(id="_default")  # laid out once at its size (widgets/screen.py)

    def compose(self) -> ComposeResult:
        info = self.session.kube.info
        yield Static(self.title_text(), id="titlebar", markup=False)
        yield Static("", id="banner", markup=False)
        store, clock = self.store, self.clock
        with Horizontal(id="top"):
            offers = lambda action_id: registry.offered(action_id, self.settings.read_only)  # noqa: E731
            yield FindingsPane(self.session.tracker, offers, id="findings", clock=clock)
            yield HostMetricsPane(store, self.settings.host_interval, id="hostmetrics", clock=clock)
        yield NodesPane(store, id="nodes", clock=clock)
        yield PodsPane(store, namespace=self.settings.namespace, id="pods", clock=clock)
        yield FluxPane(store, id="flux", clock=clock)
        yield EventsPane(store, id="events", clock=clock)
        yield StatusBar(info.context, info.server, self.settings.read_only, clock, id="statusbar")

    def on_load(self) -> None:  # a large list's pages come as Textual composes (1.28 -> 1.13 s)
        self.session.start()

    def on_mount(self) -> None:
        # Thread workers run in the loop's default executor (6 threads here); a tail holds
        # one while open: the console sizes its own, so a dry run never waits for tails.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="incident-console")
        )
        # Found once: timers use these, never a query a screen on top could make fail.
        self.panes = {p: self.query_one(f"#{PANE_IDS.get(p, p)}") for p in PANE_INTERVAL}
        self.status_bar = self.query_one(StatusBar)
        self.banner = self.query_one("#banner", Static)
        self.titlebar = self.query_one("#titlebar", Static)
        focus_then_footer(self.screen, self.query_one("#pods-table"))
        for pane in self.panes.values():
            pane.refresh_rows()
        self._show_status()
        tune_gc()  # the store's objects are acyclic, the screen's are made: see there
        self.timers = [
            self.set_interval(FLUSH_INTERVAL, self.flush_changes, name="flush"),
            self.set_interval(1.0, self._tick, name="clock"),
            self.set_interval(TRIAGE_INTERVAL, self.triage, name="triage"),
        ]

    def on_unmount(self) -> None:
        for timer in getattr(self, "timers", []):
            timer.stop()
        self.session.stop(wait=False)  # feeds told to stop, joined off this thread
        self.flow.records.recorder.stop()
        self.flow.forwarder.close_all()

    # -- the hand-off ------------------------------------------------------------------
    @property
    def dashboard_attached(self) -> bool:
        """False while the app closes: its timers may still fire as widgets go."""
        return bool(self.panes) and all(
            w.is_attached for w in (*self.panes.values(), self.status_bar, self.banner)
        )

    @property
    def covered(self) -> bool:
        """A full screen (a tail, a report, `:kind`) hides the dashboard: its panes draw
        every COVERED_INTERVAL only (often enough to let go of the rows they replaced),
        and at once when it shows again; a modal leaves it in view: they draw as usual.
        Measured under a 2,000 lines/s tail: key p95 26.5-29.7 -> 20.8 ms."""
        return len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen)

    def flush_changes(self) -> None:
        if not self.dashboard_attached:
            return
        touched = self.session.drain()
        for pane, kinds in PANE_KINDS.items():
            if touched & kinds or (pane == "flux" and any(k.startswith("flux/") for k in touched)):
                self._dirty.add(pane)
        if touched & {"status", "metrics"}:
            self._show_status()
        if self._dirty:
            now, slower = time.monotonic(), COVERED_INTERVAL if self.covered else 0.0
            for pane in sorted(self._dirty):
                if now - self._refreshed.get(pane, 0.0) >= max(PANE_INTERVAL[pane], slower):
                    self._dirty.discard(pane)
                    self._refreshed[pane] = now
                    self.panes[pane].refresh_rows()
        if touched:
            for hook in self.after_flush:
                hook(touched)

    def _show_status(self) -> None:
        states = dict(self.store.status)
        self.status_bar.show({**states, "metrics": self.store.metrics_status})
        text = banner_text(states)
        if text != self._banner:  # a new text is a repaint; shown or hidden, a new layout
            self.banner.update(f" {text}", layout=bool(text) != bool(self._banner))
            self.banner.set_class(bool(text), "-shown")
            self._banner = text

    def _tick(self) -> None:
        if not self.dashboard_attached:
            return
        self.status_bar.tick()
        for table in self.query(VirtualTable):
            table.refresh()
        self.session.check_slow()

    def triage(self) -> None:
        s = self.session
        if not (self.dashboard_attached and s.triage_ready) or time.perf_counter() < s.triage_next:
            return
        changes = self.session.triage()
        self.flow.record_timeline(changes)
        pane, revision = self.panes["findings"], self.session.tracker.revision
        if changes or not pane.evaluated or pane.revision != revision:
            pane.evaluated, pane.revision = True, revision
            pane.refresh_rows()
        else:
            pane.show_detail()

    def selection(self) -> Selection:
        view = self.panes["hosts"].host if self.panes else None
        return Selection(
            pod=self.query_one("#pods-table", VirtualTable).selected,
            flux=self.query_one("#flux-table", VirtualTable).selected,
            host=view.name if view is not None else "",
        )

    # -- actions and navigation ----------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Action keys act on the dashboard's selection: only there. Read-only mode: a
        mutation's binding is gone (not run, not in the footer)."""
        if action == "run_action":
            if len(self.screen_stack) > 1:
                return False
            if parameters and not self.flow.offers(registry.get(str(parameters[0]))):
                return False
        return True

    def action_run_action(self, action_id: str) -> None:
        self.flow.start(action_id)

    def action_report(self) -> None:
        self.flow.open_report()

    def on_findings_pane_chosen(self, event: FindingsPane.Chosen) -> None:
        """Enter on a finding: the palette narrowed to its actions (another cluster's: go there)."""
        if event.finding.context not in ("", self.session.kube.info.context):
            return self.switch_context(event.finding.context)
        self.chosen_finding = event.finding
        subject = event.finding.subject
        name = subject.pod or (subject.name if subject.kind == "pod" else "")
        pod = self.store.find("pods", subject.namespace, name) if name else None
        if pod is not None:
            self.query_one("#pods-table", VirtualTable).move_to(pod.uid)
        view = self.store.host_of_subject(subject.kind, subject.name)
        if view is not None:
            self.panes["hosts"].select(view.name)
        self.push_screen(
            CommandPalette(
                providers=[FindingCommands],
                placeholder=f"Actions for {event.finding.title}: {subject}",
            )
        )

    def action_next_host(self, step: int = 1) -> None:
        self.panes["hosts"].select_next(step)

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        """Selecting a node shows its host, where the console knows which one it is."""
        if event.control.id != "nodes-table":
            return
        node = event.control.selected
        view = self.store.host_of_node(node.name) if node is not None else None
        if view is not None:
            self.panes["hosts"].select(view.name)

    on_virtual_table_selected = on_virtual_table_highlighted

    def action_focus_pane(self, pane: str) -> None:
        # At once, not after the next refresh as Widget.focus() does: a key typed right
        # after (`f` then Enter) goes to the pane just chosen.
        self.screen.set_focus(self.query_one(f"#{pane}-table"))
