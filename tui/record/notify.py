"""The incident channel: the current summary sent through Apprise (Slack, Mattermost,
Matrix, ntfy, e-mail, a JSON webhook...) to the URLs of `[notify] urls`.

The URLs hold tokens: they are secrets. Nothing here prints one; a channel is named by
its place in the list and its scheme ("2 (slack)"), and Apprise's own log is kept off
the terminal (it would draw over the screen).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tui.record.store import Incident
from tui.store.units import human_duration

TITLE_MAX = 250
BODY_MAX = 3500  # most chat services cut near 4,000 characters


def scheme(url: str) -> str:
    return url.partition("://")[0].lower() if "://" in url else "?"


def channel_names(urls: Iterable[str]) -> list[str]:
    """How a channel is said: its place and its scheme, never its URL."""
    return [f"{i} ({scheme(u)})" for i, u in enumerate(urls, 1)]


@dataclass(frozen=True)
class Line:
    severity: str
    title: str
    subject: str


def summary(
    cluster: str,
    findings: list[Line],
    incident: Incident | None,
    who: str,
    now: float,
    status_page: str = "",
) -> tuple[str, str]:
    """The title and body as they will be sent: what is open, what was done, by whom."""
    critical = sum(1 for f in findings if f.severity == "critical")
    state = "incident" if critical else ("degraded" if findings else "healthy")
    title = f"[{state}] {cluster}: {critical} critical, {len(findings) - critical} warning(s)"
    lines = []
    if incident is not None:
        lines.append(
            f"Incident #{incident.id} open for {human_duration(now - incident.onset)}:"
            f" {incident.title}"
        )
    lines += ["", "Open findings:" if findings else "No finding open."]
    lines += [f"- {f.severity}: {f.title} ({f.subject})" for f in findings[:20]]
    if len(findings) > 20:
        lines.append(f"- and {len(findings) - 20} more")
    done = incident.actions if incident is not None else []
    if done:
        lines += ["", "Actions taken:"]
        for a in done[-10:]:
            at = datetime.fromtimestamp(a["at"], UTC).strftime("%H:%M")
            lines.append(f"- {at} UTC {a['action']} on {a['target']}: {a['outcome']} ({a['user']})")
    lines += ["", f"Sent by {who} from incident-console."]
    if status_page:
        lines.append(f"Status page: {status_page}")
    return title[:TITLE_MAX], "\n".join(lines)[:BODY_MAX]


@dataclass(frozen=True)
class Sent:
    channel: str  # "1 (json)"
    ok: bool
    why: str = ""


def send(urls: list[str], title: str, body: str, apprise: Any = None) -> list[Sent]:
    """Each channel on its own, so one that fails does not hide the others."""
    if apprise is None:
        import apprise
    log = logging.getLogger("apprise")
    log.propagate, log.handlers = False, [logging.NullHandler()]
    out = []
    for name, url in zip(channel_names(urls), urls, strict=True):
        box = apprise.Apprise()
        if not box.add(url):
            out.append(Sent(name, False, "not a URL Apprise knows: check its scheme"))
            continue
        ok = bool(box.notify(title=title, body=body))
        out.append(Sent(name, ok, "" if ok else "the service did not accept it"))
    return out
