"""Triage: the runbook's alert rules as findings. Pure: a store and a time in, findings
out; a Tracker turns successive evaluations into a timeline (first seen, cleared).

The rules and thresholds are the guide's "Monitoring proactif" (critical: node
NotReady over 2 minutes, a pod crash-looping over 3 restarts, a disk over 90 %,
memory over 95 %, an API error rate over 10 %), plus what RUNBOOK.md section 3 and the
triage issue add (OOMKilled, image pulls, Flux, Services without endpoints,
unavailable Deployments, the k3s unit, the metrics API, cert-manager Certificates).
Each finding names the actions that answer it, by their registry ids.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence

from tui.store import Store
from tui.triage.alerts import alert_rules, health_rules
from tui.triage.findings import (
    Finding,
    Pending,
    Ranked,
    Severity,
    Subject,
    TimelineEntry,
    Tracker,
    due,
    ordered,
)
from tui.triage.gitops import CRITICAL_AFTER, gitops_rules
from tui.triage.hosts import api_host, api_rules, cluster_rules, host_rules
from tui.triage.wide import wide_rules
from tui.triage.workloads import (
    deployment_rules,
    flux_rules,
    node_rules,
    pod_rules,
    service_rules,
)

RULES = (
    api_rules,
    node_rules,
    pod_rules,
    deployment_rules,
    service_rules,
    flux_rules,
    host_rules,
    cluster_rules,
    alert_rules,
    health_rules,
    wide_rules,
)


BUDGET = 0.02  # the share of the screen's thread the rules may take


def next_run(started: float, took: float, budget: float = BUDGET) -> float:
    """When the rules may run again: a pass of 5 ms waits no more than the next second, a
    pass of 40 ms (10,000 troubled pods, the soak after ten minutes) 2 s. Every second,
    such a pass was what most keys typed then waited behind."""
    return started + took / budget


MAX_PER_RULE = 50  # past this, a rule's other subjects are one finding, with their count


def evaluate(
    store: Store, now: float | None = None, gitops_after: float = CRITICAL_AFTER
) -> list[Finding]:
    """Every rule on the store as it is now (holds not applied: see Tracker / due()).
    `gitops_after`: how long what the console left out of Flux stays a warning."""
    now = time.time() if now is None else now
    out: list[Finding] = []
    for rule in RULES:
        out += folded(rule(store, now))
    out += folded(gitops_rules(store, now, gitops_after))
    return out


def _rank(f: Finding | Pending) -> tuple[int, float, str]:
    """The worst and oldest first."""
    return (-f.severity, f.since or 0.0, f.key)


def made(f: Finding | Pending) -> Finding:
    return f.make() if isinstance(f, Pending) else f


def folded(
    findings: Sequence[Finding | Pending] | Ranked, most: int = MAX_PER_RULE
) -> list[Finding]:
    """A rule's findings, at most `most` of them: the worst and oldest first, the rest
    folded into one finding that counts them and names a few. Five thousand crash-looping
    pods are one line to read, not five thousand (and the console's memory and the
    findings pane stay bounded however large the incident). Pending ones are made only
    if shown or named."""
    if isinstance(findings, Ranked):  # in rank order already, none with a since or hold
        ranked = findings.first(min(findings.count, most + 4))
        if findings.count <= most:
            return [made(f) for f in ranked]
        rest = findings.count - (most - 1)
        return _fold(ranked, most, rest, ranked[most - 1].severity, None, 0.0)
    if len(findings) <= most:
        return [made(f) for f in findings]
    # the first ones in order only (sorting 3,000 every pass was a third of its time)
    top = heapq.nsmallest(most + 4, findings, key=_rank)
    shown = {id(f) for f in top[: most - 1]}
    others = [f for f in findings if id(f) not in shown]
    return _fold(
        top,
        most,
        len(others),
        max(f.severity for f in others),
        min((f.since for f in others if f.since is not None), default=None),
        min(f.hold for f in others),
    )


def _fold(
    top: Sequence[Finding | Pending],
    most: int,
    rest: int,
    severity: Severity,
    since: float | None,
    hold: float,
) -> list[Finding]:
    """The `most - 1` first of `top` made, and one finding for the `rest` after them, named
    by the next few of `top`."""
    kept, named = [made(f) for f in top[: most - 1]], [made(f) for f in top[most - 1 :]]
    first, names = named[0], ", ".join(str(f.subject) for f in named)
    folded_one = Finding(
        first.rule,
        f"{first.title} (+{rest} more)",
        severity,
        Subject("cluster", f"{rest} more"),
        f"{rest} more subjects, among them {names}",
        (),
        first.section,
        since=since,
        hold=hold,
    )
    return [*kept, folded_one]


__all__ = [
    "Finding",
    "Severity",
    "Subject",
    "TimelineEntry",
    "Tracker",
    "api_host",
    "due",
    "evaluate",
    "next_run",
    "ordered",
]
