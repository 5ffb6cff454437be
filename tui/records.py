"""The console's record: findings and actions to the audit log and the incident store,
written on the recorder's thread (never the screen's)."""

from __future__ import annotations

import time

from actions import registry
from actions.audit import AuditLog, local_user
from actions.base import Plan
from tui.record import Incident, cluster_id, cluster_of, seen_of, store_path
from tui.record.recorder import Look, Recorder, listed
from tui.session import Session
from tui.triage import TimelineEntry
from tui.views import Screens


class Records:
    def __init__(self, session: Session, screens: Screens, audit: AuditLog) -> None:
        self.session = session
        self.screens = screens
        self.audit = audit
        self.audit_warned = False  # an unwritable log is said once for the findings
        # an incident opened or resolved is not toasted: the findings pane says what
        # is wrong, the report says which incident it is
        self.recorder = Recorder(store_path(session.settings), self.said_later)
        self.looked = -1  # the tracker's revision last given to the store
        info = session.kube.info
        self.cluster = cluster_of(session.settings, info.context, info.server)

    def current(self) -> Incident | None:
        """The open incident as the recorder last read it (no file read here)."""
        return self.recorder.current.get(self.cluster)

    def timeline(self, entries: list[TimelineEntry]) -> None:
        """Findings seen and cleared go to the same record as the actions, and the
        findings open now to the incident store: both on the recorder's thread."""
        if entries:
            self.recorder.submit(lambda: self._write_timeline(entries))
        session, tracker = self.session, self.session.tracker
        if (entries or self.looked != tracker.revision) and listed(
            session.list_watches(), session.store.status
        ):
            self.looked = tracker.revision
            self.recorder.look(self.looks())

    def _write_timeline(self, entries: list[TimelineEntry]) -> None:
        try:
            for entry in entries:
                self.audit.record_event(entry.as_json())
        except OSError as e:  # the findings stay on screen; the record says why it lacks them
            if not self.audit_warned:
                self.audit_warned = True
                self.said_later(f"findings are not recorded: {self.audit.explain(e)}")

    def looks(self) -> list[Look]:
        """Each watched cluster's findings, for its own history in the store."""
        s, tracker = self.session, self.session.tracker
        now, info = s.clock(), s.kube.info
        found = seen_of(tracker.active.values(), tracker.first_seen)
        mine = self.cluster
        if not s.watched:
            return [Look(mine, found, frozenset(tracker.observed), now, info.server, info.context)]
        looks = []
        for name, server in [(info.context, info.server)] + [
            (n, w.kube.info.server) for n, w in s.watched.items()
        ]:
            keys = frozenset(k for k in tracker.observed if k.startswith(f"{name}/"))
            cluster = mine if name == info.context else cluster_id(name, server)
            mine_found = [f for f in found if f.key.startswith(f"{name}/")]
            looks.append(Look(cluster, mine_found, keys, now, server, name))
        return looks

    def said_later(self, message: str) -> None:
        """From the recorder's thread: said on the screen's."""
        self.screens.say_from_thread(message, "error")

    def remember(self, plan: Plan, outcome: str, message: str) -> None:
        """An action's outcome, for the incident open now."""
        target = f"host {plan.host}" if plan.host else str(plan.target)
        # a step of a way (flux.disable-reconcile) is no action of the registry's
        action = registry.find(plan.action_id)
        mitigates = action is not None and action.mutating and action.mitigates
        fields = {"action": plan.action_id, "target": target, "outcome": outcome,
                  "message": message, "user": local_user(),
                  "mitigates": mitigates}  # fmt: skip
        self.recorder.action(self.cluster, time.time(), fields)
