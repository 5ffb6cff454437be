"""A bordered pane with a title that says what it shows and in what state."""

from __future__ import annotations

from textual.containers import Vertical
from textual.markup import escape


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

    def set_title(self, title: str, subtitle: str = "") -> None:
        """Titles are escaped: only our own words, never markup from the cluster."""
        if self.border_title != escape(title):
            self.border_title = escape(title)
        if self.border_subtitle != escape(subtitle):
            self.border_subtitle = escape(subtitle)
