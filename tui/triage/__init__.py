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

import time

from tui.store import Store
from tui.triage.findings import Finding, Severity, Subject, TimelineEntry, Tracker, due, ordered
from tui.triage.hosts import api_host, api_rules, cluster_rules, host_rules
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
)


def evaluate(store: Store, now: float | None = None) -> list[Finding]:
    """Every rule on the store as it is now (holds not applied: see Tracker / due())."""
    now = time.time() if now is None else now
    return [f for rule in RULES for f in rule(store, now)]


__all__ = [
    "Finding",
    "Severity",
    "Subject",
    "TimelineEntry",
    "Tracker",
    "api_host",
    "due",
    "evaluate",
    "ordered",
]
