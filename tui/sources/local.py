"""This machine as a host: psutil for the samples, asyncio subprocesses for systemctl and
journalctl (the operator on the node's own console)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence

import psutil

from tui.sources.host import (
    SERVICES_EVERY,
    HostError,
    Line,
    Lines,
)
from tui.sources.procfs import (
    PSEUDO_FS,
    SERVICES_SCRIPT,
    parse_services,
    split_sections,
)
from tui.store import State
from tui.store.host import Filesystem, HostSample, Memory, Proc, Services


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
                await read_lines(proc.stdout, emit)
                return await proc.wait()
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()

    async def close(self) -> None:
        return None


MAX_LINE = 64 * 1024  # a longer line is shown cut, and the command's output goes on


async def read_lines(stream: asyncio.StreamReader, emit: Callable[[str], None]) -> None:
    """Line by line, in chunks: `async for` on a StreamReader raises past its 64 KiB
    limit, which ended a `journalctl -f` tail at the first long line."""
    pending, skipping = b"", False
    while chunk := await stream.read(65536):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            if not skipping:
                emit(cut(raw))
            skipping = False  # the cut line's rest ended here
        if len(pending) > MAX_LINE:  # no newline yet: never held without bound
            if not skipping:
                emit(cut(pending))
            pending, skipping = b"", True
    if pending and not skipping:
        emit(cut(pending))


def cut(raw: bytes) -> str:
    text = raw[:MAX_LINE].decode(errors="replace")
    return text + f" … ({len(raw) - MAX_LINE} bytes cut)" if len(raw) > MAX_LINE else text


# -- SSH ------------------------------------------------------------------------------
