"""A node over SSH (asyncssh): one long-lived sampling loop in `sh` reading /proc (nothing
installed on the node), commands run in a spare shell logged in ahead of time, host keys
checked against known_hosts and an unknown or changed key refused, never accepted."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import re
import shlex
import socket
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

with warnings.catch_warnings():
    # cryptography >= 47 warns that DSA is deprecated when asyncssh imports it: noise on
    # the operator's terminal (and inside the one-line errors), not something they can fix.
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    import asyncssh

from tui.sources.host import SERVICES_EVERY, SPARE_SHELL, HostError, Line, Lines
from tui.sources.procfs import (
    ProcText,
    sampler_script,
)
from tui.store import State
from tui.store.host import HostSample

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
        self._refills: set[asyncio.Task[None]] = set()  # every task made is held, and ended

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
            self._refill_spare()
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

    def _refill_spare(self) -> None:
        """One spare shell at a time: concurrent commands once each started one, and
        all but the last stayed open (sshd's MaxSessions is 10)."""
        if self._refills:
            return
        task = asyncio.ensure_future(self._prepare_spare())
        self._refills.add(task)
        task.add_done_callback(self._refills.discard)

    async def _prepare_spare(self) -> None:
        try:
            shell = await self._start_shell()
        except Exception:
            return
        if self._spare is None:
            self._spare = shell
        else:
            shell.close()

    async def _shell(self) -> asyncssh.SSHClientProcess[str]:
        """A shell started ahead of time, the login shell's rc files already read, so a
        command does not wait on them; another is started for the next command."""
        spare, self._spare = self._spare, None
        if spare is None or spare.is_closing() or spare.exit_status is not None:
            spare = await self._start_shell()
        self._refill_spare()
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
        for task in list(self._refills):
            task.cancel()
        if self._spare is not None:
            self._spare.close()
            self._spare = None
        if self.conn is not None:
            self.conn.close()
            with contextlib.suppress(Exception):
                await self.conn.wait_closed()
            self.conn = None


# -- all hosts, in one loop -------------------------------------------------------------
