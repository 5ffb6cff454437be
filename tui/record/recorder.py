"""The console's writes to the record, off the screen's thread: the audit log's timeline
lines and the incident store's syncs and actions, in order, on one thread of their own
(a write can wait on a slow disk or on another process's transaction; the screen must
not)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.record.store import Change, Incident, IncidentStore, Seen
from tui.store import State

FAILED = (State.FORBIDDEN, State.UNAUTHORIZED, State.UNREACHABLE, State.ERROR, State.ABSENT)


def listed(feeds: Iterable[Any], status: dict[str, Any]) -> bool:
    """Every kind listed once, or failed to: only then is "not found" a finding cleared
    rather than a kind not read yet."""
    for feed in feeds:
        state = status.get(feed.spec.name)
        if feed.lists == 0 and not (state is not None and state.state in FAILED):
            return False
    return True


@dataclass(frozen=True)
class Look:
    """One cluster's findings at one time, for the store."""

    cluster: str
    found: list[Seen]
    observed: frozenset[str]
    at: float
    server: str = ""
    context: str = ""


class Recorder:
    def __init__(
        self,
        path: Path,
        on_error: Callable[[str], None],
        on_change: Callable[[list[Change]], None] | None = None,
    ) -> None:
        self.path = path
        self.on_error = on_error
        self.on_change = on_change
        self.store: IncidentStore | None = None
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()
        self.done = 0  # jobs run (the tests wait on it)
        self.current: dict[str, Incident | None] = {}  # cluster -> its open incident

    def submit(self, job: Callable[[], None]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
            self._thread.start()
        self._jobs.put(job)

    def stop(self) -> None:
        """Ask the thread to end after what is queued; never waits for it."""
        if self._thread is not None:
            self._jobs.put(None)

    def settle(self, timeout: float = 5.0) -> bool:
        """From another thread: wait until what was queued before is written (the report
        reads the record after the findings it shows). True: all was."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._jobs.put(done.set)
        return done.wait(timeout)

    def drain(self, timeout: float) -> bool:
        """After the screen closed: let what is queued be written (bounded). True: all."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception as e:  # said once per kind of failure; the screen goes on
                why = f"{type(e).__name__}: {e}"
                if type(e).__name__ not in self._warned:
                    self._warned.add(type(e).__name__)
                    self.on_error(why)
            self.done += 1
        if self.store is not None:
            self.store.close()

    def _store(self) -> IncidentStore:
        if self.store is None:
            try:
                self.store = IncidentStore(self.path)
            except Exception as e:
                raise OSError(
                    f"the incident store {self.path} cannot be opened ({e}): fix the path"
                    " (incident_store in the config) or free the disk; findings and actions"
                    " stay in the audit log"
                ) from None
        return self.store

    def look(self, looks: list[Look]) -> None:
        def job() -> None:
            store = self._store()
            for look in looks:
                changes = store.sync(
                    look.cluster, look.found, look.at, look.observed, look.server, look.context
                )
                if changes and self.on_change is not None:
                    self.on_change(changes)
                self.current[look.cluster] = store.current(look.cluster)

        self.submit(job)

    def action(self, cluster: str, at: float, fields: dict[str, Any]) -> None:
        def job() -> None:
            store = self._store()
            store.record_action(cluster, at, **fields)
            self.current[cluster] = store.current(cluster)

        self.submit(job)

    def note(self, cluster: str, at: float, user: str, text: str) -> None:
        def job() -> None:
            store = self._store()
            store.add_note(cluster, at, user, text)
            self.current[cluster] = store.current(cluster)

        self.submit(job)
