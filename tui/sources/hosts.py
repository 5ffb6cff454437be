"""Every host in one asyncio loop on its own thread (the HostManager): samples to the
store as HostUpdate changes, commands for the actions' worker threads; and the hosts
built from the command line and the config."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Sequence

from tui.config import Settings
from tui.sources.host import (
    COMMAND_TIMEOUT,
    CommandResult,
    Host,
    HostError,
    Line,
)
from tui.sources.kube import Backoff
from tui.sources.local import LocalHost
from tui.sources.ssh import SshHost, parse_target
from tui.store import ChangeBuffer, KindStatus, State, Store
from tui.store.host import HostSample, HostUpdate


class HostManager:
    """Runs every host's sampling in one asyncio loop in its own thread.

    Thread-safe from the outside: the UI starts and stops it; actions call run() from
    their worker threads. A host that fails is retried with backoff; its state (and
    the reason) goes to the store, where the charts keep the gap.
    """

    def __init__(self, hosts: Sequence[Host], buffer: ChangeBuffer, interval: float = 2.0):
        self.hosts = {h.name: h for h in hosts}
        self.buffer = buffer
        self.interval = interval
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="hosts", daemon=True)
        self._tasks: list[asyncio.Task[None]] = []
        self.sampled = 0
        self.read_only = False  # refuse every mutating command, whoever asks

    def start(self) -> None:
        self.thread.start()

    def add(self, host: Host) -> None:
        """One more host (a node the cluster listed), from any thread."""
        if host.name in self.hosts:
            return
        self.hosts[host.name] = host
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self._begin, host)

    def remove(self, name: str) -> None:
        """Stop sampling a host and close its connection (its node is gone)."""
        host = self.hosts.pop(name, None)
        if host is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self._end, host)

    def _begin(self, host: Host) -> None:
        self._tasks.append(self.loop.create_task(self._sample(host), name=f"host:{host.name}"))

    def _end(self, host: Host) -> None:
        for task in self._tasks:
            if task.get_name() == f"host:{host.name}":
                task.cancel()
        self._tasks = [t for t in self._tasks if t.get_name() != f"host:{host.name}"]
        self.loop.create_task(host.close())

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        for host in list(self.hosts.values()):
            self._begin(host)
        self.loop.run_forever()
        self.loop.run_until_complete(self._shutdown())
        self.loop.close()

    async def _shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for host in list(self.hosts.values()):
            with contextlib.suppress(Exception):
                await host.close()

    def stop(self, wait: bool = True) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            if wait:  # the App does not wait: the loop's thread ends by itself
                self.thread.join(timeout=5)

    def is_root(self, host_name: str) -> bool:
        host = self.hosts.get(host_name)
        return bool(host and host.is_root)

    def target(self, host_name: str) -> str:
        host = self.hosts.get(host_name)
        return host.target if host else host_name

    def _put(
        self, host: Host, state: State, message: str = "", sample: HostSample | None = None
    ) -> None:
        self.buffer.put(HostUpdate(host.name, KindStatus(state, message), sample))

    async def _sample(self, host: Host) -> None:
        backoff = Backoff(base=1.0, cap=30.0)
        self._put(host, State.CONNECTING, f"connecting to {host.target}")
        while True:
            try:
                async for sample in host.samples(self.interval):
                    backoff.reset()
                    self.sampled += 1
                    self._put(host, State.LIVE, "", sample)
                raise HostError(f"{host.target}: the sampler ended")
            except asyncio.CancelledError:
                raise
            except HostError as e:
                delay = backoff.next()
                self._put(host, e.state, f"{e}; retrying in {delay:.0f}s")
            except Exception as e:  # a bug must not end the sampling of the other hosts
                delay = backoff.next()
                self._put(host, State.ERROR, f"{type(e).__name__}: {e}; retrying in {delay:.0f}s")
            with contextlib.suppress(Exception):
                if isinstance(host, SshHost):
                    await host.close()
            await asyncio.sleep(delay)

    def run(
        self,
        host_name: str,
        argv: Sequence[str],
        on_line: Line,
        stop: threading.Event,
        timeout: float | None = COMMAND_TIMEOUT,
        mutating: bool = True,
    ) -> CommandResult:
        """From a worker thread: run one command on a host, until it ends, times out or
        `stop`. In read-only mode a mutating command is refused here too, not only by the
        UI, so no future path can run one."""
        if self.read_only and mutating:
            return CommandResult(None, error=f"read-only mode: {argv[0]} refused, nothing ran")
        host = self.hosts.get(host_name)
        if host is None:
            return CommandResult(None, error=f"no host named {host_name}")
        if not self.thread.is_alive():
            return CommandResult(None, error="the host loop is not running")
        future = asyncio.run_coroutine_threadsafe(host.run(argv, on_line, timeout), self.loop)
        while not future.done():
            if stop.is_set():
                future.cancel()
                return CommandResult(None, error="stopped")
            concurrent.futures.wait([future], timeout=0.1)
        try:
            return CommandResult(future.result())
        except TimeoutError:
            return CommandResult(None, timed_out=True)
        except concurrent.futures.CancelledError:
            return CommandResult(None, error="stopped")
        except HostError as e:
            return CommandResult(None, error=str(e))
        except Exception as e:
            return CommandResult(None, error=f"{type(e).__name__}: {e}")


def build_hosts(settings: Settings, local_name: str = "") -> list[Host]:
    """The hosts to sample: each --ssh target, each [hosts] entry, and this machine when
    asked (--local) or when there is no other. ValueError names a bad target."""
    if settings.no_hosts:
        return []
    by_target = {target: node for node, target in settings.hosts.items()}
    hosts: list[Host] = []
    names: set[str] = set()

    def add(host: Host) -> None:
        if host.name not in names:
            names.add(host.name)
            hosts.append(host)

    def ssh(text: str, node: str) -> SshHost:
        try:
            return ssh_host(settings, text, node)
        except ValueError as e:
            raise ValueError(f"--ssh / [hosts]: {e}") from None

    for text in settings.ssh:
        add(ssh(text, by_target.get(text, "")))
    for node, text in settings.hosts.items():
        add(LocalHost(node) if text == "local" else ssh(text, node))
    if settings.local or not (hosts or settings.hosts_default):
        add(LocalHost(local_name))
    return hosts


def ssh_host(settings: Settings, text: str, name: str) -> SshHost:
    """An SSH host from target text; ValueError names what is wrong with it."""
    target = parse_target(text)
    return SshHost(target, name=name, key=settings.ssh_key, known_hosts=settings.known_hosts)


def node_target(template: str, name: str, address: str) -> str:
    """[hosts] default for one node: its SSH target text."""
    return template.format(address=address or name, name=name)


class NodeHosts:
    """[hosts] default: an SSH host for each listed node that has no sampler (an entry of
    its own wins); a node gone takes its derived host with it. On the store's thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.names: set[str] = set()

    def derive(self, store: Store, manager: HostManager, buffer: ChangeBuffer) -> None:
        template = self.settings.hosts_default or ""
        nodes = store.nodes.values()
        listed = {n.name for n in nodes}
        for name in [d for d in self.names if d not in listed]:
            self.names.discard(name)
            manager.remove(name)
            store.drop_host(name)
        for node in nodes:
            view = store.hosts.get(node.name)
            if node.name in self.names or (view is not None and view.sampled):
                continue
            text = node_target(template, node.name, node.internal_ip)
            self.names.add(node.name)
            try:
                host = ssh_host(self.settings, text, node.name)
            except ValueError as e:
                store.add_host(node.name, text)
                buffer.put(
                    HostUpdate(node.name, KindStatus(State.REFUSED, f"[hosts] default: {e}"))
                )
                continue
            store.add_host(node.name, host.target)
            manager.add(host)

    def forget(self, store: Store, manager: HostManager) -> None:
        """Another cluster: its nodes' hosts go."""
        for name in self.names:
            manager.remove(name)
            store.drop_host(name)
        self.names.clear()
