"""The audit log: one JSON line per attempted mutation, whatever its outcome."""

from __future__ import annotations

import getpass
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from actions.base import Plan


def default_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "incident-console" / "audit.jsonl"


def local_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid())


class AuditLog:
    def __init__(self, path: Path | None = None, kube_user: str = "") -> None:
        self.path = path or default_path()
        self.kube_user = kube_user
        self._lock = threading.Lock()

    def record(
        self,
        plan: Plan,
        outcome: str,
        message: str = "",
        duration: float = 0.0,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one line: outcome is succeeded, failed, cancelled, refused or dry-run-failed."""
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "user": local_user(),
            "kube_context": plan.context,
            "kube_user": self.kube_user,
            "action": plan.action_id,
            "target": {
                "kind": plan.target.kind,
                "namespace": plan.target.namespace,
                "name": plan.target.name,
            },
            "request": [
                {"method": r.method, "path": r.path, "content_type": r.content_type, "body": r.body}
                for r in plan.requests
            ],
            **(
                {"host": plan.host, "commands": [list(c) for c in plan.commands]}
                if plan.host
                else {}
            ),
            "equivalent": plan.equivalent,
            "outcome": outcome,
            "message": message,
            "duration_s": round(duration, 3),
            **(extra or {}),
        }
        self._append(entry)
        return entry

    def unwritable(self) -> str:
        """Why the log cannot take a line now ("" when it can): checked before an action
        is confirmed, so nothing runs that could not be recorded."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        except OSError as e:
            return self.explain(e)
        return ""

    def explain(self, e: OSError) -> str:
        return (
            f"the audit log {self.path} cannot be written ({e.strerror or type(e).__name__}): "
            "free the disk or fix the path (--audit-log PATH); no mutation runs unaudited"
        )

    def record_start(self, plan: Plan) -> str:
        """The line that says a confirmed mutation is about to run, written before it
        runs: "" when written, else why not (then the mutation must not run). A console
        that dies mid-action leaves this line as the evidence."""
        try:
            self._append(
                {
                    "time": datetime.now(UTC)
                    .isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"),
                    "user": local_user(),
                    "event": "action-starting",
                    "id": plan.action_id,
                    "kube_context": plan.context,
                    "target": {
                        "kind": plan.target.kind,
                        "namespace": plan.target.namespace,
                        "name": plan.target.name,
                    },
                }
            )
        except OSError as e:
            return self.explain(e)
        return ""

    def record_event(self, event: dict[str, Any]) -> None:
        """A line of the incident's timeline that is not an action (a finding seen or
        cleared): the same file, so `incident-console report` reads one record."""
        self._append({"user": local_user(), **event})

    def _append(self, entry: dict[str, Any]) -> None:
        line = orjson.dumps(entry) + b"\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
