"""Findings and their timeline: what a rule found, how bad, about what, answered by which
actions; the Tracker turns successive evaluations into seen / cleared."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    WARNING = 1
    CRITICAL = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Subject:
    """What a finding is about, and what its actions act on."""

    kind: str  # node | pod | deployment | service | host | cluster | a Flux kind | Certificate
    name: str = ""
    namespace: str = ""
    pod: str = ""  # for pod actions on a deployment's finding: its worst pod
    path: str = ""  # Flux: the object's API path

    def __str__(self) -> str:
        return subject_text(self.kind, self.name, self.namespace)


def subject_text(kind: str, name: str, namespace: str = "") -> str:
    if kind == "cluster":
        return "cluster"
    where = f"{namespace}/" if namespace else ""
    return f"{kind}/{where}{name}"


@dataclass(frozen=True)
class Finding:
    rule: str  # stable id of the rule: node-not-ready, pod-crashloop...
    title: str
    severity: Severity
    subject: Subject
    evidence: str  # the numbers and messages that triggered it
    actions: tuple[str, ...]  # action ids, the most useful first
    section: str  # the runbook's section (the French guide's heading)
    since: float | None = None  # when the condition began, where the object says
    hold: float = 0.0  # seconds it must last before it is a finding
    context: str = ""  # the cluster's, when the console watches several
    muted: bool = False  # an alert silenced or inhibited in Alertmanager: shown dimmed

    @property
    def key(self) -> str:
        where = f"{self.context}/" if self.context else ""
        return f"{where}{self.rule}:{self.subject}"


@dataclass(frozen=True, slots=True)
class Pending:
    """A finding not made yet: what a rule's findings are ranked by (see triage.folded),
    and how to make it. A rule with thousands of subjects (every crash-looping pod of a
    large incident) makes the few shown and folds the rest, not thousands of findings
    every second on the screen's thread (44 ms at 10,000 troubled pods)."""

    severity: Severity
    key: str  # Finding.key, without a context
    make: Callable[[], Finding]
    since: float | None = None
    hold: float = 0.0


@dataclass(frozen=True, slots=True)
class Ranked:
    """A rule's many pending findings kept in rank order by the rule itself (see
    triage.folded), none with a `since` or a `hold`: `first(n)` makes the n first. The
    pod rules keep a large incident's thousands of groups so, from one pass to the next,
    with a text each that ranks it; a pending finding kept for each held 4 MB more at
    10,000 troubled pods (the soak's RSS over its goal)."""

    count: int
    first: Callable[[int], list[Pending]]


def rank_text(p: Pending) -> str:
    """A pending finding's rank (triage._rank) as one text, for one with no `since`: the
    texts sort as the ranks do."""
    return f"{9 - p.severity}{p.key}"


# -- the rules ------------------------------------------------------------------------


def due(finding: Finding, first_observed: float, now: float) -> bool:
    """A finding counts once its condition has lasted its hold."""
    start = finding.since if finding.since is not None else first_observed
    return now - start >= finding.hold


def ordered(findings: Iterable[Finding], first_seen: dict[str, float]) -> list[Finding]:
    """Critical first, then the longest-standing first (the oldest problem is often the cause)."""
    return sorted(
        findings,
        key=lambda f: (-f.severity, first_seen.get(f.key, 0.0), f.rule, str(f.subject)),
    )


# -- the timeline ---------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineEntry:
    at: float
    event: str  # seen | cleared
    finding: Finding
    first_seen: float

    def as_json(self) -> dict[str, Any]:
        f = self.finding
        return {
            "event": f"finding-{self.event}",
            "time": self.at,
            "first_seen": self.first_seen,
            "key": f.key,
            "rule": f.rule,
            "title": f.title,
            "severity": f.severity.label,
            "subject": str(f.subject),
            "evidence": f.evidence,
            "actions": list(f.actions),
            "section": f.section,
            **({"context": f.context} if f.context else {}),
            **({"muted": True} if f.muted else {}),
        }


SHOWN_CLEARED = 20  # cleared findings the pane lists under the open ones


@dataclass
class Tracker:
    """Successive evaluations -> the active findings and what changed (seen, cleared)."""

    observed: dict[str, float] = field(default_factory=dict)  # key -> first time the rule fired
    active: dict[str, Finding] = field(default_factory=dict)
    first_seen: dict[str, float] = field(default_factory=dict)  # active key -> when it began
    # The newest cleared, as the findings pane shows them. Every entry goes to the record
    # (update's return); 1,000 kept here, each with its finding and evidence, were 1 MB
    # that only grew through a soak's first half.
    recent_cleared: deque[TimelineEntry] = field(
        default_factory=lambda: deque(maxlen=SHOWN_CLEARED)
    )
    revision: int = 0  # counts every change of the rows: seen, cleared, a new title

    def update(self, findings: Iterable[Finding], now: float) -> list[TimelineEntry]:
        current = {f.key: f for f in findings}
        changes = []
        for key in list(self.observed):
            if key not in current:
                del self.observed[key]
        for key, f in current.items():
            first = self.observed.setdefault(key, now)
            if key in self.active:
                was = self.active[key]
                if (was.title, was.severity, was.muted) != (f.title, f.severity, f.muted):
                    self.revision += 1  # what its row shows changed (an alert silenced)
                self.active[key] = f
            elif due(f, first, now):
                began = f.since if f.since is not None and f.since < now else first
                self.active[key] = f
                self.first_seen[key] = began
                changes.append(TimelineEntry(now, "seen", f, began))
        for key in list(self.active):
            if key not in current:
                f = self.active.pop(key)
                changes.append(TimelineEntry(now, "cleared", f, self.first_seen.pop(key, now)))
        self.revision += len(changes)
        self.recent_cleared.extend(e for e in changes if e.event == "cleared")
        return changes

    def findings(self) -> list[Finding]:
        return ordered(self.active.values(), self.first_seen)

    def cleared(self) -> list[TimelineEntry]:
        """Findings that cleared, newest first."""
        return list(reversed(self.recent_cleared))
