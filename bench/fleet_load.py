"""make bench (fleet): 50 nodes through one Prometheus, 20 of them over SSH as well.

The demo cluster's API (`demo-server --workers 49`, in its own process) lists 50 nodes,
the workers at 127.0.1.N. Debian's Prometheus scrapes one node-exporter 50 times, each
copy relabelled as one node (its instance NODE_IP:9100, its nodename the node's), every
2 s. One OpenSSH sshd stands for 20 of them under 20 ~/.ssh/config aliases (a HOME of
the bench's own): 20 SSH hosts, 20 connections, each its own host key check. The
console runs headless (160x48), as an operator would run it: `--prometheus URL` and
[hosts] entries for the 20 aliases.

Two phases of BENCH_FLEET_SECONDS (60) each, after every host is live:
  1. Prometheus only (50 hosts): the console's CPU, per host
  2. Prometheus + 20 SSH hosts: the same, per host, and per SSH host over phase 1
Prints the refresh latency (seven queries for all 50 nodes, answered and parsed:
p50/p95/max), the time from a refresh to the pane showing it, RSS, and what
Prometheus and sshd cost on their side. Goals: < 0.5 % of a core per host, refresh of
all 50 under 1 s.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from tests.prom import Prometheus
from tests.sshd import Sshd, free_port

SECONDS = float(os.environ.get("BENCH_FLEET_SECONDS", "60"))
NODES, SSH = 50, 20
INTERVAL = 2.0
SERVER = ("vps-6227e9e1", "37.59.98.241")


def workers() -> list[tuple[str, str]]:
    return [(f"vps-worker-{n:02d}", f"127.0.1.{n}") for n in range(1, NODES)]


def start_api(root: Path) -> tuple[subprocess.Popen[bytes], Path]:
    kubeconfig = root / "kubeconfig"
    argv = [sys.executable, "-m", "tui", "demo-server", "--port", str(free_port())]
    argv += ["--workers", str(NODES - 1), "--worker-ip", "127.0.1.{n}", "--no-scenario"]
    proc = subprocess.Popen([*argv, "--kubeconfig-out", str(kubeconfig)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    for _ in range(3):  # its three lines: the API is up, the kubeconfig written
        proc.stdout.readline()
    return proc, kubeconfig


def cpu_of(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
            for c in p.children(recursive=True):
                ct = c.cpu_times()
                total += ct.user + ct.system
        except psutil.NoSuchProcess:
            pass
    return total


async def phase(app: Any, pilot: Any, others: list[psutil.Process]) -> dict[str, float]:
    me = psutil.Process()
    feed = next(f for f in app.session.feeds if type(f).__name__ == "NodeExporterFeed")
    took: list[float] = []
    shown: list[float] = []
    seen = feed.refreshes
    view = app.store.hosts[SERVER[0]]
    last = view.metrics.at
    c0, o0, t0 = me.cpu_times(), cpu_of(others), time.perf_counter()
    while time.perf_counter() - t0 < SECONDS:
        await pilot.pause(0.05)
        if feed.refreshes != seen:
            seen = feed.refreshes
            took.append(feed.took)
        if view.metrics.at != last:  # a refresh reached the store: since its answers came
            last = view.metrics.at
            shown.append(feed.took + time.time() - last)
    c1, o1, wall = me.cpu_times(), cpu_of(others), time.perf_counter() - t0
    cpu = 100 * ((c1.user + c1.system) - (c0.user + c0.system)) / wall
    return {
        "cpu": cpu,
        "others": 100 * (o1 - o0) / wall,
        "p50": statistics.median(took) * 1000,
        "p95": sorted(took)[int(0.95 * len(took))] * 1000,
        "max": max(took) * 1000,
        "shown_p95": sorted(shown)[int(0.95 * len(shown))] * 1000,
        "shown_max": max(shown) * 1000,
        "refreshes": len(took),
        "rss": me.memory_info().rss / 2**20,
    }


async def profiled(app: Any, pilot: Any, others: list[psutil.Process]) -> dict[str, float]:
    """BENCH_PROFILE=1: where the console's time goes in a phase (cProfile, top 25)."""
    if not os.environ.get("BENCH_PROFILE"):
        return await phase(app, pilot, others)
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    try:
        return await phase(app, pilot, others)
    finally:
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


