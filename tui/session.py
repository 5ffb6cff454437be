"""The console without a screen: one cluster (or none), the hosts, the feeds, the store,
triage and the timeline. The App and `check` are both its clients; no Textual here.

Threads: each feed runs in a thread the session owns, with its own stop event; the hosts
in the HostManager's thread. `stop()` stops and joins them (the App: off its thread).
Changes reach the store only through the ChangeBuffer, drained by `drain()` on the
caller's thread (the UI thread for the App)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, Protocol

from tui.config import Settings
from tui.sources import alertmanager, health
from tui.sources.client import Kube, NoCluster
from tui.sources.cluster import api_server, no_cluster
from tui.sources.discovery import ApiKind, Discovery, discover
from tui.sources.flux import discover_status
from tui.sources.host import Host
from tui.sources.hosts import HostManager, NodeHosts
from tui.sources.kube import KIND_SPECS, KindSpec, ListWatch
from tui.sources.metrics import MetricsPoller
from tui.sources.nodeexporter import NodeExporterFeed
from tui.sources.optional import ENDPOINTSLICES, optional_kinds, served
from tui.sources.prometheus import DEFAULT_QUERY, PrometheusPoller, endpoint_of, query_error_rate
from tui.sources.resources import resource_feed
from tui.store import ChangeBuffer, KindStatus, Replace, State, StatusChange, Store
from tui.store.flux import parse_flux
from tui.store.lists import tune_threads
from tui.store.models import parse_endpointslice
from tui.triage import Finding, TimelineEntry, Tracker, evaluate, next_run

JOIN_TIMEOUT = 2.0  # seconds stop() waits for each feed's thread


class Feed(Protocol):
    def run(self) -> None: ...
    def stop(self) -> None: ...


class Session:
    def __init__(
        self,
        settings: Settings,
        kube: Kube,
        *,
        hosts: list[Host] | None = None,
        watch_options: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.kube = kube
        self.clock = clock
        self.store = Store()
        self.buffer = ChangeBuffer()
        self.tracker = Tracker()
        self.triage_next = 0.0  # perf_counter time: the app runs the rules from then on
        self.hosts: list[Host] = list(hosts or [])
        for host in self.hosts:
            self.store.add_host(host.name, host.target)
        self.host_manager: HostManager | None = None
        self.feeds: list[Feed] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        # every feed's options: the lists' page size (the panes' and `:kind` views' alike)
        self._watch_options = {"page_size": settings.page_size, **(watch_options or {})}
        self.discovered = threading.Event()  # Flux and cert-manager looked for
        self._stopped = False  # no feed starts after stop_feeds()
        self.discovery: Discovery | None = None  # every kind served, once asked
        # the on-demand kinds (`:kind`), one feed per view kind and namespace, counted: a
        # view on the screen stack keeps its feed live until it is closed
        self._kind_feeds: dict[str, tuple[ListWatch, int]] = {}
        self.flushes = 0
        self._poll = True
        self.watched: dict[str, Session] = {}  # other clusters, for their findings
        self.started = False
        self._derived = NodeHosts(settings)  # hosts [hosts] default made from the node list

    @property
    def connected(self) -> bool:
        """False when the console opened with the hosts only (no usable kubeconfig)."""
        return not isinstance(self.kube, NoCluster)

    # -- feeds -------------------------------------------------------------------------
    def start(self, *, poll: bool = True) -> None:
        """Every feed of the cluster, and the hosts. `poll=False` (for `check`): the
        pollers ask once instead of running."""
        self._poll = poll
        self.started = True
        tune_threads()  # before the first thread
        for other in self.watched.values():
            if not other.started:
                other.start(poll=poll)
        self._start_hosts()
        here = (self.settings, self.buffer)
        for feed in (health.poller(*here), alertmanager.poller(*here)):  # with no cluster too
            if feed is not None:
                self._spawn(feed, "poll:monitoring") if poll else self.buffer.put(feed.once())
        if url := endpoint_of(self.settings):  # every node's figures, from the exporters
            nodes = NodeExporterFeed(
                url, self.buffer, self.settings.host_interval, clock=self.clock
            )
            if poll:
                self._spawn(nodes, "poll:node-exporter")
            else:
                self.buffer.put(nodes.refresh())
        if isinstance(self.kube, NoCluster):
            for change in no_cluster(self.kube.reason):
                self.buffer.put(change)
            self.discovered.set()
            return
        self.buffer.put(api_server(self.kube.info.server))
        for spec in KIND_SPECS.values():
            self._spawn(self._watch(spec), f"watch:{spec.name}")
        self._spawn_thread(self._discover, "discover")
        ns = self.settings.namespace
        prometheus = endpoint_of(self.settings)
        query = self.settings.prometheus_query or DEFAULT_QUERY
        metrics = MetricsPoller(
            self.kube, self.buffer, namespace=ns, interval=self.settings.metrics_interval
        )
        if poll:
            self._spawn(metrics, "poll:metrics")
            if prometheus:
                self._spawn(PrometheusPoller(prometheus, self.buffer, query), "poll:prometheus")
        else:
            self.buffer.put(metrics.poll_once())
            if prometheus:
                self.buffer.put(query_error_rate(prometheus, query))

    def _watch(self, spec: KindSpec, parser: Callable[[Any], Any] | None = None) -> ListWatch:
        return ListWatch(
            self.kube,
            spec,
            self.buffer,
            namespace=self.settings.namespace,
            parser=parser,
            **self._watch_options,
        )

    def _discover(self) -> None:
        """Flux's kinds (at the versions served) and cert-manager's Certificates."""
        try:
            for fk in discover_status(self.kube, self.buffer):
                self._spawn(self._watch(fk.spec, parse_flux), f"watch:{fk.store_kind}")
            for spec, parse in optional_kinds(self.kube):  # certificates, the wider triage's
                self._spawn(self._watch(spec, parse), f"watch:{spec.name}")
            slices = served(self.kube, ENDPOINTSLICES) if self._poll else None
            if slices is not None:  # the Service views' addresses (Endpoints the fallback)
                self._spawn(self._watch(slices, parse_endpointslice), "watch:endpointslices")
        finally:
            self.discovered.set()
        if self._poll:  # the console's `:kind` (check has no use for it)
            with contextlib.suppress(Exception):  # `:kind` asks again when it needs to
                self.kinds()

    def _spawn(self, feed: Feed, name: str) -> threading.Thread | None:
        with self._lock:
            if self._stopped:
                return None
            self.feeds.append(feed)

        def guarded() -> None:  # a feed that dies shows as an error on its kind
            try:
                feed.run()
            except Exception as e:
                if isinstance(feed, ListWatch):
                    why = KindStatus(State.ERROR, f"{type(e).__name__}: {e}")
                    self.buffer.put(StatusChange(feed.spec.name, why))

        return self._spawn_thread(guarded, name)

    def _spawn_thread(self, target: Callable[[], None], name: str) -> threading.Thread:
        # Daemon: a feed blocked in a read must not hold the process open at exit, but it
        # is never stray: stop() stops and joins every one of them.
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()
        return thread

    # -- any kind, on demand (`:kind`) ---------------------------------------------------
    def kinds(self, refresh: bool = False) -> Discovery:
        """The kinds the server serves (asked once per context; again when asked to,
        as when a name is not found). Blocking: call it from a worker thread."""
        if self.discovery is None or refresh:
            self.discovery = discover(self.kube)
        return self.discovery

    def resolve(self, name: str) -> ApiKind | None:
        """A kind by any name kubectl takes; discovery asked again once if not found."""
        found = self.kinds().resolve(name)
        return found if found is not None else self.kinds(refresh=True).resolve(name)

    def open_kind(self, kind: ApiKind, namespace: str | None = None) -> str:
        """Watch a kind's rows (the views already open stay live): its key in the store."""
        feed = resource_feed(
            self.kube, kind, self.buffer, namespace, self.clock, **self._watch_options
        )
        key = feed.spec.name
        if key in self._kind_feeds:  # already watched for another view: share it
            running, views = self._kind_feeds[key]
            self._kind_feeds[key] = (running, views + 1)
            return key
        if self._spawn(feed, f"watch:{key}") is not None:
            self._kind_feeds[key] = (feed, 1)
        return key

    def close_kind(self, key: str | None = None) -> None:
        """A view of a kind closed: its feed stops when no other view needs it, and its
        rows go. The thread ends by itself (it is never joined on the caller's thread);
        stop() joins what is left. No key: every on-demand kind."""
        for k in [key] if key is not None else list(self._kind_feeds):
            if k not in self._kind_feeds:
                continue
            feed, views = self._kind_feeds[k]
            if key is not None and views > 1:
                self._kind_feeds[k] = (feed, views - 1)
                continue
            del self._kind_feeds[k]
            feed.stop()
            with self._lock:
                if feed in self.feeds:
                    self.feeds.remove(feed)
            self.buffer.put(Replace(k, ()))

    def _start_hosts(self) -> None:
        """The hosts named on the command line and in [hosts] are not the cluster's: they
        keep sampling across context switches. Those [hosts] default derives are."""
        wanted = self.hosts or self.settings.hosts_default
        if wanted and self.host_manager is None:
            self.host_manager = HostManager(self.hosts, self.buffer, self.settings.host_interval)
            self.host_manager.read_only = self.settings.read_only
            self.host_manager.start()

    def derive_hosts(self) -> None:
        """[hosts] default: an SSH host for each listed node (see NodeHosts)."""
        if self.host_manager is not None and self.settings.hosts_default:
            self._derived.derive(self.store, self.host_manager, self.buffer)

    def stop_feeds(self, wait: bool = True) -> None:
        """Every feed stopped, then joined: here, or (wait=False: the screen) by a reaper."""
        with self._lock:
            self._stopped = True
            feeds, threads = self.feeds, self._threads
            self.feeds, self._threads = [], []
        for feed in feeds:
            feed.stop()
        here = threading.current_thread()

        def join() -> None:
            for thread in threads:
                if thread is not here:
                    thread.join(JOIN_TIMEOUT)

        if wait:
            join()
        else:
            threading.Thread(target=join, name="reaper", daemon=True).start()

    def stop(self, wait: bool = True) -> None:
        for other in self.watched.values():
            other.stop(wait)
        self.stop_feeds(wait)
        if self.host_manager is not None:
            self.host_manager.stop(wait)
            self.host_manager = None

    def list_watches(self) -> Iterator[ListWatch]:
        return (f for f in list(self.feeds) if isinstance(f, ListWatch))

    def pause_polling(self, paused: bool) -> None:
        """While a confirmation is open, pollers wait (the watches stay live)."""
        for feed in list(self.feeds):
            if isinstance(feed, MetricsPoller):
                if paused:
                    feed.paused.set()
                else:
                    feed.paused.clear()

    def check_slow(self) -> None:  # a request the server sits on shows as "slow"
        for feed in self.list_watches():
            feed.check_slow()

    # -- contexts ----------------------------------------------------------------------
    def watch(self, contexts: list[str]) -> None:
        """Watch other contexts of the kubeconfig too (--context again): each its own
        feeds and store, its findings among this session's, tagged with its name; the
        panes and the actions stay on this one. KubeConfigError names a bad context."""
        quiet = replace(self.settings, prometheus_url=None, hosts_default=None, contexts=[])
        for name in contexts:
            if name != self.kube.info.context and name not in self.watched:
                kube = Kube.from_kubeconfig(self.kube.info.kubeconfig, name)
                self.watched[name] = Session(
                    quiet, kube, watch_options=self._watch_options, clock=self.clock
                )

    def contexts(self) -> list[str]:
        from kubernetes import config

        try:
            found, _ = config.list_kube_config_contexts(config_file=self.kube.info.kubeconfig)
        except Exception:
            return []
        return [str(c.get("name", "")) for c in found or []]

    def switch_context(self, name: str) -> None:
        """Reconnect to another context of the same kubeconfig; nothing of the old one
        stays but the hosts. Raises KubeConfigError (nothing changed) when it cannot."""
        self.switch_to(self.load_context(name), name)

    def load_context(self, name: str) -> Kube:  # blocking (an exec plugin): from a worker
        return Kube.from_kubeconfig(self.kube.info.kubeconfig, name)

    def switch_to(self, kube: Kube, name: str, start: bool = True) -> None:
        """The switch, quick: old feeds told to stop (joined off this thread); the new
        ones started here, or (start=False) by the caller, from a worker thread."""
        left, chosen = self.kube.info.context, self.watched.pop(name, None)
        if chosen is not None:  # it is this session's now; the one left is watched
            chosen.stop(wait=False)
        self.stop_feeds(wait=False)
        self.kube.close()
        self.kube = kube
        if chosen is not None:
            self.watch([left])
        self.buffer = ChangeBuffer()
        if self.host_manager is not None:  # its new buffer; the old cluster's nodes go
            self.host_manager.buffer = self.buffer
            self._derived.forget(self.store, self.host_manager)
        self.store.clear()
        self.tracker, self.triage_next = Tracker(), 0.0
        self.discovered.clear()
        self.discovery, self._kind_feeds, self._stopped = None, {}, False
        if start:
            self.start()

    # -- the hand-off and triage -------------------------------------------------------
    def drain(self) -> set[str]:
        """Apply what the sources sent since the last call; the kinds that changed."""
        for other in self.watched.values():
            other.drain()
        changes = self.buffer.drain()
        if not changes:
            return set()
        touched = self.store.apply(changes)
        if "nodes" in touched:
            self.derive_hosts()
        self.flushes += 1
        return touched

    @property
    def triage_ready(self) -> bool:
        """The rules run once the pods and nodes are listed, or could not be (no cluster:
        the host rules still count): before, "no finding" would mean "not looked yet"."""
        return all(
            self.store.status[k].state is not State.CONNECTING or self.store.objects[k]
            for k in ("pods", "nodes")
        )

    def triage(self, now: float | None = None) -> list[TimelineEntry]:
        """The rules once; what was seen or cleared since the last time (the timeline's
        new entries, which the flow records with the actions)."""
        started = time.perf_counter()
        now = self.clock() if now is None else now
        after = self.settings.gitops_critical_after
        found = evaluate(self.store, now, after)
        if self.watched:  # several clusters: every finding says whose it is
            found = [replace(f, context=self.kube.info.context) for f in found]
            for name, other in self.watched.items():
                if other.triage_ready:
                    found += [replace(f, context=name) for f in evaluate(other.store, now, after)]
        changes = self.tracker.update(found, now)
        self.triage_next = next_run(started, time.perf_counter() - started)  # see the app
        return changes

    def findings(self) -> list[Finding]:
        return self.tracker.findings()
