"""Lines already laid out (styled strips, made off the UI thread), drawn as they scroll
into view. A Static holding a long report wrapped and measured all of it to lay the
screen out: the report screen's first frame held the UI for 40-65 ms; this one costs
its visible rows."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class TextLines(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_up", "Up", show=False, id="lines.up"),
        Binding("down,j", "scroll_down", "Down", show=False, id="lines.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="lines.page-up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="lines.page-down"),
        Binding("home,g", "scroll_home", "Top", show=False, id="lines.home"),
        Binding("end,G", "scroll_end", "End", show=False, id="lines.end"),
    ]
    DEFAULT_CSS = "TextLines { height: 1fr; }"

    def __init__(self, strips: list[Strip], **kw: Any) -> None:
        super().__init__(**kw)
        self.strips = strips
        width = max((s.cell_length for s in strips), default=0)
        self.virtual_size = Size(width, len(strips))

    def render_line(self, y: int) -> Strip:
        x, top = self.scroll_offset
        width = self.scrollable_content_region.width
        i = top + y
        if i >= len(self.strips):
            return Strip.blank(width, self.rich_style)
        return self.strips[i].crop_extend(x, x + width, self.rich_style)
