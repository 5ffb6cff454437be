"""The scenes the snapshot tests and `make screenshots` share.

The demo cluster held still (its clock held at one second, its chance seeded, no
scenario playing), the console's clock held at the same second, no host sampled
(psutil's figures move), 160x48. So every age, pod name and figure on screen is the
same from run to run, and a change of layout shows as a diff in review.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

SIZE = (160, 48)
HELD_AT = 1_796_000_000.0  # 2026-11-30T00:53:20Z, a second the scenes live in
PORTS = range(46_443, 46_543)  # the server's URL is on screen: the same port each run
Scene = Callable[[Any], Awaitable[None]]


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            # as the emulator binds (allow_reuse_address): a port a previous scene left
            # in TIME_WAIT is free for it
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1} for the scenes")


@contextlib.contextmanager
def still_demo(work: Path) -> Iterator[Path]:
    """The demo cluster held still; yields its kubeconfig."""
    from tui.demo import clock, start_demo

    emulator, _demo, path = start_demo(
        port=free_port(), kubeconfig=work / "kubeconfig", still_at=HELD_AT
    )
    try:
        yield path
    finally:
        emulator.stop()
        clock.hold(None)


def scene_app(kubeconfig: Path, work: Path) -> Any:
    """The app factory, as the tests use it, with the console's clock held too."""
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.sources.client import Kube

    settings = Settings(
        kubeconfig=str(kubeconfig), metrics_interval=3600, audit_log=str(work / "audit.jsonl")
    )
    return IncidentApp(
        settings,
        Kube.from_kubeconfig(settings.kubeconfig, None),
        note="demo cluster",
        clock=lambda: HELD_AT,
    )


async def until(pilot: Any, predicate: Callable[[], Any], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"scene: timed out waiting for {what}")
        await pilot.pause(0.05)


async def settled(pilot: Any) -> None:
    """Every feed listed, metrics polled, the findings evaluated, the panes drawn."""
    from tui.store import State
    from widgets.table import VirtualTable

    app = pilot.app

    def done() -> bool:
        store = app.store
        kinds = [k for k in store.status if k != "certificates"]
        return (
            all(store.status[k].state is State.LIVE for k in kinds)
            and store.metrics_status.state is State.LIVE
            and any(k.startswith("flux/") for k in store.status)
            and app.panes["findings"].evaluated
            and len(app.panes["findings"].table.items) >= 3
        )

    await until(pilot, done, "every feed live and the findings evaluated")
    await pilot.pause(0.6)  # the slowest pane refreshes twice a second
    # Each table keeps its selected row across updates: which row that is depends on
    # which feed listed first. The scene starts every cursor on the first row.
    for table in app.query(VirtualTable):
        table.cursor = 0
    await pilot.pause(0.6)


async def on_gateway(pilot: Any) -> None:
    """Settled, with the pods table's cursor on the crash-looping api-gateway pod."""
    await settled(pilot)
    app = pilot.app
    pods = app.query_one("#pods-table")
    gateway = next(p for p in pods.items if p.name.startswith("api-gateway"))
    pods.move_to(gateway.uid)
    pods.focus()
    await pilot.pause()


async def dashboard(pilot: Any) -> None:
    await on_gateway(pilot)


async def in_palette(pilot: Any, key: str, words: str, first: str) -> None:
    """The palette opened with `key`, the words typed, `first` the first command."""
    from textual.command import CommandPalette
    from textual.widgets import Input

    app = pilot.app
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    field = app.screen.query_one(Input)
    field.cursor_blink = False
    await until(pilot, lambda: field.has_focus, "the palette's input focused")
    await pilot.press(*words)
    await until(pilot, lambda: field.value == words, "the words typed")
    options = app.screen.query_one("CommandList")
    await until(
        pilot,
        lambda: (
            options.option_count and str(options.get_option_at_index(0).prompt).startswith(first)
        ),
        f"{first} first",
    )


async def palette(pilot: Any) -> None:
    """ctrl+p, "restart": what fits the selected pod first."""
    await on_gateway(pilot)
    await in_palette(pilot, "ctrl+p", "restart", "Restart deployment")
    await pilot.pause(0.3)


async def confirm(pilot: Any) -> None:
    """r on the api-gateway pod: its Deployment's restart, dry run done, waiting."""
    from tui.screens.confirm import ConfirmScreen

    await on_gateway(pilot)
    await pilot.press("r")
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
    await pilot.pause(0.3)


async def tail(pilot: Any) -> None:
    """l on a healthy pod: its logs, as the emulator holds them."""
    from tui.screens.tail import TailScreen
    from widgets.logview import LogView

    await settled(pilot)
    app = pilot.app
    pods = app.query_one("#pods-table")
    pod = next(p for p in pods.items if p.name.startswith("api-enrichment"))
    pods.move_to(pod.uid)
    pods.focus()
    await pilot.press("l")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), "the tail")
    view = app.screen.query_one(LogView)
    await until(pilot, lambda: view.line_count > 0, "the log lines")
    await pilot.pause(0.5)


async def describe(pilot: Any) -> None:
    """d on the api-gateway pod: conditions, containers with the last termination, events."""
    from tui.screens.describe import DescribeScreen

    await on_gateway(pilot)
    await pilot.press("d")
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DescribeScreen), "describe")
    await pilot.pause(0.3)


async def kind(pilot: Any) -> None:
    """`:kt kafka`: Strimzi's topics as kubectl prints them, the refused one first."""
    from tui.screens.resources import ResourceScreen

    await settled(pilot)
    app = pilot.app
    await until(pilot, lambda: app.session.discovery is not None, "the kinds discovered")
    await in_palette(pilot, "colon", "kt kafka", "Show kafkatopics")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ResourceScreen), "the topics' screen")
    screen = app.screen
    await until(pilot, lambda: screen.pane.table.row_count == 3, "the three topics")
    await pilot.pause(0.5)


SCENES: dict[str, Scene] = {
    "dashboard": dashboard,
    "palette": palette,
    "confirm": confirm,
    "tail": tail,
    "describe": describe,
    "kind": kind,
}
