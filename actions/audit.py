"""The audit log: one JSON line per attempted mutation, whatever its outcome."""

from __future__ import annotations

import errno
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
    """Who is at the keyboard: under sudo (as the README suggests on a node) the operator
    who ran sudo, not root; else the login name, else the uid."""
    sudo = os.environ.get("SUDO_USER", "")
    if sudo and sudo != "root":
        return sudo
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid())


def who() -> dict[str, Any]:
    """What every audit line says of the person: the name, the uid the console runs as,
    the sudo caller's uid, and the viewer of `serve` where the console is one."""
    out: dict[str, Any] = {"user": local_user(), "uid": os.getuid()}
    if os.environ.get("SUDO_USER"):
        out["sudo_user"] = os.environ["SUDO_USER"]
        if os.environ.get("SUDO_UID", "").isdigit():
            out["sudo_uid"] = int(os.environ["SUDO_UID"])
    viewer = os.environ.get("INCIDENT_CONSOLE_VIEWER", "")
    if viewer:
        out["viewer"] = viewer[:200]
    return out


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
            **who(),
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
            **({"external_request": plan.data["external"]} if plan.data.get("external") else {}),
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
                    **who(),
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
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._append({"time": stamp, **who(), **event})

    def _append(self, entry: dict[str, Any]) -> None:
        line = orjson.dumps(entry) + b"\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                view = memoryview(line)
                while view:  # a short write (a full disk, a size limit) is not a line written
                    written = os.write(fd, view)
                    if written <= 0:
                        raise OSError(errno.ENOSPC, "the line was cut: no space left")
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
