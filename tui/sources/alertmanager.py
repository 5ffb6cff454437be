"""Alertmanager (API v2), where a URL is configured: what is firing, as Alertmanager
groups it, silenced and inhibited alerts included (shown dimmed), polled; and the two
requests the silence actions send. Credentials go as a header (see prometheus.Endpoint);
every message names the URL without them. No Textual."""

from __future__ import annotations

import contextlib
import threading
import urllib.error
import urllib.request
from typing import Any

import orjson

from tui.config import Settings
from tui.sources import prometheus
from tui.sources.prometheus import Endpoint
from tui.store import ChangeBuffer, KindStatus, State
from tui.store.alerts import AlertsUpdate, parse_alert_groups

GROUPS = "/api/v2/alerts/groups?active=true&silenced=true&inhibited=true"


class AlertmanagerError(Exception):
    def __init__(self, state: State, message: str) -> None:
        super().__init__(message)
        self.status = KindStatus(state, message)


def endpoint_of(settings: Settings) -> Endpoint | None:
    return prometheus.endpoint_of(settings, "alertmanager")


def am_request(
    ep: Endpoint, method: str, path: str, body: Any = None, timeout: float = 10.0
) -> Any:
    """One API v2 request; its JSON answer (None when empty), or AlertmanagerError."""
    data = orjson.dumps(body) if body is not None else None
    request = urllib.request.Request(ep.url.rstrip("/") + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if ep.authorization:
        request.add_header("Authorization", ep.authorization)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        detail = ""
        with contextlib.suppress(Exception):
            detail = e.read().decode(errors="replace").strip()[:200]
        message = f"{ep.url}: HTTP {e.code} {e.reason}" + (f": {detail}" if detail else "")
        raise AlertmanagerError(State.ERROR, message) from None
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        raise AlertmanagerError(State.UNREACHABLE, f"cannot reach {ep.url}: {reason}") from None
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise AlertmanagerError(State.ERROR, f"{ep.url}: not an Alertmanager answer") from None


def poll_alerts(ep: Endpoint) -> AlertsUpdate:
    try:
        groups = am_request(ep, "GET", GROUPS)
    except AlertmanagerError as e:
        return AlertsUpdate(e.status)
    return AlertsUpdate(KindStatus(State.LIVE), parse_alert_groups(groups))


class AlertmanagerPoller:
    def __init__(self, ep: Endpoint, buffer: ChangeBuffer, interval: float = 5.0) -> None:
        self.ep, self.buffer, self.interval = ep, buffer, interval
        self._stop = threading.Event()
        self.wake = threading.Event()  # a silence made or expired: look again now

    def once(self) -> AlertsUpdate:
        return poll_alerts(self.ep)

    def run(self) -> None:
        while not self._stop.is_set():
            self.buffer.put(poll_alerts(self.ep))
            self.wake.wait(self.interval)
            self.wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()


def poller(settings: Settings, buffer: ChangeBuffer) -> AlertmanagerPoller | None:
    ep = endpoint_of(settings)
    return AlertmanagerPoller(ep, buffer) if ep is not None else None
