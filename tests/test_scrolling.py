"""Tables and logs change their size many times a second: the screen is laid out again
only when a scrollbar comes or goes, and what they show is what a layout would show."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Static

from tests.conftest import until
from tests.test_app import SIZE, lines
from widgets.logview import LogView
from widgets.screen import OpaqueOnTop, SettledScreen
from widgets.scrolling import InputBox
from widgets.table import Column, VirtualTable

NAME = Column("name", "NAME", 30)


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield VirtualTable[str]([NAME], render=lambda r: ((r, r.upper()), ""), key=lambda r: r)


class OneLog(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView()


class OneBox(App[None]):
    CSS = "InputBox { dock: bottom; width: 30; height: 1; border: none; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield VirtualTable[str]([NAME], render=lambda r: ((r,), ""), key=lambda r: r)
        yield InputBox()


def rows(n: int) -> list[str]:
    return [f"pod-{i:04d}" for i in range(n)]


async def test_a_tables_rows_and_columns_change_without_laying_out_the_screen() -> None:
    """Its scrollbar is always there: rows outgrowing the pane, or fitting in it again,
    move nothing else on the screen (the pods pane filtered by a key was a layout)."""
    app = OneTable()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows(rows(500))
        await pilot.pause()
        table.cursor = 450  # near the end: the view scrolled down to it
        await until(pilot, lambda: not table._layout_required, what="its first layout done")
        assert "pod-0450" in "".join(lines(table))
        laid_out = table._layout_updates

        table.set_rows(rows(300))  # the cursor's row is gone: it lands on the last one
        await pilot.pause()
        shown = [ln.strip() for ln in lines(table)]
        assert shown[-1] == "pod-0299" and table.cursor_key == "pod-0299"
        assert table.vertical_scrollbar.window_virtual_size == 301  # the header too
        assert table.scroll_y == table.max_scroll_y

        table.set_rows(rows(5))  # they fit now: back at the top, the scrollbar stays
        await pilot.pause()
        assert [ln.strip() for ln in lines(table)][:7] == ["NAME", *rows(5), ""]
        assert table.scroll_y == 0 and table.show_vertical_scrollbar

        table.set_columns([NAME, Column("upper", "UPPER", 30)])  # wider, still fits
        await pilot.pause()
        assert lines(table)[1].split() == ["pod-0000", "POD-0000"]
        table.set_rows(rows(500))
        await until(pilot, lambda: "pod-0000" in lines(table)[1], what="the first row")
        assert table._layout_updates == laid_out
        assert table.vertical_scrollbar.window_virtual_size == 501


async def test_a_log_lays_out_the_screen_when_its_scrollbar_comes_and_only_then() -> None:
    app = OneLog()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(LogView)
        view.write_lines(["line 0"])
        await until(pilot, lambda: lines(view)[0].strip() == "line 0", what="the first line")
        await until(pilot, lambda: not view._layout_required, what="its first layout done")
        room = view.container_size.height
        laid_out = view._layout_updates
        view.write_lines([f"line {i}" for i in range(1, room)])  # fills it, no scrollbar
        await until(pilot, lambda: lines(view)[-1].strip() == f"line {room - 1}")
        assert view._layout_updates == laid_out and not view.show_vertical_scrollbar
        view.write_lines([f"line {i}" for i in range(room, room + 50)])  # one comes
        await until(pilot, lambda: view.show_vertical_scrollbar, what="a scrollbar")
        assert view._layout_updates > laid_out
        await until(pilot, lambda: lines(view)[-1].strip() == f"line {room + 49}")


class Pushed(SettledScreen[None]):
    def compose(self) -> ComposeResult:
        yield VirtualTable[str]([NAME], render=lambda r: ((r,), ""), key=lambda r: r)


def count_layouts(screen: Any, name: str, into: list[str]) -> None:
    """What lays a screen out for a size: the Resize's handler, for it and those beneath."""
    original = screen._screen_resized

    def counted(*a: Any, **k: Any) -> None:
        into.append(name)
        original(*a, **k)

    screen._screen_resized = counted


async def test_a_pushed_screen_is_not_laid_out_again_for_its_size_and_a_real_resize_is() -> None:
    """Opening a screen lays it out once: the Resize Textual sends it for being shown,
    at the size it was laid out at, lays out neither it nor the dashboard beneath it
    again. A terminal resized while it is open resizes both."""
    app = OneTable()
    async with app.run_test(size=SIZE) as pilot:
        dashboard, pushed = app.screen, Pushed()
        layouts: list[str] = []
        count_layouts(dashboard, "dashboard", layouts)
        count_layouts(pushed, "pushed", layouts)
        await app.push_screen(pushed)
        table = pushed.query_one(VirtualTable)
        await until(pilot, lambda: app.screen is pushed and table.size.width == SIZE[0])
        await pilot.pause()
        assert layouts == []

        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: table.size.width == 120, what="the pushed screen resized")
        assert {"pushed", "dashboard"} <= set(layouts)
        app.pop_screen()
        below = dashboard.query_one(VirtualTable)
        await until(pilot, lambda: below.size.width == 120, what="the dashboard resized")


