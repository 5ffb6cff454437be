"""Textual's Footer, recomposed only when what it shows changes.

The stock Footer rebuilds all its keys at every bindings signal: each focus change, each
`refresh_bindings`. On the dashboard that was 10-20 ms of mounting and styling plus a
full layout of the screen (about 20 ms more) for the same keys, three times in the
first second and again at each pane switch. This one compares what it would show
with what it shows and does nothing when they are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen
    from textual.widget import Widget

Shown = tuple[tuple[str, str, str, bool, str], ...]


class QuietFooter(Footer):
    _shown: Shown | None = None

    def __init__(self) -> None:
        super().__init__()
        # composed with its keys at once (the stock one waits for the first signal, then
        # fills in after the first frame: 27 ms of mounting and a 31 ms layout then)
        self._bindings_ready = True

    def shown(self) -> Shown:
        """The keys the footer would show: key, action, description, enabled, tooltip."""
        return tuple(
            (b.key, b.action, b.description, enabled, tooltip)
            for (_, b, enabled, tooltip) in self.screen.active_bindings.values()
            if b.show
        )

    def compose(self) -> ComposeResult:
        self._shown = self.shown()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # born in its final style: a key starts compact, the binding to the
                # footer's `compact` then undoes it, and each step restyled the key (two
                # stylesheet passes a key, 20-50 ms for a screen's footer as it opened)
                compact = True if widget.has_class("-command-palette") else self.compact
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        # Only the screen on top: a screen covered by another lost its focus, so its keys,
        # and has them back with its focus when it is on top again (the dashboard's footer
        # rebuilt itself as each screen opened over it: 40-60 ms in the :pods screen's load)
        if self.is_attached and screen is self.screen and screen.app.screen is screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached or self.app.screen is not self.screen:
            return
        if self.shown() != self._shown:
            await self.recompose()


def focus_then_footer(screen: Screen[Any], widget: Widget) -> None:
    """The focus set at once, then the footer mounted: it is composed once, with the keys
    of what has the focus. Composed before the focus came, it rebuilt itself when it did
    (a layout and every key drawn again, 40-60 ms as a screen opened)."""
    screen.set_focus(widget)
    screen.mount(QuietFooter())
