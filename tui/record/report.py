"""The incident store in the report: per incident its times, across the period the
recovery figures, then who to call (the escalation matrix, the status page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tui.record.figures import Figures, figures, per_day, times
from tui.record.store import Incident, IncidentStore
from tui.store.units import human_duration

MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


def cell(value: object) -> str:
    """A Markdown table cell: one line; text from the cluster stays text (no link, no
    emphasis, no column break)."""
    return " ".join(str(value).split()).translate(MARKDOWN)


def stamp(at: float | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S")


def took(seconds: float | None) -> str:
    return "—" if seconds is None else human_duration(seconds)


@dataclass
class History:
    """One cluster's incidents over a period, and its figures."""

    cluster: str
    since: float  # the period, clipped to when the store began watching the cluster
    until: float
    incidents: list[Incident]
    figures: Figures
    chart: list[tuple[float, int]] = field(default_factory=list)


@dataclass
class Contacts:
    channel: str = ""
    status_page: str = ""
    escalation: list[str] = field(default_factory=list)


def histories(
    store: IncidentStore, since: float, until: float, slo: float, cluster: str | None = None
) -> list[History]:
    out = []
    for c in store.clusters():
        if cluster is not None and c["cluster"] != cluster:
            continue
        start = max(since, c["first_recorded"] or since)
        incidents = store.incidents(c["cluster"], since, until)
        start = min([start, *(i.onset for i in incidents)])
        out.append(
            History(
                c["cluster"],
                start,
                until,
                incidents,
                figures(incidents, start, until, slo),
                per_day(incidents, start, until),
            )
        )
    return out


def markdown(found: list[History], contacts: Contacts) -> list[str]:
    out = ["", "## Incidents and recovery figures", ""]
    if not found:
        out.append("The incident store has no history yet: the console and `check` build it.")
    for h in found:
        f = h.figures
        out += [
            f"### {cell(h.cluster)}: {stamp(h.since)} to {stamp(h.until)} UTC",
            "",
            f"- Incidents: {f.incidents} ({f.resolved} resolved); downtime {took(f.downtime)}.",
            f"- MTTR {took(f.mttr)} · MTBF {took(f.mtbf)}"
            + ("" if f.mtbf is not None else " (needs two incidents)")
            + f" · mean time to detect {took(f.mttd)} · to mitigate {took(f.mttm)}.",
            "- Availability "
            + ("—" if f.availability is None else f"{f.availability:.3f} %")
            + f" against an SLO of {f.slo:g} %: error budget {took(f.budget)},"
            + (
                f" {took(f.budget_left)} left."
                if f.budget_left >= 0
                else f" spent {took(-f.budget_left)} beyond."
            ),
            "",
            "| # | incident | onset | detected | mitigated | resolved | to detect"
            " | to mitigate | to resolve | findings | actions |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for inc in h.incidents:
            t = times(inc)
            out.append(
                f"| {inc.id} | {cell(inc.title)} | {stamp(inc.onset)} | {stamp(inc.detected)}"
                f" | {stamp(inc.mitigated)} | {stamp(inc.resolved) or 'open'}"
                f" | {took(t['to_detect'])} | {took(t['to_mitigate'])}"
                f" | {took(t['to_resolve'])} | {len(inc.findings)} | {len(inc.actions)} |"
            )
        if not h.incidents:
            out.append("| | no incident in this period | | | | | | | | | |")
        for inc in h.incidents:
            for n in inc.notes:
                out.append(f"- Note on #{inc.id} at {stamp(n['at'])} by {cell(n['user'])}:"
                           f" {cell(n['text'])}")  # fmt: skip
        out.append("")
    out += contacts_lines(contacts)
    return out


def contacts_lines(contacts: Contacts) -> list[str]:
    if not (contacts.channel or contacts.status_page or contacts.escalation):
        return []
    out = ["## Who to tell", ""]
    if contacts.channel:
        out.append(f"- Incident channel: {cell(contacts.channel)}")
    if contacts.status_page:
        out.append(f"- Status page: {cell(contacts.status_page)}")
    out += [f"{i}. {cell(step)}" for i, step in enumerate(contacts.escalation, 1)]
    return [*out, ""]


def as_json(found: list[History]) -> list[dict[str, Any]]:
    return [
        {
            "cluster": h.cluster,
            "since": stamp(h.since),
            "until": stamp(h.until),
            "figures": h.figures.as_json(),
            "incidents": [
                {
                    "id": i.id,
                    "title": i.title,
                    "severity": i.severity,
                    "onset": stamp(i.onset),
                    "detected": stamp(i.detected),
                    "mitigated": stamp(i.mitigated) or None,
                    "resolved": stamp(i.resolved) or None,
                    **{f"{k}_s": (None if v is None else round(v, 1)) for k, v in times(i).items()},
                    "findings": [
                        {k: r[k] for k in ("key", "title", "severity", "subject", "cleared")}
                        for r in i.findings
                    ],
                    "actions": [
                        {k: r[k] for k in ("action", "target", "outcome", "user")}
                        for r in i.actions
                    ],
                    "notes": [{k: r[k] for k in ("user", "text")} for r in i.notes],
                }
                for i in h.incidents
            ],
        }
        for h in found
    ]


def incidents_part(
    store: Path | None,
    since: float,
    until: float,
    slo: float,
    contacts: Contacts,
    cluster: str | None = None,
) -> tuple[list[str], list[tuple[float, int]]]:
    """The incident store's part of the report as Markdown, and incidents per day (of
    the one cluster asked, or of the first); read-only."""
    found = read_histories(store, since, until, slo, cluster)
    chart = per_day(found[0].incidents, since, until) if found else []
    return markdown(found, contacts), chart


def read_histories(
    store: Path | None, since: float, until: float, slo: float, cluster: str | None = None
) -> list[History]:
    if store is None or not store.exists():
        return []
    db = IncidentStore(store)
    try:
        return histories(db, since, until, slo, cluster)
    finally:
        db.close()


def _time(entry: dict[str, Any]) -> float | None:
    value = entry.get("time")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def read_log(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Every well-formed line (with its time), and how many lines were not. Read a
    line at a time: one read and split of a 60 MB log held the GIL (the screen's too)
    for tens of milliseconds."""
    with path.open("rb") as f:
        return _entries(f)


def _entries(lines: Iterable[bytes]) -> tuple[list[dict[str, Any]], int]:
    entries: list[dict[str, Any]] = []
    bad = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            bad += 1
            continue
        at = _time(entry) if isinstance(entry, dict) else None
        if at is None:
            bad += 1
            continue
        entry["_at"] = at
        entries.append(entry)
    entries.sort(key=lambda e: e["_at"])
    return entries, bad
