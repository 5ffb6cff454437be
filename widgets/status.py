"""The status bar: context, server, each feed's state, READ-ONLY badge, clock."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.widgets import Static

from tui.store import KINDS, KindStatus, State

ICONS = {
    State.LIVE: "●",
    State.CONNECTING: "…",
    State.RELISTING: "↻",
    State.FORBIDDEN: "⊘",
    State.UNAUTHORIZED: "⊘",
    State.REFUSED: "⊘",
    State.UNREACHABLE: "✖",
    State.ABSENT: "○",
    State.ERROR: "✖",
    State.NO_CLUSTER: "○",
    State.SLOW: "◔",
}
SHORT = {"deployments": "deploy", "replicasets": "rs", "services": "svc", "endpoints": "ep"}
CLASS = {
    State.LIVE: "ok",
    State.CONNECTING: "dim",
    State.RELISTING: "warn",
    State.ABSENT: "warn",
    State.SLOW: "warn",
}


class StatusBar(Static):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--context",
        "status--ok",
        "status--warn",
        "status--bad",
        "status--dim",
        "status--badge",
    }
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    StatusBar > .status--context { text-style: bold; color: $accent; }
    StatusBar > .status--ok { color: $success; }
    StatusBar > .status--warn { color: $warning; }
    StatusBar > .status--bad { color: $error; text-style: bold; }
    StatusBar > .status--dim { color: $text-muted; }
    StatusBar > .status--badge { background: $error; color: $text; text-style: bold; }
    """

    def __init__(self, context: str, server: str, read_only: bool, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.context, self.server, self.read_only = context, server, read_only
        self.states: dict[str, KindStatus] = {}

    def show(self, states: dict[str, KindStatus]) -> None:
        self.states = dict(states)
        self.update(self.build())

    def tick(self) -> None:
        self.update(self.build())

    def build(self) -> Text:
        st = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(
            f"context {self.context}" if self.context else "no cluster", st("status--context")
        )
        text.append("  ")
        if self.server:
            text.append(self.server, st("status--dim"))
            text.append("  ")
        if self.states and all(s.state is State.NO_CLUSTER for s in self.states.values()):
            text.append("no cluster connected: the hosts only  ", st("status--warn"))
        for kind in (*KINDS, "metrics"):
            status = self.states.get(kind)
            if status is not None and status.state is State.NO_CLUSTER:
                continue
            if status is None:
                continue
            cls = CLASS.get(status.state, "bad")
            label = SHORT.get(kind, kind)
            text.append(
                f"{label} {ICONS.get(status.state, '?')} {status.state.value}  ",
                st(f"status--{cls}"),
            )
        if self.read_only:
            text.append(" READ-ONLY ", st("status--badge"))
            text.append("  ")
        text.append(time.strftime("%H:%M:%S"), st("status--dim"))
        return text
