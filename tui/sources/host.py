"""Hosts: this machine through psutil, the others over SSH (asyncssh); no Textual.

A Host gives a stream of samples and runs commands from the fixed lists of
actions/host.py. Every host lives in one asyncio loop in its own thread (the
HostManager): samples go to the store as HostUpdate changes; actions, which run in
worker threads, call HostManager.run() and get the command's output line by line.

Security: a command is an argv list. Over SSH it is sent as `shlex.join(argv)`, so
every word reaches the remote shell quoted; host keys are checked against a
known_hosts file and an unknown or changed key is refused, never accepted.
"""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tui.store import State
from tui.store.host import HostSample
from tui.text import clean

SERVICES_EVERY = 10.0  # seconds between two readings of systemd and the journal
COMMAND_TIMEOUT = 120.0  # a one-shot command that runs longer is stopped
# Each command goes to a shell started ahead of time: the login shell (and its rc files,
# which bash reads for every SSH command) runs before the operator asks, not after. The
# shell reads one line (the command), runs it in its own process group, and kills that
# group when the channel's input ends: a command stopped or timed out by the console
# does not live on on the node.
SPARE_SCRIPT = (
    "IFS= read -r c || exit 0; exec 3<&0; "
    'if command -v setsid >/dev/null 2>&1; then setsid /bin/sh -c "$c" & '
    'else /bin/sh -c "$c" & fi; p=$!; '
    '{ while IFS= read -r _; do :; done; kill -9 -"$p" || kill -9 "$p"; } <&3 >/dev/null 2>&1 & '
    'w=$!; wait "$p"; s=$?; kill "$w" 2>/dev/null; exit "$s"'
)
SPARE_SHELL = "exec /bin/sh -c " + shlex.quote(SPARE_SCRIPT)
Line = Callable[[str], None]


class Lines:
    """Hands output lines on, cleaned; blank lines only between others (asyncssh may end
    a merged stdout/stderr with an empty one)."""

    def __init__(self, on_line: Line) -> None:
        self.on_line = on_line
        self.blank = 0

    def __call__(self, text: str) -> None:
        text = clean(text.rstrip("\r\n"))
        if not text.strip():
            self.blank += 1
            return
        for _ in range(self.blank):
            self.on_line("")
        self.blank = 0
        self.on_line(text)


class HostError(Exception):
    """Why a host cannot be read; the message names what to fix."""

    def __init__(self, message: str, state: State = State.UNREACHABLE) -> None:
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None  # None when it did not end by itself
    timed_out: bool = False
    error: str = ""  # the host could not run it at all

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Host(Protocol):
    name: str  # the console's name for it (the node's, where one is mapped)
    target: str  # "local" or the SSH target
    is_root: bool

    def samples(self, interval: float) -> AsyncIterator[HostSample]: ...

    async def run(self, argv: Sequence[str], on_line: Line, timeout: float | None) -> int | None:
        """Run a command, give each output line (stdout and stderr), return its exit code."""
        ...

    async def close(self) -> None: ...


# -- this machine ---------------------------------------------------------------------