async def run(root: Path) -> None:
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.sources.client import Kube
    from tui.sources.hosts import build_hosts

    api, kubeconfig = start_api(root)
    prom = Prometheus(root / "prom", [SERVER, *workers()], scrape=INTERVAL).start()
    sshd = Sshd(root / "sshd", aliases=tuple(name for name, _ in workers()[:SSH]))
    home = root / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text(sshd.ssh_config())
    os.environ["HOME"] = str(home)  # asyncssh reads ~/.ssh/config from there
    try:
        sshd.start()
        prom.wait_ready(120)
        settings = Settings(
            kubeconfig=str(kubeconfig),
            prometheus_url=prom.url,
            host_interval=INTERVAL,
            no_hosts=True,
            ssh_key=str(sshd.client_key),
            known_hosts=str(sshd.known_hosts),
        )
        app = IncidentApp(settings, Kube.from_kubeconfig(str(kubeconfig), None), hosts=[])
        services = [psutil.Process(p.pid) for p in prom.procs]
        async with app.run_test(size=(160, 48)) as pilot:
            deadline = time.monotonic() + 60
            while sum(1 for v in app.store.hosts.values() if v.from_prometheus) < NODES:
                await pilot.pause(0.1)
                if time.monotonic() > deadline:
                    raise SystemExit("not every node has Prometheus figures after 60 s")
            await pilot.pause(10)  # the first charts and lists drawn: a steady state
            one = await profiled(app, pilot, services)
            # 20 of them over SSH too, as [hosts] entries would give them
            settings.hosts = {name: name for name, _ in workers()[:SSH]}  # the aliases
            settings.no_hosts = False
            manager = app.session.host_manager
            if manager is None:
                from tui.sources.hosts import HostManager

                manager = app.session.host_manager = HostManager([], app.session.buffer, INTERVAL)
                manager.start()
            for host in build_hosts(settings):
                app.store.add_host(host.name, host.target)
                manager.add(host)
            deadline = time.monotonic() + 60
            while sum(1 for v in app.store.hosts.values() if v.sample is not None) < SSH:
                await pilot.pause(0.1)
                if time.monotonic() > deadline:
                    raise SystemExit("not every SSH host sampled after 60 s")
            assert sshd.proc is not None
            two = await phase(app, pilot, [*services, psutil.Process(sshd.proc.pid)])
    finally:
        prom.stop()
        sshd.kill()
        api.terminate()
    cores = psutil.cpu_count() or 1
    print(f"fleet: {NODES} nodes through one Prometheus, {SSH} of them over SSH too; {cores} cores")
    print(f"  phases of {SECONDS:.0f} s, refresh every {INTERVAL:g} s")
    for name, r, hosts in (("prometheus only", one, NODES), (f"+ {SSH} ssh", two, NODES)):
        print(f"  {name:16} console CPU {r['cpu']:5.1f} % of a core"
              f" = {r['cpu'] / hosts:.2f} % per host (goal < 0.5)")  # fmt: skip
        print(f"  {'':16} refresh of all {NODES}: p50 {r['p50']:.0f} ms  p95 {r['p95']:.0f} ms"
              f"  max {r['max']:.0f} ms over {r['refreshes']} refreshes (goal < 1000)")  # fmt: skip
        print(f"  {'':16} asked to in the store: p95 {r['shown_p95']:.0f} ms"
              f"  max {r['shown_max']:.0f} ms   RSS {r['rss']:.0f} MB")  # fmt: skip
        print(f"  {'':16} Prometheus + exporter{' + sshd' if r is two else ''}:"
              f" {r['others']:.1f} % of a core")  # fmt: skip
    ssh_cost = (two["cpu"] - one["cpu"]) / SSH
    print(f"  each SSH host adds {ssh_cost:.2f} % of a core to the console")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as root:
        asyncio.run(run(Path(root)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
