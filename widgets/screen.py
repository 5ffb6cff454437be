"""Screens pushed over the dashboard, styled once and laid out once when they open.

Textual lays a pushed screen out when it resumes, then sends the screen a Resize for
having been shown, at the size it was just laid out at: the screen was laid out again,
and every screen beneath it too (the dashboard's 34 widgets), all in the same turn of
the loop as the first (`:pods` took 40-70 ms to its first frame). A Resize at the size
the screen's last layout already had changes nothing and is let go here; a real one (the
terminal resized) is handled as always. And a screen's first resume follows its mount,
where each widget was styled: styling them all again there was a fifth of that turn.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from textual import events
from textual._context import active_app
from textual.app import App
from textual.screen import ModalScreen, Screen

ResultT = TypeVar("ResultT")


def settle(screen: Screen[Any], event: events.Resize) -> None:
    if event.size == screen._compositor.size:
        event.prevent_default()  # Screen's own handler: the layouts above
        breakpoints(screen, event.size.width, event.size.height)  # and what it also does


def breakpoints(screen: Screen[Any], width: int, height: int, app: App[Any] | None = None) -> None:
    """The size's classes (the app's -narrow, -short...), as Screen's handler sets them: a
    screen first laid out without a Resize has them only from here."""
    app = screen.app if app is None else app
    across = (
        app.HORIZONTAL_BREAKPOINTS
        if screen.HORIZONTAL_BREAKPOINTS is None
        else screen.HORIZONTAL_BREAKPOINTS
    ) or []
    down = (
        app.VERTICAL_BREAKPOINTS
        if screen.VERTICAL_BREAKPOINTS is None
        else screen.VERTICAL_BREAKPOINTS
    ) or []
    if across or down:
        classes = {name: False for _, name in (*across, *down)}
        for name in (
            *screen._get_breakpoint_classes(width, across),
            *screen._get_breakpoint_classes(height, down),
        ):
            classes[name] = True
        screen.update_classes(classes, update=screen.is_mounted, animate=False)


class _Settled:
    """What both kinds of screen share (Textual finds a handler on any class of the MRO)."""

    _resumed = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The size's classes before the widgets are styled at their mount: set at the
        # first Resize, they styled every widget of the screen again in the turn of its
        # first frame (`:pods` open: a fifth of it).
        app = active_app.get(None)
        if app is not None:
            breakpoints(cast("Screen[Any]", self), app.size.width, app.size.height, app)

    def on_resize(self, event: events.Resize) -> None:
        settle(cast("Screen[Any]", self), event)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False  # styled as they were mounted, a moment ago


class SettledScreen(_Settled, Screen[ResultT]):
    pass


class SettledModal(_Settled, ModalScreen[ResultT]):
    pass


class OpaqueOnTop:
    """For the App (a mixin before App): nothing shows beneath an opaque screen. Textual
    counts the screen under the top one as seen through it whatever the top one's
    background, so the dashboard's every change under a log tail (its rows under churn,
    several times a second) drew the dashboard, then the whole tail over it again: the
    worst frames of the tail, 15-25 ms. Under a modal (its background lets the
    dashboard show), Textual's rule stands."""

    @property
    def _background_screens(self) -> list[Screen[Any]]:
        app = cast("App[Any]", self)
        stack = app._screen_stack
        if stack and stack[-1].styles.background.a == 1:
            return []
        return cast("list[Screen[Any]]", App._background_screens.fget(app))  # type: ignore[attr-defined]
