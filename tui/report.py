"""`incident-console report`: the incident's record, from the audit log, as Markdown.

The audit log holds one JSON line per action attempted (with who, when, what exactly
and the outcome) and, written by the console as they happen, the findings seen and
cleared. The report lays them out as a timeline, the findings with their time to
mitigate (first seen -> cleared) and the runbook section that applies, and the
actions. Pure but for reading the file.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from actions.audit import default_path
from tui import __version__
from tui.record.report import Contacts, cell, markdown, read_histories, read_log
from tui.record.report import as_json as history_json
from tui.record.report import stamp as hhmm
from tui.store.units import human_duration

RELATIVE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
UNIT = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: float | None = None) -> float:
    """'90m', '6h', '2d', '1w', or an ISO date/time (UTC unless it says) -> epoch seconds."""
    now = time.time() if now is None else now
    text = text.strip()
    m = RELATIVE.match(text)
    if m:
        return now - int(m.group(1)) * UNIT[m.group(2)]
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {text!r}: give a duration (90m, 6h, 2d) or a date/time (2026-11-28T14:00)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


@dataclass
class FindingSpan:
    key: str
    title: str
    subject: str
    severity: str
    section: str
    evidence: str
    first_seen: float
    cleared: float | None = None

    @property
    def to_mitigate(self) -> float | None:
        return self.cleared - self.first_seen if self.cleared is not None else None


def span_of(e: dict[str, Any]) -> FindingSpan:
    first = e.get("first_seen")
    return FindingSpan(
        str(e.get("key", "")),
        str(e.get("title", "")),
        str(e.get("subject", "")),
        str(e.get("severity", "")),
        str(e.get("section", "")),
        str(e.get("evidence", "")),
        float(first) if isinstance(first, int | float) else float(e["_at"]),
    )


def target_text(entry: dict[str, Any]) -> str:
    if entry.get("host"):
        return f"host {entry['host']}"
    t = entry.get("target") or {}
    if not isinstance(t, dict):
        return ""
    where = f" in {t.get('namespace')}" if t.get("namespace") else ""
    return f"{t.get('kind', '')}/{t.get('name', '')}{where}".strip("/")


def git_changes(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every change made by hand to an object Flux applies (that went through), with what
    to commit: the fields old -> new, the YAML fragment, the Kustomization's source."""
    out = []
    for a in actions:
        g = a.get("gitops")
        if a.get("outcome") != "succeeded" or not isinstance(g, dict) or not g.get("changes"):
            continue
        out.append(
            {
                "time": hhmm(a["_at"]),
                "action": a.get("action", ""),
                "object": g.get("object", ""),
                "way": g.get("way", ""),
                "manager": g.get("manager") or {},
                "source": g.get("source") or {},
                "changes": g.get("changes") or [],
                "fragment": g.get("fragment", ""),
                "by": a.get("user", ""),
            }
        )
    return out


WAY = {
    "suspend": "its manager suspended first: resume it once the change is in Git",
    "annotate": "the object excluded from Flux: give it back once the change is in Git",
    "anyway": "made anyway: Flux reverts it at its next reconcile unless it is in Git",
}


def git_section(changes: list[dict[str, Any]]) -> list[str]:
    out = [
        "",
        "## Changes to bring back to Git",
        "",
        "Made by hand on objects Flux applies: commit each to its source, or the next"
        " reconcile undoes it.",
    ]
    if not changes:
        out += ["", "None: no change was made to an object Flux applies."]
    for c in changes:
        m, src = c["manager"], c["source"]
        fence = "````" if "```" in c["fragment"] else "```"
        out += [
            "",
            f"### {cell(c['object'])}: {cell(c['action'])} at {c['time']} UTC",
            "",
            f"- Applied by {cell(m.get('kind', ''))} {cell(m.get('namespace', ''))}/"
            f"{cell(m.get('name', ''))}, path `{cell(m.get('path', '') or '?')}`"
            f" (interval {cell(m.get('interval', '') or '?')})",
            f"- Source {cell(src.get('kind', ''))} {cell(src.get('namespace', ''))}/"
            f"{cell(src.get('name', ''))}: {cell(src.get('url', '') or '?')} at"
            f" {cell(src.get('revision', '') or '?')}",
            f"- {WAY.get(c['way'], c['way'])}",
            "",
            "| field | old | new |",
            "|---|---|---|",
            *(f"| {cell(f)} | {cell(old)} | {cell(new)} |" for f, old, new in c["changes"]),
            "",
            f"{fence}yaml",
            c["fragment"],
            fence,
        ]
    return out


