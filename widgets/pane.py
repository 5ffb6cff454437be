"""A bordered pane with a title that says what it shows and in what state."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.containers import Vertical
from textual.markup import escape

from tui.store import KindStatus, State
from tui.store.units import human_duration


def state_text(status: KindStatus, rows: int, now: float) -> str:
    """A feed that is not live: what is wrong, and that the rows shown are the last known."""
    if status.state is State.NO_CLUSTER:  # the reason is in the pane's body and the banner
        return status.state.value
    text = status.state.value + (f": {status.message}" if status.message else "")
    if rows and not status.state.ok and status.state is not State.CONNECTING:
        text += f" · rows as last seen {human_duration(now - status.since)} ago"
    return text


class Pane(Vertical):
    DEFAULT_CSS = """
    Pane {
        border: round $primary 60%;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        height: 1fr;
        padding: 0;
    }
    Pane:focus-within { border: round $accent; }
    Pane.-trouble { border: round $error; }
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, **kw: Any) -> None:
        super().__init__(**kw)
        self.clock = clock  # the console's time: ages, "last seen", "since"

    def set_title(self, title: str, subtitle: str = "") -> None:
        """Titles are escaped: only our own words, never markup from the cluster."""
        if self.border_title != escape(title):
            self.border_title = escape(title)
        if self.border_subtitle != escape(subtitle):
            self.border_subtitle = escape(subtitle)
