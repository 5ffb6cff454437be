"""The API error rate from Prometheus, where a URL is configured (optional); no Textual.

One instant query over HTTP (`/api/v1/query`) every interval; the answer is the
fraction of requests that failed. The default query reads K3s's ingress, Traefik;
`prometheus_query` in the config file replaces it.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import orjson

from tui.config import Settings
from tui.store import ChangeBuffer, KindStatus, PrometheusUpdate, State

DEFAULT_QUERY = (
    'sum(rate(traefik_service_requests_total{code=~"5.."}[5m]))'
    " / sum(rate(traefik_service_requests_total[5m]))"
)


@dataclass(frozen=True)
class Endpoint:
    """A Prometheus URL without its user-info (the only form any message shows) and the
    Authorization header to send: basic auth from the URL's user:password or the
    config's username/password, else a bearer token from the config. urllib ignores
    user-info in a URL: it has to become a header."""

    url: str
    authorization: str = field(default="", repr=False)

    def __str__(self) -> str:
        return self.url


def redact(url: str) -> str:
    """The URL without user:password@ (for every message, finding and log line)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def endpoint(url: str, username: str = "", password: str = "", bearer: str = "") -> Endpoint:
    parts = urllib.parse.urlsplit(url)
    user = urllib.parse.unquote(parts.username or "") or username
    secret = urllib.parse.unquote(parts.password or "") or password
    if bearer:
        return Endpoint(redact(url), f"Bearer {bearer}")
    if user:
        pair = base64.b64encode(f"{user}:{secret}".encode()).decode()
        return Endpoint(redact(url), f"Basic {pair}")
    return Endpoint(redact(url))


def endpoint_of(settings: Settings, service: str = "prometheus") -> Endpoint | None:
    """The configured Prometheus (or Alertmanager: the same four settings, their own
    prefix), credentials in a header; None: not configured."""
    url = getattr(settings, f"{service}_url")
    if not url:
        return None
    username, password, bearer = (
        getattr(settings, f"{service}_{k}") or "" for k in ("username", "password", "bearer_token")
    )
    return endpoint(url, username, password, bearer)


class PromError(Exception):
    """Why Prometheus gave no answer; the message names the URL."""

    def __init__(self, state: State, message: str) -> None:
        super().__init__(message)
        self.status = KindStatus(state, message)


def api_get(where: str | Endpoint, path: str, params: dict[str, str], timeout: float = 10.0) -> Any:
    """GET one query API path; its `data`, or PromError saying what went wrong (naming
    the URL without its credentials)."""
    ep = where if isinstance(where, Endpoint) else endpoint(where)
    url = ep.url
    full = url.rstrip("/") + path + "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(full)
    if ep.authorization:
        request.add_header("Authorization", ep.authorization)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = orjson.loads(response.read())
    except urllib.error.HTTPError as e:
        detail = ""
        with contextlib.suppress(Exception):
            detail = str(orjson.loads(e.read()).get("error", ""))[:200]
        message = f"{url}: HTTP {e.code} {e.reason}" + (f": {detail}" if detail else "")
        raise PromError(State.ERROR, message) from None
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        raise PromError(State.UNREACHABLE, f"cannot reach {url}: {reason}") from None
    except orjson.JSONDecodeError:
        raise PromError(State.ERROR, f"{url}: not a Prometheus answer") from None
    if not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error", "") if isinstance(body, dict) else ""
        raise PromError(State.ERROR, f"{url}: query failed {error}".strip())
    return body.get("data") or {}


def query_error_rate(
    url: str | Endpoint, query: str = DEFAULT_QUERY, timeout: float = 10.0
) -> PrometheusUpdate:
    """One query; every failure is a state with a message naming the URL."""
    try:
        data = api_get(url, "/api/v1/query", {"query": query}, timeout)
    except PromError as e:
        return PrometheusUpdate(e.status)
    result = (data.get("result") or []) if isinstance(data, dict) else []
    if not result:  # no traffic: no rate, not an error
        return PrometheusUpdate(KindStatus(State.LIVE, "no requests in the window"), None)
    try:
        value = float(result[0]["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return PrometheusUpdate(KindStatus(State.ERROR, f"{url}: unexpected result shape"))
    if value != value:  # NaN: 0/0, no requests
        return PrometheusUpdate(KindStatus(State.LIVE, "no requests in the window"), None)
    return PrometheusUpdate(KindStatus(State.LIVE), value)


class PrometheusPoller:
    def __init__(
        self,
        url: str | Endpoint,
        buffer: ChangeBuffer,
        query: str = DEFAULT_QUERY,
        interval: float = 30.0,
    ) -> None:
        self.url, self.buffer, self.query, self.interval = url, buffer, query, interval
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            self.buffer.put(query_error_rate(self.url, self.query))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
