"""A log view for fast streams: bounded, filterable, pausable; renders only visible lines.

Lines arrive in batches (write_lines). Retention is bounded (10,000 lines by default)
and what falls off is counted, never silently lost. While paused, new lines wait and
are counted. A filter shows only matching lines with the matches highlighted. Lines
are plain text: markup is never interpreted.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.text import strip_controls
from widgets.scrolling import set_virtual_size

MAX_LINE = 8192  # characters kept of one line; the rest is cut and said so
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) ")

# A line is its text; its kind is "" for log text, "notice" or "error" for our own words,
# kept apart (by line number) for the few that have one. A (text, kind) pair per line made
# 2,000 objects a second more at a tail's pace, each living seconds: the soak's memory
# kept their holes.


def clean_line(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    text = strip_controls(raw.rstrip("\r\n"), limit=MAX_LINE * 2)
    if len(text) > MAX_LINE:
        text = text[:MAX_LINE] + f" … [{len(text) - MAX_LINE} more characters cut]"
    return text


class LogView(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "logview--match",
        "logview--notice",
        "logview--error",
        "logview--stamp",
    }
    DEFAULT_CSS = """
    LogView { height: 1fr; background: $surface; }
    LogView > .logview--match { background: $warning 60%; color: $text; text-style: bold; }
    LogView > .logview--notice { color: $accent; text-style: italic; }
    LogView > .logview--error { color: $error; text-style: bold; }
    LogView > .logview--stamp { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_up", "Up", show=False, id="log.up"),
        Binding("down,j", "scroll_down", "Down", show=False, id="log.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="log.page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="log.page-down"),
        Binding("home,g", "scroll_home", "Top", show=False, id="log.top"),
        Binding("end,G", "follow_end", "End", show=False, id="log.end"),
    ]

    class Changed(Message):
        """Counts changed (lines, dropped, pending): the screen's status line follows."""

    def __init__(self, max_lines: int = 10_000, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_lines = max_lines
        self._lines: list[str] = []
        self._kinds: dict[int, str] = {}  # absolute index -> "notice" | "error"
        self._base = 0  # absolute index of _lines[0]
        self.dropped = 0
        self.paused = False
        self._pending: list[str] = []  # log lines only: our own words are never held
        self.pending_dropped = 0
        self.wrap = False
        self.timestamps = True
        self.filter_text = ""
        self._matches: list[int] | None = None  # absolute indices of matching lines
        self._rows: list[tuple[int, int]] | None = None  # wrap mode: (absolute index, column)
        self._rows_width = 0
        self._frame: tuple[int, Style] | None = None  # while lines are drawn: width, style

    # -- feeding ---------------------------------------------------------------------
    def write_lines(self, lines: list[str | bytes], kind: str = "") -> None:
        held = self.paused and kind == ""
        over = len(lines) - self.max_lines
        if over > 0:  # a stream's replay after an outage: what would fall off at once is
            lines = lines[over:]  # counted, not cleaned (20,000 lines: the soak's RSS step)
            if held:
                self.pending_dropped += over
            else:
                self.dropped += over
        if not held:  # the oldest go before the new are made: one view's worth at a time
            self._trim(len(lines))
        batch = [clean_line(x) for x in lines]
        if held:
            self._pending.extend(batch)
            if len(self._pending) > self.max_lines:
                cut = len(self._pending) - self.max_lines
                del self._pending[:cut]
                self.pending_dropped += cut
            self.post_message(self.Changed())
            return
        self._append(batch, kind)

    def notice(self, text: str, error: bool = False) -> None:
        self._append([clean_line(text)], "error" if error else "notice")

    def _append(self, batch: list[str], kind: str = "") -> None:
        if not batch:
            return
        self._trim(len(batch))
        start = self._base + len(self._lines)
        self._lines.extend(batch)
        if kind:
            self._kinds.update(dict.fromkeys(range(start, start + len(batch)), kind))
        if self._matches is not None:
            needle = self.filter_text.lower()
            self._matches.extend(
                start + i for i, text in enumerate(batch) if kind or needle in text.lower()
            )
        self._rows = None
        self._resize()
        self.post_message(self.Changed())

    def _trim(self, incoming: int) -> None:
        """Room for `incoming` lines within max_lines: the oldest go, counted, in chunks
        (not line by line)."""
        over = len(self._lines) + incoming - self.max_lines
        if over <= 0:
            return
        cut = min(len(self._lines), max(over, self.max_lines // 10))
        ours = [i for i in self._kinds if i < self._base + cut]
        for i in ours:
            del self._kinds[i]
        self.dropped += cut - len(ours)  # log lines
        del self._lines[:cut]
        self._base += cut
        if self._matches is not None:
            del self._matches[: bisect_left(self._matches, self._base)]

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused and self._pending:
            pending, self._pending = self._pending, []
            self.dropped += self.pending_dropped
            self.pending_dropped = 0
            self._append(pending)
        self.post_message(self.Changed())

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        if text:
            needle = text.lower()
            base, kinds = self._base, self._kinds
            self._matches = [
                base + i
                for i, line in enumerate(self._lines)
                if base + i in kinds or needle in line.lower()
            ]
        else:
            self._matches = None
        self._rows = None
        self._resize()
        self.refresh()
        self.post_message(self.Changed())

    def set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._rows = None
        self._resize()
        self.refresh()

    def set_timestamps(self, shown: bool) -> None:
        self.timestamps = shown
        self._rows = None
        self._resize()
        self.refresh()

    # -- counts ------------------------------------------------------------------------
    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def log_line_count(self) -> int:
        """The stream's lines held (line_count less our own notices): with `dropped`,
        every line the stream sent."""
        return len(self._lines) - len(self._kinds)

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def shown(self) -> int:
        return len(self._matches) if self._matches is not None else len(self._lines)

    def text_lines(self) -> list[str]:
        """Every retained line as shown (for saving to a file)."""
        kinds = self._kinds
        return [self._display(t, kinds.get(self._base + i, "")) for i, t in enumerate(self._lines)]

    # -- geometry ----------------------------------------------------------------------
    def _indices(self) -> list[int] | range:
        if self._matches is not None:
            return self._matches
        return range(self._base, self._base + len(self._lines))

    def _line(self, index: int) -> tuple[str, str]:
        """The line at an absolute index: (text, kind)."""
        return self._lines[index - self._base], self._kinds.get(index, "")

    def _display(self, text: str, kind: str) -> str:
        if not self.timestamps and not kind:
            return STAMP.sub("", text, count=1)
        return text

    def _wrapped_rows(self, width: int) -> list[tuple[int, int]]:
        if self._rows is None or self._rows_width != width:
            rows: list[tuple[int, int]] = []
            width = max(width, 10)
            for index in self._indices():
                text = self._display(*self._line(index))
                for col in range(0, max(len(text), 1), width):
                    rows.append((index, col))
            self._rows, self._rows_width = rows, width
        return self._rows

    def _resize(self) -> None:
        width = self.scrollable_content_region.width or 80
        if self.wrap:
            height = len(self._wrapped_rows(width))
            set_virtual_size(self, Size(width, height), follow=self.is_anchored)
        else:
            longest = max((cell_len(t) for t in self._lines[-200:]), default=0)
            size = Size(max(longest, self.virtual_size.width), self.shown)
            set_virtual_size(self, size, follow=self.is_anchored)

    def on_resize(self) -> None:
        self._rows = None
        self._resize()

    # Following is Textual's anchor: the view stays at the end as lines arrive, until the
    # reader scrolls away; End (or G) anchors it again.
    def on_mount(self) -> None:
        self.anchor()

    def action_follow_end(self) -> None:
        self.anchor()

    @property
    def follow(self) -> bool:
        return self.is_anchored

    # -- rendering ---------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        """The width and the base style worked out once for all the lines drawn (each
        line asked for them again: half of a frame's time under a 2,000 lines/s tail)."""
        self._frame = (self.scrollable_content_region.width, self.rich_style)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        width, base = self._frame or (self.scrollable_content_region.width, self.rich_style)
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        if self.wrap:
            rows = self._wrapped_rows(width)
            if row >= len(rows):
                return Strip.blank(width, base)
            index, col = rows[row]
            text, kind = self._line(index)
            text = self._display(text, kind)[col : col + width]
            return self._styled(text, kind, base).crop_extend(0, width, base)
        indices = self._indices()
        if row >= len(indices):
            return Strip.blank(width, base)
        text, kind = self._line(indices[row])
        text = self._display(text, kind)
        return self._styled(text, kind, base).crop_extend(scroll_x, scroll_x + width, base)

    def _styled(self, text: str, kind: str, base: Style) -> Strip:
        if kind:
            return Strip([Segment(text, base + self.get_component_rich_style(f"logview--{kind}"))])
        segments: list[Segment] = []
        stamp = STAMP.match(text) if self.timestamps else None
        if stamp:
            segments.append(
                Segment(stamp.group(0), base + self.get_component_rich_style("logview--stamp"))
            )
            text = text[stamp.end() :]
        needle = self.filter_text.lower()
        if not needle:
            segments.append(Segment(text, base))
            return Strip(segments)
        match_style = base + self.get_component_rich_style("logview--match")
        lower, pos = text.lower(), 0
        while True:
            hit = lower.find(needle, pos)
            if hit < 0:
                segments.append(Segment(text[pos:], base))
                break
            if hit > pos:
                segments.append(Segment(text[pos:hit], base))
            segments.append(Segment(text[hit : hit + len(needle)], match_style))
            pos = hit + len(needle)
        return Strip(segments)
