"""make bench (hosts): the console's host sampling, this machine and three SSH targets.

Three real OpenSSH sshd on 127.0.0.1 (throwaway keys, known_hosts checked), one
LocalHost (psutil) and three SshHosts, all at 1 Hz for BENCH_HOST_SECONDS (60), in
one HostManager as the console runs them. Prints:
  CPU of this process over the run, in % of one core, in all and per host (goal < 2 %)
  per-sample cost: LocalHost.sample() (psutil) and the parse of an SSH block, p50/p95
  sample latency: for each sample, how late it came after the one before (interval
  lateness), p50/p95/max, per kind
  the remote sampler's own CPU on the host (the sh loop and what it runs), % of a core
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from tests.sshd import Sshd
from tui.sources.hosts import HostManager
from tui.sources.local import LocalHost
from tui.sources.ssh import SshHost, parse_target
from tui.store import ChangeBuffer
from tui.store.host import HostUpdate

SECONDS = float(os.environ.get("BENCH_HOST_SECONDS", "60"))
SSH_HOSTS = int(os.environ.get("BENCH_SSH_HOSTS", "3"))
INTERVAL = 1.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process's live descendants (the remote side of each sampler)."""
    total = 0.0
    try:
        for p in psutil.Process(pid).children(recursive=True):
            try:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.NoSuchProcess:
                pass
    except psutil.NoSuchProcess:
        pass
    return total


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-hosts-"))
    servers = [Sshd(root / f"sshd{i}") for i in range(SSH_HOSTS)]
    for server in servers:
        server.start()
    hosts: list[LocalHost | SshHost] = [LocalHost("local")]
    for i, server in enumerate(servers):
        hosts.append(
            SshHost(
                parse_target(server.target),
                name=f"ssh{i}",
                key=str(server.client_key),
                known_hosts=str(server.known_hosts),
            )
        )
    buffer = ChangeBuffer()
    manager = HostManager(hosts, buffer, interval=INTERVAL)
    me = psutil.Process()
    arrivals: dict[str, list[float]] = {h.name: [] for h in hosts}
    costs: dict[str, list[float]] = {h.name: [] for h in hosts}
    manager.start()
    # wait for each host's first sample, then measure from there
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(arrivals.values()):
        for change in buffer.drain():
            if isinstance(change, HostUpdate) and change.sample is not None:
                arrivals[change.host].append(time.monotonic())
        time.sleep(0.05)
    for name in arrivals:
        arrivals[name] = arrivals[name][-1:]
    remote0 = sum(tree_cpu(s.proc.pid) for s in servers if s.proc)
    cpu0, t0 = me.cpu_times(), time.monotonic()
    while time.monotonic() - t0 < SECONDS:
        for change in buffer.drain():
            if isinstance(change, HostUpdate) and change.sample is not None:
                arrivals[change.host].append(time.monotonic())
                costs[change.host].append(change.sample.took)
        time.sleep(0.05)
    cpu1, t1 = me.cpu_times(), time.monotonic()
    remote1 = sum(tree_cpu(s.proc.pid) for s in servers if s.proc)
    manager.stop()
    for server in servers:
        server.kill()

    wall = t1 - t0
    used = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    total_pct = 100 * used / wall
    print(f"host sampling, {len(hosts)} hosts (1 local + {SSH_HOSTS} SSH) at 1 Hz, {wall:.0f} s")
    print(
        f"  console process CPU: {total_pct:.2f} % of one core in all,"
        f" {total_pct / len(hosts):.2f} % per host (goal < 2 % per host)"
    )
    for kind, names in (("local", ["local"]), ("ssh", [h.name for h in hosts[1:]])):
        took = [c * 1000 for n in names for c in costs[n]]
        late = [
            (b - a - INTERVAL) * 1000
            for n in names
            for a, b in zip(arrivals[n], arrivals[n][1:], strict=False)
        ]
        count = sum(len(costs[n]) for n in names)
        what = "psutil sample" if kind == "local" else "parse of a block"
        print(
            f"  {kind}: {count} samples; {what} p50 {pct(took, 0.5):.2f} ms"
            f" p95 {pct(took, 0.95):.2f} ms; lateness after the interval"
            f" p50 {statistics.median(late) if late else float('nan'):.1f} ms"
            f" p95 {pct(late, 0.95):.1f} ms max {max(late, default=float('nan')):.1f} ms"
        )
    remote = 100 * (remote1 - remote0) / wall / max(1, SSH_HOSTS)
    print(f"  remote sampler (sh loop on the host) CPU: {remote:.2f} % of one core per host")


if __name__ == "__main__":
    main()
