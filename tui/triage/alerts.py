"""What Alertmanager is firing, as findings beside the console's own: the severity from
the alert's `severity` label, the summary and description as evidence, the group
Alertmanager put it in; silenced and inhibited alerts stay listed, dimmed, with the
action that expires their silence. Alertmanager configured but not answering is a
finding of its own. Pure."""

from __future__ import annotations

from tui.store import State, Store
from tui.triage.findings import Finding, Severity, Subject

CRITICAL = ("critical", "page", "error")


def alert_rules(store: Store, now: float) -> list[Finding]:
    status = store.alertmanager_status
    out: list[Finding] = []
    if status.state not in (State.ABSENT, State.LIVE, State.CONNECTING):
        out.append(
            Finding(
                "alertmanager-unavailable",
                "Alertmanager unavailable",
                Severity.WARNING,
                Subject("cluster", "alertmanager"),
                f"{status.message}: what it fires is not shown; the console's own rules go on",
                (),
                "Alertmanager",
            )
        )
    for a in store.alerts:
        labels = a.label
        why = a.summary or a.description or "no summary"
        muted = "silenced" if a.silenced_by else ("inhibited" if a.inhibited_by else "")
        out.append(
            Finding(
                f"alert:{a.name}",  # two alerts about one pod are two findings
                f"{a.name}" + (f" ({muted})" if muted else ""),
                Severity.CRITICAL if a.severity in CRITICAL and not muted else Severity.WARNING,
                Subject(
                    "alert",
                    a.about or a.name,
                    labels.get("namespace", ""),
                    pod=labels.get("pod", ""),
                    path=a.fingerprint,
                ),
                f"{why} · severity {a.severity or '-'} · group {a.group or '-'}"
                + (f" · silenced by {', '.join(a.silenced_by)}" if a.silenced_by else ""),
                ("alert.expire-silence",) if a.silenced_by else ("alert.silence",),
                "Alertmanager",
                since=a.starts_at,
                muted=bool(muted),
            )
        )
    return out


def health_rules(store: Store, now: float) -> list[Finding]:
    """A health URL that fails (an HTTP error, no answer, a timeout) is a finding."""
    out = []
    for c in store.health:
        if c.ok:
            continue
        status = f"HTTP {c.status}" if c.status is not None else "no answer"
        out.append(
            Finding(
                "health-url",
                "Health check failing",
                Severity.CRITICAL if c.url.endswith("/-/healthy") else Severity.WARNING,
                Subject("url", c.url),
                f"GET {c.url}: {c.error or status} after {c.latency * 1000:.0f} ms",
                (),
                "Service/Ingress Inaccessible",
            )
        )
    return out
