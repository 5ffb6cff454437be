"""Keys and frames as the benches time them: the loop's worst lateness, a widget's
paints, a key to the first frame that shows its effect."""

from __future__ import annotations

import asyncio
import time
from typing import Any


class FreezeMeter:
    """The event loop's worst lateness: how long the UI could not react."""

    def __init__(self) -> None:
        self.worst, self.running = 0.0, True

    async def run(self) -> None:
        tick = 0.005
        while self.running:
            t = time.perf_counter()
            await asyncio.sleep(tick)
            self.worst = max(self.worst, time.perf_counter() - t - tick)


def watch_paints(table: Any) -> None:
    """Stamp the time of every line the table paints."""
    original = table.render_line

    def render_line(y: int) -> Any:
        table.last_paint = time.perf_counter()
        return original(y)

    table.last_paint = 0.0
    table.render_line = render_line


class Frames:
    """The top screen's frames, stamped when they show a key's effect (the effect's state,
    read as the frame is drawn, is there): whichever widgets it changed."""

    probe: Any = None
    shown_at = 0.0

    @classmethod
    def watch(cls) -> None:
        from textual.screen import Screen

        original = Screen._compositor_refresh
        if getattr(original, "stamped", False):
            return

        def refresh(screen: Any) -> None:
            ready = screen is screen.app.screen and cls.probe is not None and cls.probe()
            original(screen)
            if ready:
                cls.shown_at, cls.probe = time.perf_counter(), None

        refresh.stamped = True  # type: ignore[attr-defined]
        Screen._compositor_refresh = refresh  # type: ignore[method-assign]


async def key_to_paint(app: Any, key: str, changed: Any) -> float:
    """From a key arriving (as the terminal driver delivers it) to the end of the first
    frame drawn with its effect. Pilot.press is not used: it waits for the whole process
    to go idle."""
    from textual import events

    Frames.watch()
    t = time.perf_counter()
    Frames.probe, Frames.shown_at = changed, 0.0
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)
    while Frames.shown_at == 0.0:
        await asyncio.sleep(0.0005)
        if time.perf_counter() - t > 10:
            raise SystemExit(f"key {key!r} had no visible effect within 10 s")
    return Frames.shown_at - t


async def cursor_keys(app: Any, table: Any, n: int) -> list[float]:
    """n cursor moves (20 down, 20 up, ...), each from its key to the table repainted."""
    keys = []
    for i in range(n):
        key = "down" if (i // 20) % 2 == 0 else "up"
        before = table.cursor
        keys.append(await key_to_paint(app, key, lambda b=before: table.cursor != b))
    return keys


def pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]
