"""make bench: 50,000 pods (~3 KB of JSON each, 140 MB a list) in an emulator in its own
process; the console launched on it. Goals (the stamina issue's):
  launch -> 50,000 rows listed vs kubectl get pods -A -o name, same server: ratio < 0.25
  longest UI freeze from the screen up to all rows listed: < 17 ms
  RSS once listed: < 500 MB
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import tui  # noqa: F401  first: it sets the console's frame rate before Textual is imported
from bench.pods_load import (
    BenchServer,
    make_app,
    measure_load,
    print_load,
    time_kubectl,
    verdict,
)

PODS = int(os.environ.get("BENCH_LARGE_PODS", "50000"))
GOALS = {"ratio": 0.25, "freeze_ms": 17.0, "rss_mb": 500.0}


async def measure(kubeconfig: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    app, t0 = make_app(kubeconfig)
    async with app.run_test(size=(160, 48)) as pilot:
        await measure_load(app, pilot, PODS, t0, out)
        app.session.stop()
    return out


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="ic-bench-large-"))
    kubeconfig = work / "kubeconfig"
    server = BenchServer(kubeconfig, PODS)
    try:
        kubectl_s = time_kubectl(kubeconfig, PODS)
        result = asyncio.run(measure(kubeconfig))
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)
    print_load(PODS, server.pod_bytes, result, kubectl_s)
    freeze = result["freeze_ms"]
    print(
        f"  longest UI freeze, screen up -> listed {freeze:6.1f} ms"
        f"  goal < {GOALS['freeze_ms']:.0f}: {verdict(freeze, GOALS['freeze_ms'])}"
    )
    rss = result["rss_mb"]
    print(
        f"  RSS once listed                  {rss:7.0f} MB  goal < {GOALS['rss_mb']:.0f}:"
        f" {verdict(rss, GOALS['rss_mb'])}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
