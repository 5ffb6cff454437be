"""A table that renders only its visible rows (Line API), for 10,000 rows and more.

Rows are opaque items with a key; cells are formatted lazily, only for the lines on
screen, so a change costs a sort of the items, never a rebuild of widgets. The cursor
follows its row's key when the rows move. Styles come from component classes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.scrolling import set_virtual_size

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    align: str = "left"  # left | right
    flex: bool = False  # takes the room left over (at least `width`)


# A row as shown: cells (plain text, never markup) and a style class suffix:
# "" | "critical" | "warning" | "dim" | "ok". Cells may carry their own class suffix.
Cells = tuple[str | tuple[str, str], ...]
Renderer = Callable[[Any], tuple[Cells, str]]


class VirtualTable(ScrollView, Generic[T], can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "table--header",
        "table--cursor",
        "table--critical",
        "table--warning",
        "table--dim",
        "table--ok",
        "table--empty",
        "table--sorted",
    }
    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        overflow-y: scroll;  /* always there: rows outgrowing the pane move nothing */
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    VirtualTable > .table--header { text-style: bold; background: $panel; color: $text; }
    VirtualTable > .table--sorted { text-style: bold underline; background: $panel; }
    VirtualTable > .table--cursor { background: $surface-lighten-2; }
    VirtualTable:focus > .table--cursor { background: $accent 50%; text-style: bold; }
    VirtualTable > .table--critical { color: $error; text-style: bold; }
    VirtualTable > .table--warning { color: $warning; }
    VirtualTable > .table--dim { color: $text-muted; }
    VirtualTable > .table--ok { color: $success; }
    VirtualTable > .table--empty { color: $text-muted; text-style: italic; }
    VirtualTable.-stale { text-opacity: 55%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page-down"),
        Binding("home,g", "edge(0)", "Top", show=False, id="table.top"),
        Binding("end,G", "edge(1)", "Bottom", show=False, id="table.bottom"),
        Binding("enter", "select", "Select", show=False, id="table.select"),
        Binding("right", "column(1)", "Next column", show=False, id="table.right"),
        Binding("left", "column(-1)", "Previous column", show=False, id="table.left"),
    ]

    cursor = reactive(0, repaint=False, init=False)

    class Highlighted(Message):
        def __init__(self, table: VirtualTable[Any], key: str | None) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> VirtualTable[Any]:
            return self.table

    class Selected(Highlighted):
        pass

    class HeaderClicked(Message):
        def __init__(self, table: VirtualTable[Any], column: str) -> None:
            super().__init__()
            self.table, self.column = table, column

        @property
        def control(self) -> VirtualTable[Any]:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        render: Renderer,
        key: Callable[[T], str],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._clock = clock
        self._full_second = -1  # when every line was last repainted (see _repaint)
        self._header: tuple[str | None, bool] = (None, False)
        self._columns = list(columns)
        self._render_row = render
        self._key = key
        self._items: Sequence[T] = ()
        self._keys: list[str] | None = None
        # Rendered rows by screen line: (item, cursor?, focus?, width, scroll_x, second, strip)
        self._lines: dict[int, tuple[Any, bool, bool, int, int, int, Strip]] = {}
        self.cursor_key: str | None = None
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.empty_message = "no rows"
        self._update_virtual_size()

    def action_column(self, step: int) -> None:
        """Left/right move a whole column (one character at a time was useless)."""
        starts, x = [], 0
        for col in self._columns:
            starts.append(x)
            x += col.width + 1
        now = int(self.scroll_x)
        if step > 0:
            target = next((s for s in starts if s > now), now)
        else:
            target = next((s for s in reversed(starts) if s < now), 0)
        self.scroll_to(x=target, animate=False)

    # -- data ------------------------------------------------------------------------
    @property
    def columns(self) -> list[Column]:
        return self._columns

    def set_columns(self, columns: Sequence[Column]) -> None:
        self._columns = list(columns)
        self._lines.clear()  # drawn with the old ones (a layout cleared them, if one came)
        self._update_virtual_size()
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._items)

    @property
    def items(self) -> Sequence[T]:
        return self._items

    def set_rows(self, items: Sequence[T]) -> None:
        """Replace the rows; the cursor stays on the same key where that row still is."""
        before = (self._items, int(self.scroll_y), self.cursor)
        self._items = items
        self._keys = None
        key = self.cursor_key
        if key is not None:
            # The cursor's row usually stays where it was: check that before indexing all rows.
            c = self.cursor
            if not (c < len(items) and self._key(items[c]) == key):
                index = self.index_of(key)
                if index is not None:
                    self.set_reactive(VirtualTable.cursor, index)
        if self.cursor >= len(items):
            self.set_reactive(VirtualTable.cursor, max(0, len(items) - 1))
        new_key = self._key(items[self.cursor]) if items else None
        changed = new_key != self.cursor_key
        self.cursor_key = new_key
        self._update_virtual_size()
        self._scroll_cursor_visible()
        self._repaint(*before)
        if changed:
            self.post_message(self.Highlighted(self, new_key))

    def _repaint(self, old: Sequence[T], old_top: int, old_cursor: int) -> None:
        """Only the lines whose row changed, where the page did not move: under churn the
        pods pane's rows were set 10-20 times a second and each time all its lines were
        drawn again, for one or none that changed. Every line is drawn at the first set
        of each second, as the cells that tell time (ages) need."""
        second, header = int(self._clock()), (self.sort_column, self.sort_reverse)
        top, rows, new = int(self.scroll_y), self.scrollable_content_region.height - 1, self._items
        if (
            second != self._full_second
            or header != self._header
            or (top, self.cursor) != (old_top, old_cursor)
            or not (old and new and rows > 0)
        ):
            self._full_second, self._header = second, header
            self.refresh()
            return
        width = self.size.width
        for y in range(rows):
            i = top + y
            if (old[i] if i < len(old) else None) is not (new[i] if i < len(new) else None):
                self.refresh(Region(0, y + 1, width, 1))

    def index_of(self, key: str) -> int | None:
        if self._keys is None:
            self._keys = list(map(self._key, self._items))
        try:
            return self._keys.index(key)
        except ValueError:
            return None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def _on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()

    @property
    def selected(self) -> T | None:
        if 0 <= self.cursor < len(self._items):
            return self._items[self.cursor]
        return None

    def move_to(self, key: str) -> bool:
        index = self.index_of(key)
        if index is None:
            return False
        self.cursor = index
        return True

    # -- geometry --------------------------------------------------------------------
    @property
    def _total_width(self) -> int:
        return sum(c.width + 1 for c in self._columns)

    def _effective_columns(self, width: int) -> list[Column]:
        spare = width - self._total_width
        if spare <= 0 or not any(c.flex for c in self._columns):
            return self._columns
        return [
            Column(c.key, c.label, c.width + spare, c.align, True) if c.flex else c
            for c in self._columns
        ]

    def _update_virtual_size(self) -> None:
        set_virtual_size(self, Size(self._total_width, len(self._items) + 1))

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_visible(self) -> None:
        top = int(self.scroll_y)
        page = self._page
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)

    def watch_cursor(self, old: int, new: int) -> None:
        if not self._items:
            return
        new = max(0, min(new, len(self._items) - 1))
        if new != self.cursor:
            self.set_reactive(VirtualTable.cursor, new)
        self.cursor_key = self._key(self._items[new])
        self._scroll_cursor_visible()
        top = int(self.scroll_y)
        for row in (old, new):
            self.refresh(Region(0, row - top + 1, self.size.width, 1))
        self.post_message(self.Highlighted(self, self.cursor_key))

    # -- actions ---------------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        if self._items:
            self.cursor = max(0, min(len(self._items) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self._page)

    def action_edge(self, end: int) -> None:
        if self._items:
            self.cursor = len(self._items) - 1 if end else 0

    def action_select(self) -> None:
        if self._items:
            self.post_message(self.Selected(self, self.cursor_key))

    async def _on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = event.x + int(self.scroll_x)
            for col in self._columns:
                if x < col.width + 1:
                    self.post_message(self.HeaderClicked(self, col.key))
                    return
                x -= col.width + 1
            return
        row = int(self.scroll_y) + event.y - 1
        if 0 <= row < len(self._items):
            self.cursor = row
            if event.chain == 2:
                self.action_select()

    # -- rendering -------------------------------------------------------------------
    def _cell(self, text: str, col: Column, style: Style) -> Segment:
        if cell_len(text) > col.width:
            text = set_cell_size(text, col.width - 1) + "…" if col.width > 1 else text[:1]
        pad = col.width - cell_len(text)
        text = " " * pad + text if col.align == "right" else text + " " * pad
        return Segment(text + " ", style)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        columns = self._effective_columns(width)
        if y == 0:
            header = self.get_component_rich_style("table--header")
            sorted_style = self.get_component_rich_style("table--sorted")
            segs = []
            for col in columns:
                label = col.label
                style = header
                if col.key == self.sort_column:
                    label += " ▼" if self.sort_reverse else " ▲"
                    style = sorted_style
                segs.append(self._cell(label, col, base + style))
            return Strip(segs).crop_extend(scroll_x, scroll_x + width, base + header)
        index = scroll_y + y - 1
        if not self._items:
            if y == 1:
                style = base + self.get_component_rich_style("table--empty")
                return Strip([Segment(" " + self.empty_message, style)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(self._items):
            return Strip.blank(width, base)
        item = self._items[index]
        is_cursor, focus, second = index == self.cursor, self.has_focus, int(self._clock())
        cached = self._lines.get(y)
        if (
            cached is not None
            and cached[0] is item
            and cached[1:6] == (is_cursor, focus, width, scroll_x, second)
        ):
            return cached[6]
        strip = self._render_item(item, columns, is_cursor, width, scroll_x, base)
        if len(self._lines) > 512:
            self._lines.clear()
        self._lines[y] = (item, is_cursor, focus, width, scroll_x, second, strip)
        return strip

    def _render_item(
        self,
        item: T,
        columns: list[Column],
        is_cursor: bool,
        width: int,
        scroll_x: int,
        base: Style,
    ) -> Strip:
        cells, row_class = self._render_row(item)
        row_style = base
        if row_class:
            row_style = base + self.get_component_rich_style(f"table--{row_class}")
        segs = []
        for col, cell in zip(columns, cells, strict=False):
            if isinstance(cell, tuple):
                text, cls = cell
                style = base + self.get_component_rich_style(f"table--{cls}") if cls else row_style
            else:
                text, style = cell, row_style
            segs.append(self._cell(text, col, style))
        fill = row_style
        if is_cursor:
            cursor_style = self.get_component_rich_style("table--cursor")
            segs = list(Segment.apply_style(segs, post_style=cursor_style))
            fill = row_style + cursor_style
        return Strip(segs).crop_extend(scroll_x, scroll_x + width, fill)
