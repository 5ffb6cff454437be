"""The confirmation modal: which cluster, what exactly, what the server said of a dry run."""

from __future__ import annotations

import shlex
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Static

from actions.base import Outcome, Plan
from actions.gitops import Way
from widgets.screen import SettledModal
from widgets.scrolling import InputBox


def spaced(text: str) -> str:
    return " ".join(text.upper())


class ConfirmScreen(SettledModal[bool]):
    """Dismissed with True only by Enter (or the typed name, for a dangerous action).
    On an object Flux applies, the ways to act are offered (1, 2, 3 or the arrows), the
    safe one chosen first; `choice` is the one confirmed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("enter", "confirm", "Confirm", id="confirm.confirm"),
        Binding("up", "way(-1)", "Previous way", show=False, id="confirm.way-up"),
        Binding("down", "way(1)", "Next way", show=False, id="confirm.way-down"),
        *(
            Binding(str(n), f"pick({n - 1})", f"Way {n}", show=False, id=f"confirm.way-{n}")
            for n in (1, 2, 3)
        ),
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
    ConfirmScreen #flux { color: $warning; text-style: bold; margin: 1 0 0 0; }
    ConfirmScreen #ways { margin: 1 0 1 2; }
    """

    def __init__(
        self, plan: Plan, dry: Outcome, ways: list[Way] | None = None, flux: list[str] | None = None
    ) -> None:
        super().__init__()
        self.plan, self.dry = plan, dry
        self.ways = ways or []
        self.flux = flux or []
        self.choice = next((i for i, w in enumerate(self.ways) if w.available), 0)
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
            if self.flux:  # as many lines as it has (an auto height left blank lines)
                flux = Static("\n".join(self.flux), id="flux", markup=False)
                flux.styles.height = len(self.flux)
                yield flux
            if self.ways:
                ways = Static(self.ways_text(), id="ways", markup=False)
                ways.styles.height = len(self.ways)
                yield ways
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
                    if p.data.get("external"):  # what follows through the API
                        yield Static(str(p.data["external"]), id="then", markup=False)
                    yield Static("Same as", classes="label", markup=False)
                    yield Static(f"$ {p.equivalent}", id="equivalent", markup=False)
                elif p.data.get("external"):  # Alertmanager: its own API, no dry run
                    yield Static("Same as", classes="label", markup=False)
                    yield Static(f"$ {p.equivalent}", id="equivalent", markup=False)
                    to = p.data.get("external_to", "Alertmanager")
                    yield Static(f"Request to {to}", classes="label", markup=False)
                    yield Static(str(p.data["external"]), id="request", markup=False)
                else:
                    yield Static("Same as", classes="label", markup=False)
                    yield Static(self.equivalents(), id="equivalent", markup=False)
                    yield Static(
                        "Requests, in order" if self.ways else "Request",
                        classes="label",
                        markup=False,
                    )
                    yield Static(self.requests_text(), id="request", markup=False)
            if p.refusal:
                yield Static(f"✖ cannot run: {p.refusal}", id="dry", classes="-bad", markup=False)
            elif p.host or p.data.get("external"):
                where = "on a host" if p.host else f"in {p.data.get('external_to', 'Alertmanager')}"
                yield Static(
                    f"no dry run {where}: what is above is exactly what will be sent",
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
                yield InputBox(placeholder=p.confirm_word, id="typed")
            keys = (
                "Esc cancels"
                if self.blocked
                else (
                    "type the name, Enter confirms · Esc cancels"
                    if p.dangerous
                    else "Enter confirms · Esc cancels"
                )
            )
            if self.ways and not self.blocked:
                keys = (
                    "↑↓ choose the way · " if p.dangerous else "1 2 3 or ↑↓ choose the way · "
                ) + keys
            yield Static(keys, id="keys", markup=False)

    # -- the ways (a Flux-managed object) -------------------------------------------------
    def steps(self) -> tuple[Plan, ...]:
        return self.ways[self.choice].plans if self.ways else (self.plan,)

    def ways_text(self) -> str:
        lines = []
        for i, w in enumerate(self.ways):
            mark = "▶" if i == self.choice else " "
            lines.append(
                f"{mark} {i + 1}  {w.label}"
                + (f"  (not offered: {w.why_not})" if w.why_not else "")
            )
        return "\n".join(lines)

    def equivalents(self) -> str:
        return "\n".join(f"$ {step.equivalent}" for step in self.steps())

    def requests_text(self) -> str:
        steps = self.steps()
        if len(steps) == 1:
            return "\n\n".join(r.describe() for r in steps[0].requests) or "(none)"
        return "\n\n".join(
            f"{n}. {step.title}\n" + "\n".join(r.describe() for r in step.requests)
            for n, step in enumerate(steps, 1)
        )

    def action_way(self, step: int) -> None:
        if not self.ways:
            return
        n = len(self.ways)
        i = self.choice
        for _ in range(n):
            i = (i + step) % n
            if self.ways[i].available:
                break
        self.action_pick(i)

    def action_pick(self, index: int) -> None:
        if not (0 <= index < len(self.ways)) or not self.ways[index].available:
            if self.ways and 0 <= index < len(self.ways):
                self.notify(f"not offered: {self.ways[index].why_not}", severity="warning")
            return
        self.choice = index
        self.query_one("#ways", Static).update(self.ways_text())
        self.query_one("#equivalent", Static).update(self.equivalents())
        self.query_one("#request", Static).update(self.requests_text())

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
