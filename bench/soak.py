"""make soak: the console for 30 minutes at 10,000 pods with 100 pod + 100 event changes/s,
a 2,000 lines/s log tail and 3 SSH hosts, with the API server killed every 5 minutes
(down for 10 s, back on the same port). Not part of `make test`.

Prints: RSS growth after the first minute, keypress latency over the whole run, the
kills caused and the outages the console saw, how long the banner and the recovery
took, and the events kept in the store. SOAK_SECONDS, SOAK_KILL_EVERY and SOAK_DOWN_FOR
shorten it for a try.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from bench.keys import key_to_paint, pct
from bench.pods_load import PODS, BenchServer
from tests.sshd import Sshd

SECONDS = float(os.environ.get("SOAK_SECONDS", "1800"))
KILL_EVERY = float(os.environ.get("SOAK_KILL_EVERY", "300"))
DOWN_FOR = float(os.environ.get("SOAK_DOWN_FOR", "10"))
TRACE = os.environ.get("SOAK_TRACE") == "1"  # which objects grew (a census at 1 min and the end)
CHURN, LOG_RATE, SSH_HOSTS = 100, 2000, 3


def census() -> dict[str, int]:
    """Objects by type, the collector's tracked ones plus how many it froze."""
    counts = Counter(type(o).__name__ for o in gc.get_objects())
    counts["(frozen by gc.freeze)"] = gc.get_freeze_count()
    return dict(counts)


def pymalloc() -> str:
    """pymalloc's arenas and what is in them (sys._debugmallocstats writes to fd 2)."""
    with tempfile.TemporaryFile() as f:
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        text = f.read().decode()
    if os.environ.get("SOAK_MALLOC_DIR"):  # every size class, for a closer look
        Path(os.environ["SOAK_MALLOC_DIR"], f"pymalloc-{time.time():.0f}.txt").write_text(text)
    lines = text.splitlines()
    keep = (
        "# arenas allocated current",
        "# bytes in allocated blocks",
        "# bytes in available b",
        "Total",
    )
    return "; ".join(" ".join(ln.split()) for ln in lines if ln.startswith(keep))


def rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


