"""What an action needs to know before it can say what it will do (replicas, resources)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from widgets.screen import SettledModal
from widgets.scrolling import InputBox


class ParamsScreen(SettledModal[dict[str, str] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="params.cancel"),
    ]
    DEFAULT_CSS = """
    ParamsScreen { align: center middle; }
    ParamsScreen > Vertical {
        width: 80; height: auto; border: thick $accent; background: $surface; padding: 1 2;
    }
    ParamsScreen .row { height: 1; margin: 1 0 0 0; }
    ParamsScreen Label { width: 20; color: $text-muted; }
    ParamsScreen Input { width: 1fr; height: 1; border: none; padding: 0 1; background: $panel; }
    ParamsScreen Input:focus { border: none; background: $accent 30%; }
    ParamsScreen #keys { color: $text-muted; padding: 1 0 0 0; }
    ParamsScreen #choices { color: $text-muted; padding: 1 0 0 0; }
    """

    def __init__(
        self,
        title: str,
        target: str,
        defaults: dict[str, Any],
        names: tuple[str, ...],
        choices: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.target_text = title, target
        self.defaults, self.names = defaults, names
        self.choices = list(choices or [])

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self.title_text} — {self.target_text}", markup=False)
            for name in self.names:
                with Horizontal(classes="row"):
                    yield Label(name, markup=False)
                    yield InputBox(
                        str(self.defaults.get(name, "")),
                        id=f"p-{name.replace('.', '-')}",
                        suggester=SuggestFromList(self.choices) if self.choices else None,
                    )
            if self.choices:
                yield Static("one of: " + ", ".join(self.choices), id="choices", markup=False)
            yield Static(
                "Tab moves · Enter: see exactly what will be done · Esc cancels",
                id="keys",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = {
            name: self.query_one(f"#p-{name.replace('.', '-')}", Input).value for name in self.names
        }
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
