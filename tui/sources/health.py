"""The runbook's health URLs (`curl -f http://prometheus:9090/-/healthy`, the app's
/health): each GET with a timeout, its status and latency; Prometheus's own /-/healthy
when a Prometheus URL is set. A URL's credentials never appear in what it reports.
No Textual."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

from tui.config import Settings
from tui.sources.prometheus import endpoint, endpoint_of
from tui.store import ChangeBuffer
from tui.store.alerts import HealthCheck, HealthUpdate


def targets(settings: Settings) -> list[tuple[str, str]]:
    """(URL shown, Authorization) for every URL to check."""
    out = []
    for url in settings.health_urls:
        ep = endpoint(url)
        out.append((ep.url, ep.authorization))
    prom = endpoint_of(settings)
    if prom is not None:
        out.append((prom.url.rstrip("/") + "/-/healthy", prom.authorization))
    return out


def check(url: str, authorization: str = "", timeout: float = 5.0) -> HealthCheck:
    request = urllib.request.Request(url)
    if authorization:
        request.add_header("Authorization", authorization)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
            status = int(response.status)
    except urllib.error.HTTPError as e:
        return HealthCheck(
            url, False, e.code, time.monotonic() - start, f"HTTP {e.code} {e.reason}"
        )
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        return HealthCheck(url, False, None, time.monotonic() - start, f"cannot reach: {reason}")
    return HealthCheck(url, 200 <= status < 400, status, time.monotonic() - start)


class HealthPoller:
    def __init__(self, settings: Settings, buffer: ChangeBuffer, interval: float = 15.0) -> None:
        self.targets, self.buffer, self.interval = targets(settings), buffer, interval
        self._stop = threading.Event()

    def once(self) -> HealthUpdate:
        return HealthUpdate(tuple(check(url, auth) for url, auth in self.targets))

    def run(self) -> None:
        while not self._stop.is_set():
            self.buffer.put(self.once())
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()


def poller(settings: Settings, buffer: ChangeBuffer) -> HealthPoller | None:
    return HealthPoller(settings, buffer) if targets(settings) else None