class Outages:
    """The pods feed's state as the console showed it, with when each change came."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.changes: list[tuple[float, str]] = []

    def __call__(self, touched: set[str]) -> None:
        if "status" not in touched:
            return
        state = self.app.store.status["pods"].state.value
        if not self.changes or self.changes[-1][1] != state:
            self.changes.append((time.perf_counter(), state))

    def first(self, state: str, after: float) -> float | None:
        return next((t for t, s in self.changes if s == state and t >= after), None)


async def soak(kubeconfig: Path, server: BenchServer, hosts: list[Any]) -> dict[str, Any]:
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.screens.tail import TailScreen
    from tui.sources.client import Kube
    from widgets.logview import LogView
    from widgets.table import VirtualTable

    settings = Settings(kubeconfig=str(kubeconfig), metrics_interval=15, host_interval=2)
    app = IncidentApp(settings, Kube.from_kubeconfig(str(kubeconfig), None), hosts=hosts)
    out: dict[str, Any] = {"kills": [], "keys": [], "rss": []}
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        t0 = time.perf_counter()
        while table.row_count < PODS:
            await pilot.pause(0.05)
            if time.perf_counter() - t0 > 120:
                raise SystemExit(f"soak: only {table.row_count} rows after 120 s")
        outages = Outages(app)
        app.after_flush.append(outages)
        ns, name = server.log_pod.split("/")
        pod = next(p for p in app.store.pods.values() if p.namespace == ns and p.name == name)
        table.move_to(pod.uid)
        server.send(f"churn {CHURN}")
        server.send(f"logs {LOG_RATE}")
        await pilot.press("l")
        while not (isinstance(app.screen, TailScreen) and app.screen.query(LogView)):
            await pilot.pause(0.05)
        view = app.screen.query_one(LogView)
        start = time.perf_counter()
        next_kill, next_rss = start + KILL_EVERY, start
        baseline: float | None = None
        while (now := time.perf_counter()) - start < SECONDS:
            if now >= next_rss:
                out["rss"].append((now - start, rss_mb()))
                next_rss += 10
                if baseline is None and now - start >= 60:
                    baseline = rss_mb()
                    if TRACE:
                        out["trace0"] = census()
                        out["pymalloc0"] = pymalloc()
            if now >= next_kill:
                next_kill += KILL_EVERY
                server.send("down")
                down = time.perf_counter()
                while time.perf_counter() - down < DOWN_FOR:  # keys go on while it is down
                    before = view.timestamps
                    lat = await key_to_paint(app, "t", lambda b=before: view.timestamps != b)
                    out["keys"].append((time.perf_counter(), lat))
                    await asyncio.sleep(0.3)
                server.send("up")
                out["kills"].append((down, time.perf_counter()))
                continue
            before = view.timestamps
            lat = await key_to_paint(app, "t", lambda b=before: view.timestamps != b)
            out["keys"].append((time.perf_counter(), lat))
            await asyncio.sleep(0.5)
        reply = server.send("quiet")
        out["log_sent"] = int(reply.split("log_lines=")[1].split()[0])
        await pilot.pause(2.0)
        out["log_received"] = view.log_line_count + view.dropped
        out["rss_first_minute"] = baseline or out["rss"][0][1]
        out["rss_end"] = rss_mb()
        if TRACE and "trace0" in out:
            before, after = out.pop("trace0"), census()
            out["trace"] = sorted(((after[k] - before.get(k, 0), k) for k in after), reverse=True)[
                :12
            ]
            gc.unfreeze()  # what the freezes kept that nothing reaches any more
            frozen_garbage = gc.collect()
            out["frozen_garbage"] = (frozen_garbage, rss_mb())
            out["pymalloc"] = pymalloc()
            ctypes.CDLL("libc.so.6").malloc_trim(0)
            out["trimmed"] = rss_mb()
        out["events"] = len(app.store.events)
        out["events_cap"] = app.store.max_events
        out["events_dropped"] = app.store.events_dropped
        out["banner"] = [
            (t - down) if (t := outages.first("unreachable", down)) else None
            for down, _ in out["kills"]
        ]
        out["recovery"] = [
            (t - up) if (t := outages.first("live", up)) else None for _, up in out["kills"]
        ]
        out["outages_seen"] = sum(1 for _, s in outages.changes if s == "unreachable")
        out["hosts_live"] = sum(1 for v in app.store.hosts.values() if v.status.state.ok)
        app.session.stop()
    return out


def seconds_list(values: list[float | None]) -> str:
    return ", ".join("never" if v is None else f"{v:.1f}" for v in values) or "none"


def main() -> int:
    from tui.sources.ssh import SshHost, parse_target

    work = Path(tempfile.mkdtemp(prefix="ic-soak-"))
    servers = [Sshd(work / f"sshd{i}") for i in range(SSH_HOSTS)]
    for s in servers:
        s.start()
    hosts = [
        SshHost(
            parse_target(s.target),
            name=f"ssh{i}",
            key=str(s.client_key),
            known_hosts=str(s.known_hosts),
        )
        for i, s in enumerate(servers)
    ]
    server = BenchServer(work / "kubeconfig")
    try:
        r = asyncio.run(soak(work / "kubeconfig", server, hosts))
    finally:
        server.close()
        for s in servers:
            s.kill()
    growth = (r["rss_end"] / r["rss_first_minute"] - 1) * 100
    keys_ms = [k * 1000 for _, k in r["keys"]]
    after_up = [k * 1000 for t, k in r["keys"] if any(0 <= t - up < 30 for _, up in r["kills"])]
    down = [k * 1000 for t, k in r["keys"] if any(d <= t < up for d, up in r["kills"])]
    steady = [k * 1000 for t, k in r["keys"] if not any(d <= t < up + 30 for d, up in r["kills"])]
    print(
        f"soak: {SECONDS / 60:.0f} min, {PODS} pods, {CHURN} pod + {CHURN} event changes/s, "
        f"log tail {LOG_RATE} lines/s, {SSH_HOSTS} SSH hosts, API killed every "
        f"{KILL_EVERY / 60:.0f} min for {DOWN_FOR:.0f} s"
    )
    print(
        f"  RSS after the first minute {r['rss_first_minute']:.0f} MB, at the end "
        f"{r['rss_end']:.0f} MB: growth {growth:+.1f} %   goal < 10 %:"
        f" {'PASS' if growth < 10 else 'FAIL'}"
    )
    print(
        f"  keypress (t, log tail) n={len(keys_ms)} p50 {pct(keys_ms, 50):.1f} ms "
        f"p95 {pct(keys_ms, 95):.1f} ms max {max(keys_ms):.1f} ms   goal p95 < 20:"
        f" {'PASS' if pct(keys_ms, 95) < 20 else 'FAIL'}"
    )
    print(
        "  keypress by phase (ms): "
        + " ; ".join(
            f"{name} n={len(v)} p95 {pct(v, 95):.1f} max {max(v):.1f}"
            for name, v in (("down", down), ("30 s after its return", after_up), ("else", steady))
            if v
        )
    )
    print(
        f"  API kills caused {len(r['kills'])}, outages seen {r['outages_seen']}; banner after "
        f"(s): {seconds_list(r['banner'])}; live again after the return (s): "
        f"{seconds_list(r['recovery'])}"
    )
    print(
        f"  events in the store {r['events']} (cap {r['events_cap']}, "
        f"{r['events_dropped']} older not kept, said in the pane)"
    )
    print(
        f"  log lines sent {r['log_sent']}, shown or counted {r['log_received']}; "
        f"SSH hosts live at the end {r['hosts_live']}/{SSH_HOSTS}"
    )
    curve = " ".join(f"{t / 60:.0f}m:{mb:.0f}" for t, mb in r["rss"] if int(t) % 60 < 10)
    print(f"  RSS by minute (MB): {curve}")
    if TRACE:
        print("  RSS every 10 s (MB): " + " ".join(f"{mb:.0f}" for _, mb in r["rss"]))
    if r.get("trace"):
        print(
            "  objects gained after the first minute: "
            + ", ".join(f"{name} {n:+d}" for n, name in r["trace"])
        )
        n, mb = r["frozen_garbage"]
        print(f"  unfrozen and collected at the end: {n} unreachable objects; RSS then {mb:.0f} MB")
        print(f"  pymalloc at 1 min: {r['pymalloc0']}")
        print(f"  pymalloc at the end: {r['pymalloc']}")
        print(f"  RSS after malloc_trim: {r['trimmed']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
