"""The incident store: SQLite (standard library), one history per cluster.

Findings open and close incidents:
- an incident opens when a critical finding is seen while none is open; every finding
  seen while it is open (warnings too) belongs to it;
- it is resolved when the last of its critical findings clears (warnings may outlive it;
  they are listed as still open);
- it is mitigated at the first mutation that succeeded while it was open (the fix went
  in), else when it is resolved.
A finding still open when the console (or `check`) looks again is the same finding, and
so the same incident: a restart records nothing new. What cleared while nobody looked
is closed at the next look. Actions and notes attach to the incident open at their time.

The JSONL audit log stays the append-only record of mutations; this is the history the
report's figures (MTTR, MTBF, availability) are computed from.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS clusters(
    cluster TEXT PRIMARY KEY, server TEXT, context TEXT,
    first_recorded REAL, last_recorded REAL);
CREATE TABLE IF NOT EXISTS incidents(
    id INTEGER PRIMARY KEY, cluster TEXT NOT NULL, title TEXT, severity TEXT,
    onset REAL NOT NULL, detected REAL NOT NULL, mitigated REAL, resolved REAL);
CREATE TABLE IF NOT EXISTS findings(
    id INTEGER PRIMARY KEY, cluster TEXT NOT NULL, incident INTEGER, key TEXT NOT NULL,
    rule TEXT, title TEXT, severity TEXT, subject TEXT, evidence TEXT, section TEXT,
    began REAL NOT NULL, seen REAL NOT NULL, cleared REAL);
CREATE INDEX IF NOT EXISTS findings_open ON findings(cluster, cleared);
CREATE TABLE IF NOT EXISTS actions(
    id INTEGER PRIMARY KEY, cluster TEXT NOT NULL, incident INTEGER, at REAL NOT NULL,
    action TEXT, target TEXT, outcome TEXT, message TEXT, user TEXT, mitigates INTEGER);
CREATE TABLE IF NOT EXISTS notes(
    id INTEGER PRIMARY KEY, cluster TEXT NOT NULL, incident INTEGER, at REAL NOT NULL,
    user TEXT, text TEXT);
"""


def cluster_id(context: str, server: str) -> str:
    """A cluster's name in the store: its context and its API server's URL."""
    return f"{context}@{server}"


@dataclass(frozen=True)
class Seen:
    """A finding as the store keeps it (what triage found, as plain values)."""

    key: str
    rule: str
    title: str
    severity: str  # critical | warning
    subject: str
    evidence: str = ""
    section: str = ""
    began: float = 0.0  # when its condition began (the object's time, else first seen)
    muted: bool = False  # silenced in Alertmanager: recorded, opens no incident


@dataclass
class Incident:
    id: int
    cluster: str
    title: str
    severity: str
    onset: float
    detected: float
    mitigated: float | None
    resolved: float | None
    findings: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """What a sync did, for the caller to say: an incident opened or resolved."""

    what: str  # opened | resolved
    incident: int
    title: str


