"""Hosts: this machine through psutil, the others over SSH (asyncssh); no Textual.

A Host gives a stream of samples and runs commands from the fixed lists of
actions/host.py. Every host lives in one asyncio loop in its own thread (the
HostManager): samples go to the store as HostUpdate changes; actions, which run in
worker threads, call HostManager.run() and get the command's output line by line.

Security: a command is an argv list. Over SSH it is sent as `shlex.join(argv)`, so
every word reaches the remote shell quoted; host keys are checked against a
known_hosts file and an unknown or changed key is refused, never accepted.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import getpass
import os
import re
import shlex
import signal
import socket
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psutil

with warnings.catch_warnings():
    # cryptography >= 47 warns that DSA is deprecated when asyncssh imports it: noise on
    # the operator's terminal (and inside the one-line errors), not something they can fix.
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    import asyncssh

from tui.config import Settings
from tui.sources.kube import Backoff
from tui.sources.procfs import (
    PSEUDO_FS,
    SERVICES_SCRIPT,
    ProcText,
    parse_services,
    sampler_script,
    split_sections,
)
from tui.store import ChangeBuffer, KindStatus, State
from tui.store.host import Filesystem, HostSample, HostUpdate, Memory, Proc, Services
from tui.text import clean

SERVICES_EVERY = 10.0  # seconds between two readings of systemd and the journal
COMMAND_TIMEOUT = 120.0  # a one-shot command that runs longer is stopped
# Each command goes to a shell started ahead of time: the login shell (and its rc files,
# which bash reads for every SSH command) runs before the operator asks, not after. The
# shell reads one line (the command), runs it in its own process group, and kills that
# group when the channel's input ends: a command stopped or timed out by the console
# does not live on on the node.
SPARE_SCRIPT = (
    "IFS= read -r c || exit 0; exec 3<&0; "
    'if command -v setsid >/dev/null 2>&1; then setsid /bin/sh -c "$c" & '
    'else /bin/sh -c "$c" & fi; p=$!; '
    '{ while IFS= read -r _; do :; done; kill -9 -"$p" || kill -9 "$p"; } <&3 >/dev/null 2>&1 & '
    'w=$!; wait "$p"; s=$?; kill "$w" 2>/dev/null; exit "$s"'
)
SPARE_SHELL = "exec /bin/sh -c " + shlex.quote(SPARE_SCRIPT)
Line = Callable[[str], None]


class Lines:
    """Hands output lines on, cleaned; blank lines only between others (asyncssh may end
    a merged stdout/stderr with an empty one)."""

    def __init__(self, on_line: Line) -> None:
        self.on_line = on_line
        self.blank = 0

    def __call__(self, text: str) -> None:
        text = clean(text.rstrip("\r\n"))
        if not text.strip():
            self.blank += 1
            return
        for _ in range(self.blank):
            self.on_line("")
        self.blank = 0
        self.on_line(text)


class HostError(Exception):
    """Why a host cannot be read; the message names what to fix."""

    def __init__(self, message: str, state: State = State.UNREACHABLE) -> None:
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None  # None when it did not end by itself
    timed_out: bool = False
    error: str = ""  # the host could not run it at all

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Host(Protocol):
    name: str  # the console's name for it (the node's, where one is mapped)
    target: str  # "local" or the SSH target
    is_root: bool

    def samples(self, interval: float) -> AsyncIterator[HostSample]: ...

    async def run(self, argv: Sequence[str], on_line: Line, timeout: float | None) -> int | None:
        """Run a command, give each output line (stdout and stderr), return its exit code."""
        ...

    async def close(self) -> None: ...


# -- this machine ---------------------------------------------------------------------
class LocalHost:
    """This machine: psutil for the numbers, asyncio subprocesses for systemd and the journal."""

    target = "local"

    def __init__(self, name: str = "") -> None:
        self.name = name or socket.gethostname()
        self.is_root = os.geteuid() == 0
        self.services = Services(note="not read yet")
        self._services_at = 0.0
        self._net: tuple[float, int, int] | None = None

    def sample(self) -> HostSample:
        """One reading (blocking: call it in a thread)."""
        started = time.perf_counter()
        per_core = tuple(psutil.cpu_percent(percpu=True))
        vm, sw = psutil.virtual_memory(), psutil.swap_memory()
        filesystems = []
        for part in psutil.disk_partitions(all=False):
            if part.fstype in PSEUDO_FS:
                continue
            try:
                usage = psutil.disk_usage(part.mountpoint)
            except OSError:
                continue
            filesystems.append(
                Filesystem(part.mountpoint, part.device, usage.total, usage.used, usage.free)
            )
        procs = []
        for p in psutil.process_iter(["pid", "name", "cpu_percent", "memory_percent"]):
            info = p.info
            procs.append(
                Proc(
                    info["pid"],
                    info.get("name") or "?",
                    round(info.get("cpu_percent") or 0.0, 1),
                    round(info.get("memory_percent") or 0.0, 1),
                )
            )
        now = time.time()
        counters = psutil.net_io_counters(pernic=True)
        rx = sum(c.bytes_recv for n, c in counters.items() if n != "lo")
        tx = sum(c.bytes_sent for n, c in counters.items() if n != "lo")
        rx_rate = tx_rate = 0.0
        if self._net is not None:
            seconds = max(1e-6, now - self._net[0])
            rx_rate = max(0, rx - self._net[1]) / seconds
            tx_rate = max(0, tx - self._net[2]) / seconds
        self._net = (now, rx, tx)
        return HostSample(
            at=now,
            cpu=sum(per_core) / len(per_core) if per_core else 0.0,
            per_core=per_core,
            load=psutil.getloadavg(),
            cores=psutil.cpu_count() or 1,
            memory=Memory(vm.total, vm.available, sw.total, sw.free),
            filesystems=tuple(filesystems),
            top_cpu=tuple(sorted(procs, key=lambda p: (-p.cpu, -p.memory))[:10]),
            top_memory=tuple(sorted(procs, key=lambda p: -p.memory)[:10]),
            net_rx=rx_rate,
            net_tx=tx_rate,
            services=self.services,
            took=time.perf_counter() - started,
        )

    async def read_services(self) -> Services:
        lines: list[str] = []
        await self.run(["sh", "-c", SERVICES_SCRIPT], lines.append, 20.0)
        sections = split_sections("@@units\n" + "\n".join(lines))
        return parse_services(sections.get("units", ""), sections.get("journal", ""))

    async def samples(self, interval: float) -> AsyncIterator[HostSample]:
        psutil.cpu_percent(percpu=True)  # the first call only starts the measure
        await asyncio.to_thread(lambda: list(psutil.process_iter(["cpu_percent"])))
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - self._services_at >= SERVICES_EVERY:
                self._services_at = time.monotonic()
                self.services = await self.read_services()
            yield await asyncio.to_thread(self.sample)

    async def run(self, argv: Sequence[str], on_line: Line, timeout: float | None) -> int | None:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env={**os.environ, "LC_ALL": "C", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"},
                start_new_session=True,  # so a timeout stops its children too
            )
        except OSError as e:
            raise HostError(f"cannot run {argv[0]}: {e.strerror}", State.ERROR) from None
        assert proc.stdout is not None
        emit = Lines(on_line)
        try:
            async with asyncio.timeout(timeout):
                async for raw in proc.stdout:
                    emit(raw.decode(errors="replace"))
                return await proc.wait()
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()

    async def close(self) -> None:
        return None


# -- SSH ------------------------------------------------------------------------------
TARGET = re.compile(
    r"^(?:(?P<user>[A-Za-z0-9._-]+)@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>\d{1,5}))?$"
)


@dataclass(frozen=True)
class SshTarget:
    host: str
    user: str = ""
    port: int | None = None

    def __str__(self) -> str:
        text = f"{self.user}@{self.host}" if self.user else self.host
        return f"{text}:{self.port}" if self.port else text


def parse_target(text: str) -> SshTarget:
    """`[user@]host[:port]` (or an alias of ~/.ssh/config); ValueError names what is wrong."""
    m = TARGET.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not an SSH target: use [user@]host[:port]")
    port = int(m["port"]) if m["port"] else None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{text!r}: port {port} is not between 1 and 65535")
    return SshTarget(m["host"].strip("[]"), m["user"] or "", port)


def known_hosts_path(given: str | None) -> Path:
    return Path(given).expanduser() if given else Path.home() / ".ssh" / "known_hosts"


class SshHost:
    """A node over SSH: one connection, one long-lived sampling command, commands on demand."""

    def __init__(
        self,
        target: SshTarget,
        *,
        name: str = "",
        key: str | None = None,
        known_hosts: str | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        self.ssh = target
        self.target = str(target)
        self.name = name or self.target
        self.key = key
        self.known_hosts = known_hosts_path(known_hosts)
        self.connect_timeout = connect_timeout
        self.conn: asyncssh.SSHClientConnection | None = None
        self.is_root = target.user == "root"
        self._lock = asyncio.Lock()
        self._spare: asyncssh.SSHClientProcess[str] | None = None
        self._refill: asyncio.Future[None] | None = None

    def _options(self) -> dict[str, object]:
        options: dict[str, object] = {
            "known_hosts": str(self.known_hosts),
            "connect_timeout": self.connect_timeout,
            "keepalive_interval": 5,
            "keepalive_count_max": 3,
        }
        if self.ssh.user:
            options["username"] = self.ssh.user
        if self.ssh.port:
            options["port"] = self.ssh.port
        if self.key:
            options["client_keys"] = [self.key]
        return options

    async def connect(self) -> asyncssh.SSHClientConnection:
        async with self._lock:
            if self.conn is not None and not self.conn.is_closed():
                return self.conn
            if not self.known_hosts.exists():
                raise HostError(
                    f"{self.target}: known_hosts file {self.known_hosts} does not exist;"
                    " give one with --known-hosts, holding this host's key",
                    State.REFUSED,
                )
            if self.key and not Path(self.key).expanduser().is_file():
                raise HostError(f"{self.target}: key file {self.key} not found", State.REFUSED)
            try:
                self.conn = await asyncssh.connect(self.ssh.host, **self._options())
            except asyncssh.HostKeyNotVerifiable:
                raise HostError(await self._key_refusal(), State.REFUSED) from None
            except ValueError as e:  # asyncssh's word for a malformed known_hosts or key file
                raise HostError(
                    f"{self.target}: cannot use {self.known_hosts}"
                    + (f" or the key {self.key}" if self.key else "")
                    + f": {e}",
                    State.REFUSED,
                ) from None
            except asyncssh.PermissionDenied:
                who = self.ssh.user or getpass.getuser()
                raise HostError(
                    f"{self.target}: the host refused the login of {who}"
                    + (f" with the key {self.key}" if self.key else " (agent and default keys)")
                    + "; give a key with --ssh-key",
                    State.REFUSED,
                ) from None
            except (OSError, asyncssh.Error, TimeoutError) as e:
                reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or str(e)
                raise HostError(
                    f"cannot connect to {self.target}: {reason or type(e).__name__}"
                ) from None
            user = self.conn.get_extra_info("username")
            self.is_root = user == "root"
            return self.conn

    async def _key_refusal(self) -> str:
        """Say whose key, which fingerprint and which file, and whether it changed."""
        fingerprint = "unknown fingerprint"
        with contextlib.suppress(Exception):
            key = await asyncssh.get_server_host_key(self.ssh.host, self.ssh.port or ())
            if key is not None:
                fingerprint = f"{key.get_algorithm()} {key.get_fingerprint()}"
        listed: Sequence[object] = ()
        with contextlib.suppress(Exception):
            known = asyncssh.read_known_hosts(str(self.known_hosts))
            addr = socket.gethostbyname(self.ssh.host)
            listed = known.match(self.ssh.host, addr, self.ssh.port)[0]
        where = f"{self.ssh.host}:{self.ssh.port}" if self.ssh.port else self.ssh.host
        if listed:
            return (
                f"host key of {where} CHANGED: the server offers {fingerprint}, which is not the"
                f" key {self.known_hosts} holds for it; refused (check the host before"
                " replacing the line)"
            )
        return (
            f"host key of {where} is unknown: the server offers {fingerprint}, not in"
            f" {self.known_hosts}; refused (verify it on the host, then add it to that file)"
        )

    async def samples(self, interval: float) -> AsyncIterator[HostSample]:
        conn = await self.connect()
        every = max(1, round(SERVICES_EVERY / interval))
        try:
            process = await conn.create_process(sampler_script(interval, every), encoding="utf-8")
        except (OSError, asyncssh.Error) as e:
            self.conn = None
            raise HostError(f"{self.target}: cannot start the sampler: {e}") from None
        parser = ProcText()
        if self._spare is None:
            self._refill = asyncio.ensure_future(self._prepare_spare())
        try:
            while True:
                try:
                    async with asyncio.timeout(max(15.0, 5 * interval)):
                        block = await process.stdout.readuntil("@@end\n")
                except (asyncio.IncompleteReadError, asyncssh.Error, OSError, TimeoutError) as e:
                    raise HostError(
                        f"lost {self.target}: "
                        + (
                            "no sample for a while"
                            if isinstance(e, TimeoutError)
                            else "connection closed"
                        )
                    ) from None
                sample = parser.feed(block)
                if sample is not None:
                    yield sample
        finally:
            process.close()

    async def _start_shell(self) -> asyncssh.SSHClientProcess[str]:
        conn = await self.connect()
        return await conn.create_process(
            SPARE_SHELL, encoding="utf-8", errors="replace", stderr=asyncssh.STDOUT
        )

    async def _prepare_spare(self) -> None:
        with contextlib.suppress(Exception):
            self._spare = await self._start_shell()

    async def _shell(self) -> asyncssh.SSHClientProcess[str]:
        """A shell started ahead of time, the login shell's rc files already read, so a
        command does not wait on them; another is started for the next command."""
        spare, self._spare = self._spare, None
        if spare is None or spare.is_closing() or spare.exit_status is not None:
            spare = await self._start_shell()
        self._refill = asyncio.ensure_future(self._prepare_spare())
        return spare

    async def run(self, argv: Sequence[str], on_line: Line, timeout: float | None) -> int | None:
        command = "exec env LC_ALL=C SYSTEMD_PAGER= SYSTEMD_COLORS=0 " + shlex.join(argv)
        try:
            process = await self._shell()
            process.stdin.write(command + "\n")  # the spare shell reads this one line
        except (OSError, asyncssh.Error) as e:
            raise HostError(f"{self.target}: cannot run the command: {e}") from None
        emit = Lines(on_line)
        try:
            async with asyncio.timeout(timeout):
                async for line in process.stdout:
                    emit(line)
                result = await process.wait()
                return result.exit_status
        finally:
            process.close()  # the input ends: a command still running is killed, with its group

    async def close(self) -> None:
        if self._refill is not None:
            self._refill.cancel()
        if self._spare is not None:
            self._spare.close()
            self._spare = None
        if self.conn is not None:
            self.conn.close()
            with contextlib.suppress(Exception):
                await self.conn.wait_closed()
            self.conn = None


# -- all hosts, in one loop -------------------------------------------------------------
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

    def start(self) -> None:
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        for host in self.hosts.values():
            self._tasks.append(self.loop.create_task(self._sample(host), name=f"host:{host.name}"))
        self.loop.run_forever()
        self.loop.run_until_complete(self._shutdown())
        self.loop.close()

    async def _shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for host in self.hosts.values():
            with contextlib.suppress(Exception):
                await host.close()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
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
    ) -> CommandResult:
        """From a worker thread: run one command on a host, until it ends, times out or `stop`."""
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
            target = parse_target(text)
        except ValueError as e:
            raise ValueError(f"--ssh / [hosts]: {e}") from None
        return SshHost(target, name=node, key=settings.ssh_key, known_hosts=settings.known_hosts)

    for text in settings.ssh:
        add(ssh(text, by_target.get(text, "")))
    for node, text in settings.hosts.items():
        add(LocalHost(node) if text == "local" else ssh(text, node))
    if settings.local or not hosts:
        add(LocalHost(local_name))
    return hosts
