"""The runbook's recovery figures from the incident store. Pure.

Per incident (from its onset: when the first critical condition began):
- time to detect: onset -> the first look that saw it;
- time to mitigate: onset -> the first mutation that succeeded while it was open
  (else its resolution);
- time to resolve: onset -> its last critical finding cleared.

Over a period (clipped to when the store began watching the cluster):
- MTTR: the mean time to resolve of the incidents resolved in it;
- MTBF: the mean time between failures, from one incident's resolution to the next
  one's onset (it needs two incidents);
- availability: the share of the period with no incident open;
- error budget: the downtime the SLO allows over the period, and what is left of it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tui.record.store import Incident

DEFAULT_SLO = 99.9  # percent


@dataclass(frozen=True)
class Figures:
    period: float  # seconds covered
    incidents: int
    resolved: int
    downtime: float
    mttr: float | None
    mtbf: float | None
    mttd: float | None
    mttm: float | None
    availability: float | None  # percent
    slo: float
    budget: float  # seconds of downtime the SLO allows over the period
    budget_left: float  # seconds (negative: spent beyond)

    def as_json(self) -> dict[str, Any]:
        return {
            "period_s": round(self.period, 1),
            "incidents": self.incidents,
            "resolved": self.resolved,
            "downtime_s": round(self.downtime, 1),
            "mttr_s": _r(self.mttr),
            "mtbf_s": _r(self.mtbf),
            "mttd_s": _r(self.mttd),
            "mttm_s": _r(self.mttm),
            "availability_pct": None if self.availability is None else round(self.availability, 4),
            "slo_pct": self.slo,
            "error_budget_s": round(self.budget, 1),
            "error_budget_left_s": round(self.budget_left, 1),
            "error_budget_left_pct": (
                round(100 * self.budget_left / self.budget, 1) if self.budget > 0 else None
            ),
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def times(inc: Incident) -> dict[str, float | None]:
    """One incident's times to detect, mitigate and resolve, in seconds."""
    mitigated = inc.mitigated if inc.mitigated is not None else inc.resolved
    return {
        "to_detect": max(0.0, inc.detected - inc.onset),
        "to_mitigate": None if mitigated is None else max(0.0, mitigated - inc.onset),
        "to_resolve": None if inc.resolved is None else max(0.0, inc.resolved - inc.onset),
    }


def figures(
    incidents: list[Incident], since: float, until: float, slo: float = DEFAULT_SLO
) -> Figures:
    """The period's figures; `since` is already clipped to when the store began."""
    period = max(0.0, until - since)
    ordered = sorted(incidents, key=lambda i: i.onset)
    downtime = 0.0
    for inc in ordered:
        end = inc.resolved if inc.resolved is not None else until
        downtime += max(0.0, min(end, until) - max(inc.onset, since))
    resolved = [i for i in ordered if i.resolved is not None]
    gaps = [
        nxt.onset - cur.resolved
        for cur, nxt in itertools.pairwise(ordered)
        if cur.resolved is not None and nxt.onset >= cur.resolved
    ]
    each = [times(i) for i in ordered]
    budget = period * (100.0 - slo) / 100.0
    return Figures(
        period=period,
        incidents=len(ordered),
        resolved=len(resolved),
        downtime=downtime,
        mttr=_mean([t["to_resolve"] for t in each if t["to_resolve"] is not None]),
        mtbf=_mean(gaps),
        mttd=_mean([t["to_detect"] for t in each if t["to_detect"] is not None]),
        mttm=_mean([t["to_mitigate"] for t in each if t["to_mitigate"] is not None]),
        availability=100.0 * (1 - downtime / period) if period > 0 else None,
        slo=slo,
        budget=budget,
        budget_left=budget - downtime,
    )


def per_day(incidents: list[Incident], since: float, until: float) -> list[tuple[float, int]]:
    """Incidents begun per day over the period (the report screen's chart)."""
    day = 86400.0
    start = since - since % day
    counts: dict[float, int] = {}
    at = start
    while at <= until:
        counts[at] = 0
        at += day
    for inc in incidents:
        if since <= inc.onset <= until:
            bucket = inc.onset - inc.onset % day
            counts[bucket] = counts.get(bucket, 0) + 1
    return sorted(counts.items())
