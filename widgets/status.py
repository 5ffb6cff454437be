"""The status bar: context, server, each feed's state, READ-ONLY badge, clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.widgets import Static

from tui.store import KINDS, KindStatus, State
from tui.text import clean

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


def title_text(
    info: Any, connected: bool, read_only: bool, note: str, watched: list[str] | None = None
) -> Text:
    """The title bar: where the console looks (the context in capitals, reversed, as large
    as one line allows; large in every confirmation too), the other clusters watched,
    READ-ONLY when it is, and the note (the demo's kubeconfig)."""
    text = Text(" incident-console · ", style="bold")
    if connected:  # from the kubeconfig: data, never markup or control sequences
        context, server = clean(str(info.context)), clean(str(info.server))
        text.append(f" {context.upper()} ", style="bold reverse")
        text.append(f" context {context} · {server}", style="bold")
    else:
        text.append("no cluster connected · the hosts only", style="bold")
    if watched:
        text.append(f" · also watching {clean(', '.join(watched))}", style="bold")
    if read_only:
        text.append("  [READ-ONLY]", style="bold reverse")
    return text + Text(f" · {note}" if note else "")


def banner_text(status: dict[str, KindStatus]) -> str:
    """What the banner says ("" for nothing): the cluster unreachable, the credentials
    refused, or no cluster at all."""
    bad = (State.UNREACHABLE, State.UNAUTHORIZED, State.NO_CLUSTER)
    worst = next((s for s in status.values() if s.state in bad), None)
    if worst is None:
        return ""
    if worst.state is State.NO_CLUSTER:
        return f"no cluster connected: {worst.message}"
    return worst.message


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

    def __init__(
        self,
        context: str,
        server: str,
        read_only: bool,
        clock: Callable[[], float] = time.time,
        **kw: object,
    ) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.clock = clock
        self.context, self.server, self.read_only = context, server, read_only
        self.states: dict[str, KindStatus] = {}

    def show(self, states: dict[str, KindStatus]) -> None:
        self.states = dict(states)
        self.update(self.build(), layout=False)

    def tick(self) -> None:
        self.update(self.build(), layout=False)

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
        text.append(time.strftime("%H:%M:%S", time.localtime(self.clock())), st("status--dim"))
        return text
