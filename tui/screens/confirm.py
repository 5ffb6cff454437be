"""The confirmation modal: which cluster, what exactly, what the server said of a dry run."""

from __future__ import annotations

import shlex
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from actions.base import Outcome, Plan


def spaced(text: str) -> str:
    return " ".join(text.upper())


class ConfirmScreen(ModalScreen[bool]):
    """Dismissed with True only by Enter (or the typed name, for a dangerous action)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("enter", "confirm", "Confirm", id="confirm.confirm"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 110; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ConfirmScreen.-dangerous > Vertical { border: thick $error; }
    ConfirmScreen #context {
        height: 3; content-align: center middle; text-style: bold;
        background: $accent; color: $text;
    }
    ConfirmScreen.-dangerous #context { background: $error; }
    ConfirmScreen #title { text-style: bold; padding: 1 0 0 0; }
    ConfirmScreen .label { color: $text-muted; padding: 1 0 0 0; }
    ConfirmScreen #request { background: $panel; padding: 0 1; }
    ConfirmScreen #plan-body { height: auto; max-height: 20; }
    ConfirmScreen #dry.-ok { color: $success; text-style: bold; }
    ConfirmScreen #dry.-bad { color: $error; text-style: bold; }
    ConfirmScreen #dry.-host { color: $warning; text-style: bold; }
    ConfirmScreen #host { text-style: bold; }
    ConfirmScreen #say { color: $warning; text-style: bold; padding: 1 0 0 0; }
    ConfirmScreen #keys { color: $text-muted; padding: 1 0 0 0; }
    """

    def __init__(self, plan: Plan, dry: Outcome) -> None:
        super().__init__()
        self.plan, self.dry = plan, dry
        self.blocked = bool(plan.refusal) or not dry.ok
        if plan.dangerous:
            self.add_class("-dangerous")

    def compose(self) -> ComposeResult:
        p = self.plan
        with Vertical():
            banner = (
                f"HOST   {spaced(p.target.name)}" if p.host else f"CONTEXT   {spaced(p.context)}"
            )
            yield Static(banner, id="context", markup=False)
            yield Static(p.title, id="title", markup=False)
            if p.host:
                yield Static(f"HOST   {p.host}", id="host", markup=False)
            else:
                where = f"namespace {p.target.namespace} · " if p.target.namespace else ""
                yield Static(f"{where}{p.target.kind} {p.target.name or ''}".strip(), markup=False)
            with VerticalScroll(id="plan-body"):
                yield Static(p.summary, markup=False)
                if p.diff:
                    yield Static("Changes", classes="label", markup=False)
                    yield Static(p.diff, markup=False)
                if p.host:
                    yield Static(f"Commands, in order, on {p.host}", classes="label", markup=False)
                    yield Static(
                        "\n".join(f"$ {shlex.join(c)}" for c in p.commands),
                        id="request",
                        markup=False,
                    )
                    yield Static("Same as", classes="label", markup=False)
                    yield Static(f"$ {p.equivalent}", id="equivalent", markup=False)
                else:
                    yield Static("Same as", classes="label", markup=False)
                    yield Static(f"$ {p.equivalent}", id="equivalent", markup=False)
                    yield Static("Request", classes="label", markup=False)
                    yield Static(
                        "\n\n".join(r.describe() for r in p.requests) or "(none)",
                        id="request",
                        markup=False,
                    )
            if p.refusal:
                yield Static(f"✖ cannot run: {p.refusal}", id="dry", classes="-bad", markup=False)
            elif p.host:
                yield Static(
                    "no dry run on a host: the commands above are exactly what will run",
                    id="dry",
                    classes="-host",
                    markup=False,
                )
            elif self.dry.ok:
                yield Static(
                    "✔ server dry run OK (dryRun=All)", id="dry", classes="-ok", markup=False
                )
            else:
                yield Static(
                    f"✖ server dry run: {self.dry.message}", id="dry", classes="-bad", markup=False
                )
            if p.dangerous and not self.blocked:
                yield Static(f"Type {p.confirm_word} to confirm", id="say", markup=False)
                yield Input(placeholder=p.confirm_word, id="typed")
            keys = (
                "Esc cancels"
                if self.blocked
                else (
                    "type the name, Enter confirms · Esc cancels"
                    if p.dangerous
                    else "Enter confirms · Esc cancels"
                )
            )
            yield Static(keys, id="keys", markup=False)

    def on_mount(self) -> None:
        if self.plan.dangerous and not self.blocked:
            self.query_one("#typed", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        if self.blocked:
            self.notify("This action cannot run; nothing was sent. Esc closes.", severity="error")
            return
        if self.plan.dangerous:
            self._check_typed(self.query_one("#typed", Input).value)
            return
        self.dismiss(True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._check_typed(event.value)

    def _check_typed(self, value: str) -> None:
        if value.strip() == self.plan.confirm_word:
            self.dismiss(True)
            return
        word = self.plan.confirm_word
        self.query_one("#say", Static).update(
            f"“{value}” is not {word}: nothing was sent. Type {word} to confirm"
        )
        self.query_one("#typed", Input).value = ""
