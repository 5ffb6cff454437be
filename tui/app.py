"""The incident console App: one screen, live; sources feed the store, panes read it."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.containers import Horizontal
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from actions import registry
from actions.base import Action
from tui.actions_ui import ActionRunner
from tui.config import Settings
from tui.palette import ConsoleCommands, FindingCommands
from tui.screens.help import HelpScreen, binding_rows
from tui.sources.cluster import api_server, no_cluster
from tui.sources.flux import FluxKind, discover_status
from tui.sources.host import Host, HostManager
from tui.sources.kube import (
    KIND_SPECS,
    KindSpec,
    Kube,
    ListWatch,
    NoCluster,
    discover_certificates,
)
from tui.sources.metrics import MetricsPoller
from tui.sources.prometheus import DEFAULT_QUERY, PrometheusPoller
from tui.store import ChangeBuffer, KindStatus, Replace, State, StatusChange, Store
from tui.store.flux import parse_flux
from tui.store.models import parse_certificate
from tui.triage import Finding, Tracker, evaluate
from widgets.events import EventsPane
from widgets.findings import FindingsPane
from widgets.flux import FluxPane
from widgets.hostmetrics import HostMetricsPane
from widgets.nodes import NodesPane
from widgets.pods import PodsPane
from widgets.status import StatusBar
from widgets.table import VirtualTable

MUTATING_IDS = {a.id for a in registry.all_actions() if a.mutating}
WORKER_THREADS = 64  # long-lived feeds (one per kind, Flux kind, host) + tails + actions
FLUSH_INTERVAL = 0.1  # seconds between hand-offs of source changes to the store and panes
# The least time between two refreshes of a pane: pods at every flush, the rest twice a second.
PANE_INTERVAL = {
    "pods": 0.0,
    "nodes": 0.5,
    "events": 0.5,
    "flux": 0.25,
    "hosts": 0.5,
    "findings": 0.0,
}
TRIAGE_INTERVAL = 1.0  # seconds between two evaluations of the rules
PANE_KINDS = {
    "pods": {"pods", "metrics", "status"},
    "nodes": {"nodes", "metrics", "status"},
    "events": {"events", "status"},
    "flux": {"status"},  # and every "flux/<Kind>"
    "hosts": {"hosts"},
}


def tune_gc() -> None:
    """Keep the cyclic garbage collector from freezing the UI.

    Parsing a list allocates objects fast; with the default thresholds, full
    collections walk the whole store every few hundred milliseconds, holding the GIL
    for 60-90 ms each (measured with 10,000 pods). The store's objects are acyclic
    (frozen dataclasses, dicts, tuples), so reference counting frees them; collect
    rarely, and freeze what a complete list leaves behind (see flush_changes).
    """
    gc.set_threshold(50_000, 20, 100)


def action_bindings() -> list[BindingType]:
    """One binding per action that has a key, with the action's id: remappable, in the help."""
    return [
        Binding(
            a.key, f"run_action('{a.id}')", a.title.split(" (")[0], id=a.id, show=a.key in "lprd"
        )
        for a in registry.all_actions()
        if a.key
    ]


class IncidentApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "incident-console"
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        *action_bindings(),
        Binding("ctrl+p,colon", "command_palette", "Palette", key_display="^p :", id="app.palette"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("1", "focus_pane('pods')", "Pods", show=False, id="app.focus-pods"),
        Binding("2", "focus_pane('nodes')", "Nodes", show=False, id="app.focus-nodes"),
        Binding("3", "focus_pane('events')", "Events", show=False, id="app.focus-events"),
        Binding("4", "focus_pane('flux')", "Flux", show=False, id="app.focus-flux"),
        Binding("f,5", "focus_pane('findings')", "Findings", show=False, id="app.focus-findings"),
        Binding("tab", "focus_next", "Next pane", show=False, id="app.focus-next"),
        Binding("h", "next_host", "Next host", show=False, id="hosts.next"),
    ]

    def __init__(
        self,
        settings: Settings,
        kube: Kube,
        *,
        note: str = "",
        watch_options: dict[str, Any] | None = None,
        hosts: list[Host] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.kube = kube
        self.note = note
        self.store = Store()
        self.buffer = ChangeBuffer()
        self.sources: list[ListWatch | MetricsPoller | PrometheusPoller] = []
        self._watch_options = watch_options or {}
        self.flushes = 0
        self._dirty: set[str] = set()
        self.panes: dict[
            str, PodsPane | NodesPane | EventsPane | FluxPane | HostMetricsPane | FindingsPane
        ] = {}
        self.tracker = Tracker()
        self.chosen_finding: Finding | None = None
        self.audit_warned = False  # an unwritable audit log is said once
        self.hosts: list[Host] = list(hosts or [])
        for host in self.hosts:
            self.store.add_host(host.name, host.target)
        self.host_manager: HostManager | None = None
        self._refreshed: dict[str, float] = {}
        self.after_flush: list[Callable[[set[str]], None]] = []
        if settings.keys:
            self.set_keymap(dict(settings.keys))
        tune_gc()
        self.runner = ActionRunner(self)

    @property
    def connected(self) -> bool:
        """False when the console opened with the hosts only (no usable kubeconfig)."""
        return not isinstance(self.kube, NoCluster)

    def title_text(self) -> str:
        info = self.kube.info
        ro = "  [READ-ONLY]" if self.settings.read_only else ""
        where = (
            f"context {info.context} · {info.server}"
            if self.connected
            else "no cluster connected · the hosts only"
        )
        return f" incident-console · {where}{ro}" + (f" · {self.note}" if self.note else "")

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        info = self.kube.info
        yield Static(self.title_text(), id="titlebar", markup=False)
        yield Static("", id="banner", markup=False)
        with Horizontal(id="top"):
            yield FindingsPane(self.tracker, id="findings")
            yield HostMetricsPane(self.store, self.settings.host_interval, id="hostmetrics")
        yield NodesPane(self.store, id="nodes")
        yield PodsPane(self.store, namespace=self.settings.namespace, id="pods")
        yield FluxPane(self.store, id="flux")
        yield EventsPane(self.store, id="events")
        yield StatusBar(info.context, info.server, self.settings.read_only, id="statusbar")
        yield Footer()

    def on_mount(self) -> None:
        # Textual runs thread workers in the loop's default executor (min(32, cpus + 4)
        # threads: 6 here). Each feed holds a thread for as long as it watches, so with the
        # default one the feeds alone filled it and every dry run, tail and action queued
        # forever behind them. The console sizes its own.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="incident-console")
        )
        # The dashboard's widgets, found once: timers and workers use these references,
        # never a query that a screen on top, or the teardown, could make fail.
        self.panes = {
            "pods": self.query_one(PodsPane),
            "nodes": self.query_one(NodesPane),
            "events": self.query_one(EventsPane),
            "flux": self.query_one(FluxPane),
            "hosts": self.query_one(HostMetricsPane),
            "findings": self.query_one(FindingsPane),
        }
        self.status_bar = self.query_one(StatusBar)
        self.banner = self.query_one("#banner", Static)
        self.titlebar = self.query_one("#titlebar", Static)
        self.query_one("#pods-table").focus()
        for pane in self.panes.values():
            pane.refresh_rows()
        self._show_status()
        self.start_sources()
        self.timers = [
            self.set_interval(FLUSH_INTERVAL, self.flush_changes, name="flush"),
            self.set_interval(1.0, self._tick, name="clock"),
            self.set_interval(TRIAGE_INTERVAL, self.triage, name="triage"),
        ]

    # -- sources ---------------------------------------------------------------------
    def start_hosts(self) -> None:
        """The hosts are not the cluster's: they keep sampling across context switches."""
        if self.hosts and self.host_manager is None:
            self.host_manager = HostManager(self.hosts, self.buffer, self.settings.host_interval)
            self.host_manager.start()

    def start_sources(self) -> None:
        self.start_hosts()
        if self.host_manager is not None:
            self.host_manager.buffer = self.buffer
        if isinstance(self.kube, NoCluster):
            for change in no_cluster(self.kube.reason):
                self.buffer.put(change)
            return
        self.buffer.put(api_server(self.kube.info.server))
        ns = self.settings.namespace
        for kind, spec in KIND_SPECS.items():
            lw = ListWatch(
                self.kube,
                spec,
                self.buffer,
                namespace=ns,
                page_size=self.settings.page_size,
                **self._watch_options,
            )
            self._start_feed(lw, f"watch:{kind}", f"list+watch {kind} on {self.kube.info.server}")
        self.run_worker(
            self._discover_flux,
            name="discover:flux",
            group="kube",
            description="find the Flux kinds the server serves",
            thread=True,
            exit_on_error=False,
        )
        if self.settings.prometheus_url:
            prom = PrometheusPoller(
                self.settings.prometheus_url,
                self.buffer,
                self.settings.prometheus_query or DEFAULT_QUERY,
            )
            self._start_feed(prom, "poll:prometheus", "poll Prometheus for the API error rate")
        poller = MetricsPoller(
            self.kube, self.buffer, namespace=ns, interval=self.settings.metrics_interval
        )
        self._start_feed(poller, "poll:metrics", "poll metrics.k8s.io")

    def _start_feed(
        self, feed: ListWatch | MetricsPoller | PrometheusPoller, name: str, description: str
    ) -> None:
        """A feed (a watch or a poller) runs in a thread worker for as long as the console
        watches; stop_sources() stops it."""
        self.sources.append(feed)
        self.run_worker(
            feed.run,
            name=name,
            group="kube",
            description=description,
            thread=True,
            exit_on_error=False,
        )

    def _discover_flux(self) -> None:
        """In a worker thread: discovery, then one watched feed per Flux kind found, and
        cert-manager's Certificates where they are served."""
        kinds = discover_status(self.kube, self.buffer)
        if kinds:
            self.call_from_thread(self._watch_flux, kinds)
        certs = discover_certificates(self.kube)
        if certs is not None:
            self.call_from_thread(self._watch_certificates, certs)

    def _watch_certificates(self, spec: KindSpec) -> None:
        lw = ListWatch(
            self.kube,
            spec,
            self.buffer,
            namespace=self.settings.namespace,
            parser=parse_certificate,
            **self._watch_options,
        )
        self._start_feed(lw, "watch:certificates", "list+watch cert-manager Certificates")

    def _watch_flux(self, kinds: list[FluxKind]) -> None:
        for fk in kinds:
            self.store.flux_paths[fk.kind] = fk.object_path
            lw = ListWatch(
                self.kube,
                fk.spec,
                self.buffer,
                namespace=self.settings.namespace,
                parser=parse_flux,
                **self._watch_options,
            )
            self._start_feed(
                lw, f"watch:{fk.store_kind}", f"list+watch {fk.kind} {fk.spec.version}"
            )

    def stop_sources(self) -> None:
        for source in self.sources:
            source.stop()
        self.sources = []

    # -- triage ------------------------------------------------------------------------
    @property
    def triage_ready(self) -> bool:
        """The rules run once the pods and nodes have been listed, or could not be (the
        API unreachable, no cluster: the host rules and that finding still count): before,
        "no finding" would only mean "not looked yet"."""
        return all(
            self.store.status[k].state is not State.CONNECTING or self.store.objects[k]
            for k in ("pods", "nodes")
        )

    def triage(self) -> None:
        if not self.dashboard_attached or not self.triage_ready:
            return
        now = time.time()
        changes = self.tracker.update(evaluate(self.store, now), now)
        try:
            for entry in changes:
                self.runner.audit.record_event(entry.as_json())
        except OSError as e:  # the findings stay on screen; the record says why it lacks them
            if not self.audit_warned:
                self.audit_warned = True
                why = self.runner.audit.explain(e)
                self.notify(f"findings are not recorded: {why}", severity="error", timeout=15)
        pane = self.panes["findings"]
        if isinstance(pane, FindingsPane):
            if changes or not pane.evaluated:
                pane.evaluated = True
                pane.refresh_rows()
            else:
                pane.show_detail()

    def on_findings_pane_chosen(self, event: FindingsPane.Chosen) -> None:
        """Enter on a finding: its subject selected, the palette narrowed to its actions."""
        self.chosen_finding = event.finding
        subject = event.finding.subject
        pods = self.query_one("#pods-table", VirtualTable)
        name = subject.pod or (subject.name if subject.kind == "pod" else "")
        pod = self.store.find("pods", subject.namespace, name) if name else None
        if pod is not None:
            pods.move_to(pod.uid)
        host = self.panes.get("hosts")
        if isinstance(host, HostMetricsPane):
            view = (
                self.store.hosts.get(subject.name)
                if subject.kind == "host"
                else self.store.host_of_node(subject.name)
                if subject.kind == "node"
                else None
            )
            if view is not None:
                host.select(view.name)
        self.push_screen(
            CommandPalette(
                providers=[FindingCommands],
                placeholder=f"Actions for {event.finding.title}: {subject}",
            )
        )

    def pause_polling(self, paused: bool) -> None:
        """While a confirmation is open, pollers wait (the watches stay live)."""
        for source in self.sources:
            if isinstance(source, MetricsPoller):
                if paused:
                    source.paused.set()
                else:
                    source.paused.clear()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A source that died shows as an error on its feed; the console keeps going."""
        if event.state is WorkerState.ERROR and event.worker.name.startswith("watch:"):
            kind = event.worker.name.split(":", 1)[1]
            error = event.worker.error
            self.buffer.put(
                StatusChange(kind, KindStatus(State.ERROR, f"{type(error).__name__}: {error}"))
            )

    async def action_quit(self) -> None:
        self.stop_sources()
        self.stop_hosts()
        self.exit(0)

    def stop_hosts(self) -> None:
        if self.host_manager is not None:
            self.host_manager.stop()
            self.host_manager = None

    def on_unmount(self) -> None:
        for timer in getattr(self, "timers", []):
            timer.stop()
        self.stop_sources()
        self.stop_hosts()

    # -- the hand-off ------------------------------------------------------------------
    @property
    def dashboard_attached(self) -> bool:
        """False while the app closes: its timers may still fire as widgets go."""
        return bool(self.panes) and all(
            w.is_attached for w in (*self.panes.values(), self.status_bar, self.banner)
        )

    def flush_changes(self) -> None:
        if not self.dashboard_attached:
            return
        changes = self.buffer.drain()
        touched: set[str] = set()
        if changes:
            touched = self.store.apply(changes)
            self.flushes += 1
            if any(isinstance(c, Replace) for c in changes):
                gc.freeze()  # a complete list is long-lived: keep the collector off it
            for pane, kinds in PANE_KINDS.items():
                if touched & kinds:
                    self._dirty.add(pane)
            if any(k.startswith("flux/") for k in touched):
                self._dirty.add("flux")
            if touched & {"status", "metrics"}:
                self._show_status()
        if self._dirty:
            now = time.monotonic()
            for pane in sorted(self._dirty):
                if now - self._refreshed.get(pane, 0.0) >= PANE_INTERVAL[pane]:
                    self._dirty.discard(pane)
                    self._refreshed[pane] = now
                    self.panes[pane].refresh_rows()
        if touched:
            for hook in self.after_flush:
                hook(touched)

    def _show_status(self) -> None:
        states = dict(self.store.status)
        states["metrics"] = self.store.metrics_status
        self.status_bar.show(states)
        banner = self.banner
        worst = next(
            (
                s
                for s in self.store.status.values()
                if s.state in (State.UNREACHABLE, State.UNAUTHORIZED, State.NO_CLUSTER)
            ),
            None,
        )
        if worst is not None:
            text = worst.message
            if worst.state is State.NO_CLUSTER:
                text = f"no cluster connected: {text}"
            banner.update(f" {text}")
            banner.add_class("-shown")
        else:
            banner.remove_class("-shown")

    def _tick(self) -> None:
        if not self.dashboard_attached:
            return
        self.status_bar.tick()
        for table in self.query(VirtualTable):
            table.refresh()
        for source in self.sources:  # a request the server sits on shows as "slow"
            if isinstance(source, ListWatch):
                source.check_slow()

    # -- actions -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Action keys act on the dashboard's selection: only there. Read-only mode: a
        mutation's binding is gone (not run, not in the footer)."""
        if action == "run_action":
            if len(self.screen_stack) > 1:
                return False
            if parameters and not self.offers(registry.get(str(parameters[0]))):
                return False
        return True

    def offers(self, action: Action) -> bool:
        """Read-only mode offers no mutation; with no cluster, only the host actions."""
        if self.settings.read_only and action.mutating:
            return False
        return self.connected or action.target_kind == "host"

    def action_run_action(self, action_id: str) -> None:
        self.runner.start(action_id)

    def filter_namespace(self, namespace: str) -> None:
        pane = self.query_one(PodsPane)
        pane.filter_text = f"{namespace}/" if namespace else ""
        pane.refresh_rows()
        self.action_focus_pane("pods")

    def contexts(self) -> list[str]:
        from kubernetes import config

        try:
            found, _ = config.list_kube_config_contexts(config_file=self.kube.info.kubeconfig)
        except Exception:
            return []
        return [str(c.get("name", "")) for c in found or []]

    def switch_context(self, name: str) -> None:
        """Reconnect to another context of the same kubeconfig; nothing of the old one stays."""
        from tui.sources.kube import Kube, KubeConfigError

        try:
            kube = Kube.from_kubeconfig(self.kube.info.kubeconfig, name)
        except KubeConfigError as e:
            self.notify(str(e), severity="error")
            return
        self.stop_sources()
        self.kube.close()
        self.kube = kube
        self.buffer = ChangeBuffer()
        self.store.clear()
        self.runner = ActionRunner(self)
        bar = self.status_bar
        bar.context, bar.server = kube.info.context, kube.info.server
        self.titlebar.update(self.title_text())
        for pane in self.panes.values():
            pane.refresh_rows()
        self.start_sources()
        self.notify(f"switched to context {name}")

    def action_report(self) -> None:
        """The incident's record so far (last 24 h of the audit log), as `report` writes it."""
        from tui.config import state_dir
        from tui.report import build, read_log
        from tui.screens.report import ReportScreen

        path = self.runner.audit.path
        now = time.time()
        try:
            entries, bad = read_log(path) if path.exists() else ([], 0)
        except OSError as e:
            self.notify(f"cannot read {path}: {e.strerror}", severity="error")
            return
        text = build(entries, now - 86400, now, str(path), bad)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.push_screen(
            ReportScreen(
                f"incident report · last 24 h · {path}",
                text,
                state_dir() / f"report-{stamp}.md",
            )
        )

    def action_next_host(self) -> None:
        pane = self.panes.get("hosts")
        if isinstance(pane, HostMetricsPane):
            pane.select_next()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        self.on_virtual_table_highlighted(event)

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        """Selecting a node shows its host, where the console knows which one it is."""
        if event.control.id != "nodes-table":
            return
        node = event.control.selected
        pane = self.panes.get("hosts")
        view = self.store.host_of_node(node.name) if node is not None else None
        if view is not None and isinstance(pane, HostMetricsPane):
            pane.select(view.name)

    def action_focus_pane(self, pane: str) -> None:
        # At once, not after the next refresh as Widget.focus() does: a key typed right
        # after (`f` then Enter) goes to the pane just chosen.
        self.screen.set_focus(self.query_one(f"#{pane}-table"))

    def action_help(self) -> None:
        ro = self.settings.read_only
        shown = [
            b
            for b in self.BINDINGS
            if not (ro and isinstance(b, Binding) and b.id and b.id in MUTATING_IDS)
        ]
        sources: list[tuple[str, list[BindingType]]] = [
            ("everywhere", shown),
            ("pods", list(PodsPane.BINDINGS)),
            ("events", list(EventsPane.BINDINGS)),
            ("tables", list(VirtualTable.BINDINGS)),
        ]
        self.push_screen(HelpScreen(binding_rows(sources)))
