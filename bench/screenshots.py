"""make screenshots: SVGs of the console on the demo cluster, into screenshots/.

Each shot waits for what it must show (a condition with a deadline), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (160, 48)


async def until(pilot: Any, predicate: Callable[[], Any], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await pilot.pause(0.1)


def shot(app: Any, name: str) -> None:
    path = OUT / f"{name}.svg"
    app.save_screenshot(filename=path.name, path=str(OUT))
    print(f"  {path.relative_to(OUT.parent)}")


async def main() -> int:
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.demo import start_demo
    from tui.sources.kube import Kube
    from tui.store import State
    from widgets.table import VirtualTable

    random.seed(6227)  # stable pod names from one run to the next
    work = Path(tempfile.mkdtemp(prefix="ic-shots-"))
    emulator, demo, kubeconfig = start_demo(kubeconfig=work / "demo-kubeconfig")
    OUT.mkdir(exist_ok=True)
    settings = Settings(kubeconfig=str(kubeconfig), metrics_interval=2)
    app = IncidentApp(
        settings,
        Kube.from_kubeconfig(str(kubeconfig), None),
        note="demo cluster: kubectl --kubeconfig ~/.cache/incident-console/demo-kubeconfig",
    )
    print("writing screenshots:")
    async with app.run_test(size=SIZE) as pilot:
        pods = app.query_one("#pods-table", VirtualTable)
        await until(
            pilot,
            lambda: (
                pods.row_count > 20
                and app.store.metrics_status.state is State.LIVE
                and pods.items[0].status == "CrashLoopBackOff"
                and len(app.store.events) > 5
            ),
            "the crash-looping api-gateway first, metrics live",
        )
        await pilot.pause(0.6)
        shot(app, "dashboard")

        await pilot.press("u")
        await until(pilot, lambda: pods.row_count < 10, "the not-healthy filter")
        shot(app, "pods-not-healthy")
        await pilot.press("u", "slash", *"kafka")
        await until(
            pilot,
            lambda: pods.row_count and all("kafka" in p.haystack for p in pods.items),
            "filter",
        )
        shot(app, "pods-filter")
        await pilot.press("escape")

        app.action_focus_pane("events")
        await pilot.press("w")
        await until(
            pilot,
            lambda: "warnings only" in str(app.query_one("#events").border_subtitle),
            "warnings",
        )
        await pilot.pause(0.6)
        shot(app, "events-warnings")
        await pilot.press("w")

        await pilot.press("question_mark")
        await pilot.pause(0.3)
        shot(app, "help")
        await pilot.press("escape")

        emulator.cluster.fail("events", 403)
        await until(
            pilot, lambda: app.store.status["events"].state is State.FORBIDDEN, "403 on events"
        )
        await pilot.pause(0.6)
        shot(app, "events-forbidden")
        emulator.cluster.fail("events", None)

        emulator.stop()
        await until(
            pilot, lambda: app.query_one("#banner").has_class("-shown"), "unreachable banner"
        )
        await pilot.pause(0.3)
        shot(app, "api-unreachable")
        app.stop_sources()
    demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
