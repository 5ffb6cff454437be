"""What the monitoring says, as the store keeps it: the health URLs' last checks, and
Alertmanager's alerts (API v2, `/api/v2/alerts/groups`): each
alert once, with the group Alertmanager put it in, its state (active, or suppressed by a
silence or an inhibition) and what the operator reads first. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from tui.store.meta import _d, _l, _s
from tui.store.status import KindStatus
from tui.store.units import parse_time

SUBJECT_LABELS = ("pod", "deployment", "topic", "persistentvolumeclaim", "service", "instance")


@dataclass(frozen=True, slots=True)
class Alert:
    fingerprint: str
    name: str  # the alertname label
    severity: str  # the severity label ("" when none)
    labels: tuple[tuple[str, str], ...]
    summary: str
    description: str
    starts_at: float | None
    state: str  # active | suppressed
    silenced_by: tuple[str, ...]
    inhibited_by: tuple[str, ...]
    group: str  # the group's labels, as Alertmanager grouped it ("alertname=X, namespace=Y")

    @property
    def label(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def muted(self) -> bool:
        return bool(self.silenced_by or self.inhibited_by) or self.state == "suppressed"

    @property
    def about(self) -> str:
        """What the alert is about, in a few words: its pod, topic, instance..."""
        labels = self.label
        return next((labels[k] for k in SUBJECT_LABELS if labels.get(k)), "")


def parse_alert_groups(groups: object) -> tuple[Alert, ...]:
    """The groups' alerts, each once (an alert routed to two receivers is in two groups)."""
    seen: dict[str, Alert] = {}
    for g in groups if isinstance(groups, list) else []:
        group = ", ".join(f"{k}={v}" for k, v in sorted(_d(g, "labels").items()))[:256]
        for a in _l(g, "alerts"):
            if not isinstance(a, dict):
                continue
            labels = {_s({"k": k}, "k", 128): _s(_d(a, "labels"), k, 512) for k in _d(a, "labels")}
            notes, status = _d(a, "annotations"), _d(a, "status")
            fingerprint = _s(a, "fingerprint", 64) or str(sorted(labels.items()))
            seen.setdefault(
                fingerprint,
                Alert(
                    fingerprint=fingerprint,
                    name=labels.get("alertname", "(no alertname)"),
                    severity=labels.get("severity", "").lower(),
                    labels=tuple(sorted(labels.items()))[:40],
                    summary=_s(notes, "summary", 1024),
                    description=_s(notes, "description", 2048),
                    starts_at=parse_time(a.get("startsAt")),
                    state=_s(status, "state", 32) or "active",
                    silenced_by=tuple(_s({"i": i}, "i", 64) for i in _l(status, "silencedBy")),
                    inhibited_by=tuple(_s({"i": i}, "i", 64) for i in _l(status, "inhibitedBy")),
                    group=group,
                ),
            )
    return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class AlertsUpdate:
    """One poll of Alertmanager: every alert it holds, or why there are none."""

    status: KindStatus
    alerts: tuple[Alert, ...] | None = None


@dataclass(frozen=True, slots=True)
class HealthCheck:
    url: str  # without credentials
    ok: bool
    status: int | None  # the HTTP status, None when nothing answered
    latency: float  # seconds
    error: str = ""


@dataclass(frozen=True, slots=True)
class HealthUpdate:
    checks: tuple[HealthCheck, ...]