class IncidentStore:
    """One file; every write in one transaction; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        with contextlib.suppress(sqlite3.OperationalError):  # a read-only medium
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        with contextlib.suppress(OSError):
            path.chmod(0o600)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()

    # -- writing -------------------------------------------------------------------------
    def sync(
        self,
        cluster: str,
        found: Iterable[Seen],
        now: float,
        observed: Iterable[str] = (),
        server: str = "",
        context: str = "",
    ) -> list[Change]:
        """The findings open now (and the keys still being watched, not yet due): open
        what is new, close what is gone, open and resolve incidents accordingly."""
        current = {f.key: f for f in found}
        keep = set(current) | set(observed)
        changes: list[Change] = []
        with self._write() as db:
            db.execute(
                "INSERT INTO clusters VALUES (?,?,?,?,?) ON CONFLICT(cluster) DO UPDATE"
                " SET last_recorded=excluded.last_recorded",
                (cluster, server, context, now, now),
            )
            rows = db.execute(
                "SELECT id, key, severity FROM findings WHERE cluster=? AND cleared IS NULL",
                (cluster,),
            ).fetchall()
            open_rows = {r["key"]: r for r in rows}
            for key, row in open_rows.items():
                if key not in keep:
                    db.execute("UPDATE findings SET cleared=? WHERE id=?", (now, row["id"]))
            incident = self._open_incident(db, cluster)
            # the critical condition that began first opens the incident (and titles it)
            in_order = sorted(current.items(), key=lambda kv: (kv[1].severity != "critical",
                                                               kv[1].began or now))  # fmt: skip
            for key, f in in_order:
                row = open_rows.get(key)
                severity = "warning" if f.muted else f.severity
                if row is not None:
                    if row["severity"] != severity:
                        db.execute(
                            "UPDATE findings SET severity=?, title=?, evidence=? WHERE id=?",
                            (severity, f.title, f.evidence, row["id"]),
                        )
                    if severity != "critical" or incident is not None:
                        continue
                if severity == "critical" and incident is None:
                    began = min(f.began or now, now)
                    incident = db.execute(
                        "INSERT INTO incidents(cluster, title, severity, onset, detected)"
                        " VALUES (?,?,?,?,?)",
                        (cluster, f"{f.title}: {f.subject}", "critical", began, now),
                    ).lastrowid
                    assert incident is not None
                    changes.append(Change("opened", incident, f"{f.title}: {f.subject}"))
                    if row is not None:  # a warning that became critical: it opens it
                        db.execute(
                            "UPDATE findings SET incident=? WHERE id=?", (incident, row["id"])
                        )
                        continue
                if row is None and incident is not None and severity == "critical":
                    # a critical condition older than the incident's start: it began then
                    db.execute(
                        "UPDATE incidents SET onset=MIN(onset, ?) WHERE id=?",
                        (min(f.began or now, now), incident),
                    )
                if row is None:
                    db.execute(
                        "INSERT INTO findings(cluster, incident, key, rule, title, severity,"
                        " subject, evidence, section, began, seen) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            cluster,
                            incident,
                            key,
                            f.rule,
                            f.title,
                            severity,
                            f.subject,
                            f.evidence,
                            f.section,
                            min(f.began or now, now),
                            now,
                        ),
                    )
            if incident is not None:
                critical = db.execute(
                    "SELECT COUNT(*) FROM findings WHERE incident=? AND cleared IS NULL"
                    " AND severity='critical'",
                    (incident,),
                ).fetchone()[0]
                if not critical:
                    db.execute(
                        "UPDATE incidents SET resolved=?, mitigated=COALESCE(mitigated, ?)"
                        " WHERE id=?",
                        (now, now, incident),
                    )
                    title = db.execute(
                        "SELECT title FROM incidents WHERE id=?", (incident,)
                    ).fetchone()[0]
                    changes.append(Change("resolved", incident, title))
        return changes

    @staticmethod
    def _open_incident(db: sqlite3.Connection, cluster: str) -> int | None:
        row = db.execute(
            "SELECT id FROM incidents WHERE cluster=? AND resolved IS NULL ORDER BY id DESC",
            (cluster,),
        ).fetchone()
        return int(row["id"]) if row else None

    def record_action(
        self,
        cluster: str,
        at: float,
        action: str,
        target: str,
        outcome: str,
        message: str = "",
        user: str = "",
        mitigates: bool = True,
    ) -> int | None:
        """An action run: it belongs to the incident open then; the first mutation that
        succeeded is when the incident was mitigated."""
        with self._write() as db:
            incident = self._open_incident(db, cluster)
            db.execute(
                "INSERT INTO actions(cluster, incident, at, action, target, outcome, message,"
                " user, mitigates) VALUES (?,?,?,?,?,?,?,?,?)",
                (cluster, incident, at, action, target, outcome, message[:2000], user, mitigates),
            )
            if incident is not None and mitigates and outcome == "succeeded":
                db.execute(
                    "UPDATE incidents SET mitigated=? WHERE id=? AND mitigated IS NULL",
                    (at, incident),
                )
        return incident

    def add_note(self, cluster: str, at: float, user: str, text: str) -> int | None:
        with self._write() as db:
            incident = self._open_incident(db, cluster)
            db.execute(
                "INSERT INTO notes(cluster, incident, at, user, text) VALUES (?,?,?,?,?)",
                (cluster, incident, at, user, text[:4000]),
            )
        return incident

    # -- reading -------------------------------------------------------------------------
    def clusters(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM clusters ORDER BY cluster").fetchall()
        return [dict(r) for r in rows]

    def incidents(self, cluster: str, since: float, until: float) -> list[Incident]:
        """The incidents that overlap [since, until], oldest first, with what belongs."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM incidents WHERE cluster=? AND onset<=? AND"
                " (resolved IS NULL OR resolved>=?) ORDER BY onset, id",
                (cluster, until, since),
            ).fetchall()
            out = [Incident(**{k: r[k] for k in r.keys()}) for r in rows]  # noqa: SIM118
            for inc in out:
                for table, into in (
                    ("findings", inc.findings),
                    ("actions", inc.actions),
                    ("notes", inc.notes),
                ):
                    order = "began" if table == "findings" else "at"
                    into += [
                        dict(r)
                        for r in self._db.execute(
                            f"SELECT * FROM {table} WHERE incident=? ORDER BY {order}, id",
                            (inc.id,),
                        )
                    ]
        return out

    def current(self, cluster: str) -> Incident | None:
        """The incident open now, with its findings, actions and notes."""
        found = self.incidents(cluster, float("inf"), float("inf"))
        return found[-1] if found and found[-1].resolved is None else None

    def open_findings(self, cluster: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM findings WHERE cluster=? AND cleared IS NULL ORDER BY began",
                (cluster,),
            ).fetchall()
        return [dict(r) for r in rows]
