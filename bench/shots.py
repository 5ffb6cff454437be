"""What every screenshot shares: where they go, the size, waiting, the palette."""

from __future__ import annotations

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


async def palette(app: Any, pilot: Any, words: str, first: str) -> None:
    """ctrl+p, the words typed, Enter once the wanted command is the first."""
    from textual.command import CommandPalette

    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    await pilot.press(*words)
    await until(
        pilot,
        lambda: first in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt),
        f"{first} first",
    )
    await pilot.press("enter")


def shot(app: Any, name: str) -> None:
    path = OUT / f"{name}.svg"
    app.save_screenshot(filename=path.name, path=str(OUT))
    print(f"  {path.relative_to(OUT.parent)}")