async def test_typing_in_a_filter_box_lays_out_nothing_and_shows_what_was_typed() -> None:
    """Textual's Input laid out the whole screen at each key typed (the pods pane's
    filter: 116 layouts for 120 keys). Past its width, the box still shows the end of
    the text, where the cursor is."""
    app = OneBox()
    async with app.run_test(size=SIZE) as pilot:
        box = app.query_one(InputBox)
        box.focus()
        await until(pilot, lambda: box.has_focus and not box._layout_required)
        laid_out = box._layout_updates
        await pilot.press(*"svc")
        await until(pilot, lambda: lines(box)[0].strip() == "svc", what="svc in the box")
        assert box._layout_updates == laid_out
        await pilot.press(*"-frontend-with-a-very-long-name")
        want = "svc-frontend-with-a-very-long-name"
        await until(pilot, lambda: box.value == want)
        await pilot.pause()
        assert lines(box)[0].strip() == want[-(box.content_size.width - 1) :]
        assert box._layout_updates == laid_out
        await pilot.press("backspace", "backspace")
        await until(pilot, lambda: lines(box)[0].strip().endswith("long-na"))
        assert box._layout_updates == laid_out


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountedTable(VirtualTable[str]):
    """The lines the screen asks it to draw."""

    asked: list[int]

    def render_line(self, y: int) -> Strip:
        self.asked.append(y)
        return super().render_line(y)


class Counted(App[None]):
    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def compose(self) -> ComposeResult:
        table = CountedTable([NAME], render=lambda r: ((r,), ""), key=lambda r: r, clock=self.clock)
        table.asked = []
        yield table


async def test_rows_set_again_redraw_only_the_lines_that_changed_until_the_next_second() -> None:
    """Under churn the pods pane sets its rows 10-20 times a second, mostly the same:
    only a line whose row changed is drawn again (all of them were), and the screen
    shows the new rows. The first set of the next second draws every line, for the
    cells that tell time."""
    clock = Clock()
    app = Counted(clock)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CountedTable)
        first = rows(200)
        table.set_rows(first)
        await until(pilot, lambda: 1 in table.asked, what="the rows drawn")
        await pilot.pause()
        page = table.scrollable_content_region.height - 1
        table.asked.clear()

        second = list(first)
        second[3] = "pod-0003-changed"
        table.set_rows(second)
        await until(pilot, lambda: table.asked, what="a line drawn")
        await pilot.pause()
        assert table.asked == [4]  # the header is line 0
        assert [ln.strip() for ln in lines(table)][1:6] == [*first[:3], second[3], first[4]]

        table.asked.clear()
        table.set_rows(list(second))  # the same rows in another list: nothing to draw
        await pilot.pause()
        assert table.asked == []

        clock.now += 1
        table.set_rows(list(second))
        await until(pilot, lambda: len(set(table.asked)) == page + 1, what="every line")


class Narrowing(App[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def get_default_screen(self) -> Pushed:
        return Pushed(id="_default")


async def test_a_settled_screen_has_its_sizes_classes_though_its_resize_is_let_go() -> None:
    """The Resize a settled screen lets go also set the size's classes (the dashboard's
    -narrow shows one pane at a time): the dashboard and a screen pushed over it have
    them, and a real resize changes them. A screen made over a narrow terminal is narrow
    from the start: its widgets are styled once, at their mount, not again at its first
    Resize (a fifth of `:pods`'s open)."""
    app = Narrowing()
    async with app.run_test(size=(60, 20)) as pilot:
        pushed = Pushed()
        assert pushed.has_class("-narrow")
        await until(pilot, lambda: app.screen.has_class("-narrow"), what="-narrow, dashboard")
        await app.push_screen(pushed)
        await until(pilot, lambda: pushed.has_class("-narrow"), what="-narrow, pushed")
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: pushed.has_class("-wide") and not pushed.has_class("-narrow"))


class Stacked(OpaqueOnTop, App[None]):
    def compose(self) -> ComposeResult:
        yield VirtualTable[str]([NAME], render=lambda r: ((r,), ""), key=lambda r: r)


class CountedScreen(SettledScreen[None]):
    def compose(self) -> ComposeResult:
        table = CountedTable([NAME], render=lambda r: ((r,), ""), key=lambda r: r)
        table.asked = []
        yield table


class Translucent(ModalScreen[None]):
    DEFAULT_CSS = "Translucent { background: $background 50%; }"

    def compose(self) -> ComposeResult:
        yield Static("over it")


async def test_what_changes_under_an_opaque_screen_draws_nothing_until_it_shows_again() -> None:
    """The dashboard changing under a log tail (its rows under churn) drew the dashboard
    and then the whole tail again, several times a second: under an opaque screen it
    draws nothing, shows what changed when it is back on top, and still shows through
    a translucent modal."""
    app = Stacked()
    async with app.run_test(size=SIZE) as pilot:
        below = app.query_one(VirtualTable)
        below.set_rows(rows(3))
        await until(pilot, lambda: "pod-0000" in lines(below)[1])
        top = CountedScreen()
        await app.push_screen(top)
        table = top.query_one(CountedTable)
        await until(pilot, lambda: 0 in table.asked, what="the top screen drawn")
        await pilot.pause()
        assert app._background_screens == [] and not app.screen_stack[0].is_current
        table.asked.clear()
        below.set_rows(["changed-while-hidden"])
        await pilot.pause()
        await pilot.pause()
        assert table.asked == []  # the top screen was not drawn again for it
        app.pop_screen()
        await until(pilot, lambda: "changed-while-hidden" in lines(below)[1])
        await app.push_screen(Translucent())
        assert app._background_screens == [app.screen_stack[0]]
