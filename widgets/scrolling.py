"""A scroll view's new virtual size, without a layout of the whole screen when none is due.

Textual lays out every widget of the screen when a widget's virtual size changes (the
reactive is declared so). A table's row count or a log's line count changes many times a
second: each change was a layout of the whole screen (34 widgets arranged again for a
key that filtered the pods pane; 7.4 ms a frame for the log tail). When neither
scrollbar comes or goes, nothing else on the screen moves: the scrollbars, the scroll
position and the view's own lines are updated here, as the layout would.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Input


def _stays(overflow: str, shown: bool, new: int, old: int, room: int) -> bool:
    """Whether a scrollbar stays as it is for an extent going from `old` to `new`."""
    if overflow in ("scroll", "hidden") or new == old:
        return True  # always there, never there, or nothing changed on this axis
    return new > room if shown else new <= room


def set_virtual_size(view: ScrollView, size: Size, *, follow: bool = False) -> None:
    """`follow`: a view at its end stays at its end (a log being followed)."""
    old = view.virtual_size
    if size == old:
        return
    width, height = view.container_size
    styles = view.styles
    v_shown, h_shown = view.show_vertical_scrollbar, view.show_horizontal_scrollbar
    rows = height - view.scrollbar_size_horizontal  # what the scrollbars leave
    cols = width - view.scrollbar_size_vertical
    if not (
        view.is_mounted
        and rows > 0
        and cols > 0
        and (
            styles.scrollbar_size_vertical == 0  # one of no width takes no room
            or _stays(styles.overflow_y, v_shown, size.height, old.height, rows)
        )
        and (
            styles.scrollbar_size_horizontal == 0  # an Input's (its text scrolls)
            or _stays(styles.overflow_x, h_shown, size.width, old.width, cols)
        )
    ):
        view.virtual_size = size  # a layout: a scrollbar may come or go
        return
    following = follow and view.scroll_y >= view.max_scroll_y
    view.set_reactive(Widget.virtual_size, size)
    if v_shown:
        view.vertical_scrollbar.window_virtual_size = size.height
    if h_shown:
        view.horizontal_scrollbar.window_virtual_size = size.width
    end = view.max_scroll_y
    if following or view.scroll_y > end:
        view.scroll_target_y = view.scroll_y = end
    if view.scroll_x > view.max_scroll_x:
        view.scroll_target_x = view.scroll_x = view.max_scroll_x
    view.refresh()


class InputBox(Input):
    """An Input whose typing lays out nothing but itself: Textual's sets the box's virtual
    size at each change of its value, a layout of the whole screen per key typed in a
    filter (116 of 120 keys over the pods pane of 10,000 under churn)."""

    def _watch_value(self, value: str) -> None:
        # the size first, without a layout: Input's own watcher then finds it unchanged
        set_virtual_size(self, Size(self.content_width, 1))
        super()._watch_value(value)
