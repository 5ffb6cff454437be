"""make bench: `incident-console serve` with 5 viewers on the 10,000-pod server.

Each viewer is a websocket client speaking textual-serve's protocol, as the page's
script does (resize, then the terminal's output read as it comes), so the figures are
the serving machine's: one console process per viewer. Prints the RSS per viewer and
the CPU of all the viewers' consoles together, with the pods churning at 100/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

from bench.pods_load import BenchServer
from tests.sshd import free_port

VIEWERS = int(os.environ.get("BENCH_VIEWERS", "5"))
SECONDS = float(os.environ.get("BENCH_SERVE_SECONDS", "30"))
CHURN = 100


async def viewer(url: str, received: list[int], index: int, stop: asyncio.Event) -> None:
    """A browser's page on the console; refused at first, it asks again (serve prints its
    URL as it starts to listen: the first viewers could be a moment early)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return await watch(url, received, index, stop)
        except aiohttp.ClientConnectorError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def watch(url: str, received: list[int], index: int, stop: asyncio.Event) -> None:
    base, _, query = url.partition("/?")
    token = query.split("=", 1)[1]
    ws_url = base.replace("http://", "ws://") + "/ws?width=160&height=48"
    async with (
        aiohttp.ClientSession(cookies={"incident_console_token": token}) as session,
        # as the page's browser does: the websocket is refused to any other origin
        session.ws_connect(ws_url, headers={"Origin": base}) as ws,
    ):
        await ws.send_json(["resize", {"width": 160, "height": 48}])
        while not stop.is_set():
            try:
                msg = await asyncio.wait_for(ws.receive(), 1.0)
            except TimeoutError:
                continue
            if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
            received[index] += len(msg.data) if isinstance(msg.data, bytes | str) else 0


def consoles(serve: psutil.Process) -> list[psutil.Process]:
    """The viewers' console processes (python -m tui under the shell textual-serve runs)."""
    out = []
    for p in serve.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "tui" in p.cmdline() and "serve" not in p.cmdline():
                out.append(p)
    return out


async def measure(url: str, serve: psutil.Process) -> dict[str, float]:
    received = [0] * VIEWERS
    stop = asyncio.Event()
    tasks = [asyncio.create_task(viewer(url, received, i, stop)) for i in range(VIEWERS)]
    deadline = time.monotonic() + 90
    # every viewer's console running and painting (the 10k pods listed: a big repaint)
    while len(consoles(serve)) < VIEWERS or min(received) < 200_000:
        if time.monotonic() > deadline:
            raise SystemExit(f"serve bench: viewers not painting: {received}")
        await asyncio.sleep(0.5)
    await asyncio.sleep(5)  # past the first list's burst
    procs = consoles(serve)
    cpu0 = {p.pid: sum(p.cpu_times()[:2]) for p in procs}
    serve0 = sum(serve.cpu_times()[:2])
    t0 = time.monotonic()
    await asyncio.sleep(SECONDS)
    wall = time.monotonic() - t0
    cpu = sum(sum(p.cpu_times()[:2]) - cpu0[p.pid] for p in procs)
    serve_cpu = sum(serve.cpu_times()[:2]) - serve0
    rss = [p.memory_info().rss for p in procs]
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "viewers": len(procs),
        "rss_mean_mb": sum(rss) / len(rss) / 1e6,
        "rss_max_mb": max(rss) / 1e6,
        "cpu_per_viewer_pct": cpu / wall / len(procs) * 100,
        "cpu_all_viewers_pct": cpu / wall * 100,
        "serve_cpu_pct": serve_cpu / wall * 100,
        "serve_rss_mb": serve.memory_info().rss / 1e6,
    }


def start_serve(*args: str, home: Path) -> tuple[subprocess.Popen[str], str]:
    """`incident-console serve ARGS` in its own process group; returns it and the URL
    (with its token) it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", str(free_port()), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # the viewers' consoles are its children: one group
        env={**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(home)},
    )
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("bench: serve exited before printing its URL")
        if line.startswith("open: "):
            return proc, line[6:].strip()


def stop_serve(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="ic-serve-bench-"))
    kubeconfig = work / "kubeconfig"
    server = BenchServer(kubeconfig)
    proc, url = start_serve(
        *("--no-hosts", "--kubeconfig", str(kubeconfig)),
        *("--audit-log", str(work / "audit.jsonl")),
        home=work,
    )
    try:
        server.send(f"churn {CHURN}")
        figures = asyncio.run(measure(url, psutil.Process(proc.pid)))
    finally:
        stop_serve(proc)
        server.close()
    print(
        f"serve: {figures['viewers']:.0f} viewers on 10,000 pods, {CHURN} changes/s, "
        f"{SECONDS:.0f} s at 160x48"
    )
    print(
        f"  RSS per viewer's console: mean {figures['rss_mean_mb']:.0f} MB, "
        f"max {figures['rss_max_mb']:.0f} MB; serve itself {figures['serve_rss_mb']:.0f} MB"
    )
    print(
        f"  CPU: {figures['cpu_per_viewer_pct']:.1f} % of a core per viewer, "
        f"{figures['cpu_all_viewers_pct']:.1f} % for all; serve itself "
        f"{figures['serve_cpu_pct']:.1f} %"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