def report_texts(path: str, since: float, until: float, most: int) -> tuple[str, str]:
    """The report's Markdown as the console's screen shows it (`most` rows) and whole."""
    log = Path(path)
    entries, bad = read_log(log) if log.exists() else ([], 0)
    args = (entries, since, until, path, bad)
    return build(*args, most=most), build(*args)


READER = "from tui.report import reader; reader()"


def reader() -> None:
    """`python -c READER LOG SINCE UNTIL MOST WHOLE`: the shown report on stdout, the
    whole one written to WHOLE. The console reads its log so, in a process of its own:
    reading a 60 MB log in a thread took half the GIL's time from the screen for
    seconds (keys 6 -> 11 ms, 22 ms at worst)."""
    log, since, until, most, whole = sys.argv[1:6]
    shown, everything = report_texts(log, float(since), float(until), int(most))
    Path(whole).write_text(everything, encoding="utf-8")
    sys.stdout.buffer.write(shown.encode())  # UTF-8 whatever the locale says


def build(
    entries: list[dict[str, Any]],
    since: float,
    until: float,
    source: str,
    bad: int,
    most: int | None = None,
) -> str:
    """The report as Markdown. `most`: the timeline and the actions keep only their last
    `most` rows (the console's screen: Markdown of 200,000 rows froze it); the summary
    and the changes for Git are whole either way."""
    chosen = [e for e in entries if since <= e["_at"] <= until]
    spans: dict[str, FindingSpan] = {}
    order: list[FindingSpan] = []
    actions = []
    timeline: list[tuple[float, str, str]] = []
    for e in chosen:
        event = e.get("event")
        if event == "finding-seen":
            open_span = spans.get(str(e.get("key", "")))
            if open_span is not None and open_span.cleared is None:
                continue  # seen again by a console started later: still the same finding
            span = span_of(e)
            spans[span.key] = span
            order.append(span)
            timeline.append(
                (
                    e["_at"],
                    f"finding: {span.title} ({span.severity})",
                    f"{span.subject}: {span.evidence}",
                )
            )
        elif event == "finding-cleared":
            found = spans.get(str(e.get("key", "")))
            if found is None:  # seen before the window
                found = spans[str(e.get("key", ""))] = span_of(e)
                order.append(found)
            found.cleared = e["_at"]
            took = human_duration(e["_at"] - found.first_seen)
            timeline.append((e["_at"], f"cleared: {found.title}", f"{found.subject}, after {took}"))
        elif "action" in e:
            actions.append(e)
            timeline.append(
                (
                    e["_at"],
                    f"action {e.get('action')}: {e.get('outcome')}",
                    f"{target_text(e)} · by {e.get('user', '?')}"
                    + (f" · {e.get('message')}" if e.get("message") else ""),
                )
            )
    contexts = sorted({str(e.get("kube_context")) for e in actions if e.get("kube_context")})
    out = [
        f"# Incident report: {hhmm(since)} to {hhmm(until)} UTC",
        "",
        f"From `{source}`"
        + (f", cluster context {', '.join(contexts)}" if contexts else "")
        + f"; written by incident-console {__version__} at {hhmm(time.time())} UTC.",
    ]
    if bad:
        out.append(f"{bad} line(s) of the log could not be read and are left out.")
    cleared = [s for s in order if s.cleared is not None]
    open_ = [s for s in order if s.cleared is None]
    outcomes: dict[str, int] = {}
    for a in actions:
        outcomes[str(a.get("outcome"))] = outcomes.get(str(a.get("outcome")), 0) + 1
    out += ["", "## Summary", ""]
    out.append(
        f"- Findings: {len(order)} ({sum(1 for s in order if s.severity == 'critical')} critical);"
        f" {len(cleared)} cleared, {len(open_)} still open at the end of the window."
    )
    if cleared:
        spans_s = [s.to_mitigate or 0.0 for s in cleared]
        out.append(
            f"- Time to mitigate: mean {human_duration(sum(spans_s) / len(spans_s))},"
            f" longest {human_duration(max(spans_s))} (first seen -> cleared)."
        )
    out.append(
        f"- Actions: {len(actions)}"
        + (
            " (" + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) + ")"
            if actions
            else ""
        )
        + "."
    )
    out += ["", "## Timeline", "", "| time (UTC) | what | detail |", "|---|---|---|"]
    if most is not None and len(timeline) > most:
        out.append(f"| | {len(timeline) - most} earlier entries: `s` saves them all | |")
        timeline = timeline[-most:]
    for at, what, detail in timeline:
        out.append(f"| {hhmm(at)} | {cell(what)} | {cell(detail)} |")
    if not timeline:
        out.append("| | nothing recorded in this window | |")
    out += [
        "",
        "## Findings",
        "",
        "| finding | subject | severity | first seen | cleared | time to mitigate"
        " | runbook section |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in order:
        took = human_duration(s.to_mitigate) if s.to_mitigate is not None else "not cleared"
        out.append(
            f"| {cell(s.title)} | {cell(s.subject)} | {cell(s.severity)} | {hhmm(s.first_seen)}"
            f" | {hhmm(s.cleared) if s.cleared else ''} | {took} | {cell(s.section)} |"
        )
    out += [
        "",
        "## Actions",
        "",
        "| time (UTC) | who | action | target | outcome | what was sent | message |",
        "|---|---|---|---|---|---|---|",
    ]
    shown_actions = actions if most is None else actions[-most:]
    if len(shown_actions) < len(actions):
        earlier = len(actions) - len(shown_actions)
        out.append(f"| | | {earlier} earlier actions: `s` saves them all | | | | |")
    for a in shown_actions:
        who = a.get("user", "?") + (f" ({a['kube_user']})" if a.get("kube_user") else "")
        out.append(
            f"| {hhmm(a['_at'])} | {cell(who)} | {cell(a.get('action'))} | {cell(target_text(a))}"
            f" | {cell(a.get('outcome'))} | {cell(a.get('equivalent', ''))}"
            f" | {cell(a.get('message', ''))} |"
        )
    out += git_section(git_changes(actions))
    return "\n".join(out) + "\n"


def build_json(
    entries: list[dict[str, Any]], since: float, until: float, source: str, bad: int
) -> dict[str, Any]:
    """The same record as data: the actions as audited, the findings' spans, the changes
    to bring back to Git."""
    chosen = [e for e in entries if since <= e["_at"] <= until]
    actions = [e for e in chosen if "action" in e]
    return {
        "since": hhmm(since),
        "until": hhmm(until),
        "source": source,
        "unreadable_lines": bad,
        "findings": [
            {k: v for k, v in e.items() if k != "_at"}
            for e in chosen
            if "event" in e and "key" in e
        ],
        "actions": [{k: v for k, v in e.items() if k != "_at"} for e in actions],
        "git_changes": git_changes(actions),
    }


def report_command(
    path: str | None,
    since_text: str,
    output: str | None,
    as_json: bool = False,
    store: Path | None = None,
    slo: float = 99.9,
    contacts: Contacts | None = None,
) -> int:
    source = Path(path).expanduser() if path else default_path()
    try:
        since = parse_since(since_text)
    except ValueError as e:
        print(f"incident-console: {e}", file=sys.stderr)
        return 2
    if not source.exists() and not (store and store.exists()):
        print(
            f"incident-console: no audit log at {source} and no incident store at {store}:"
            " give one with --audit-log PATH (or --demo for the demo's)",
            file=sys.stderr,
        )
        return 2
    try:
        entries, bad = read_log(source) if source.exists() else ([], 0)
        now = time.time()
        found = read_histories(store, since, now, slo)
    except (OSError, sqlite3.Error) as e:
        print(f"incident-console: cannot read the record: {e}", file=sys.stderr)
        return 2
    if as_json:
        data = build_json(entries, since, now, str(source), bad)
        data["store"] = str(store) if store else None
        data["clusters"] = history_json(found)
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        lines = markdown(found, contacts or Contacts())
        text = build(entries, since, now, str(source), bad) + "\n".join(lines) + "\n"
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0
