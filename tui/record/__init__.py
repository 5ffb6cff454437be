"""The incident record: a SQLite store per cluster history (store.py), the figures the
runbook tracks (figures.py), the console's recorder thread (recorder.py) and the
notification of the incident channel (notify.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tui.config import Settings, state_dir
from tui.record.store import Change, Incident, IncidentStore, Seen, cluster_id
from tui.triage import Finding

__all__ = [
    "Change",
    "Incident",
    "IncidentStore",
    "Seen",
    "cluster_id",
    "demo_store_path",
    "seen_of",
    "store_path",
]
DEMO_CLUSTER = "demo@embedded"  # the demo's API port changes at each start; its history not


def demo_store_path() -> Path:
    """The demo's own store: never the real one."""
    return state_dir() / "demo" / "incidents.sqlite3"


def store_path(settings: Settings) -> Path:
    if settings.demo or settings.demo_attach:
        return demo_store_path()
    if settings.incident_store:
        return Path(settings.incident_store).expanduser()
    return state_dir() / "incidents.sqlite3"


def cluster_of(settings: Settings, context: str, server: str) -> str:
    return DEMO_CLUSTER if settings.demo or settings.demo_attach else cluster_id(context, server)


def seen_of(findings: Iterable[Finding], first_seen: dict[str, float]) -> list[Seen]:
    return [
        Seen(
            f.key,
            f.rule,
            f.title,
            f.severity.label,
            str(f.subject),
            f.evidence,
            f.section,
            first_seen.get(f.key) or f.since or 0.0,
            f.muted,
        )
        for f in findings
    ]
