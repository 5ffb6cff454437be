"""The state of a feed (a kind, the metrics API, a host), as the panes say it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    RELISTING = "relisting"
    FORBIDDEN = "forbidden"
    UNAUTHORIZED = "unauthorized"
    UNREACHABLE = "unreachable"
    ABSENT = "absent"
    REFUSED = "refused"  # a host whose key or credentials were refused
    ERROR = "error"
    NO_CLUSTER = "no cluster connected"  # hosts first: no usable kubeconfig
    SLOW = "slow"  # a request the server has not answered for a while: rows may be stale

    @property
    def ok(self) -> bool:
        return self in (State.LIVE, State.RELISTING)


@dataclass(frozen=True, slots=True)
class KindStatus:
    state: State
    message: str = ""
    since: float = field(default_factory=time.time)
