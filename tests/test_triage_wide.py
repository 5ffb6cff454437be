"""Wider triage (issue 25): node pressure, a Ready certificate about to expire, the health
URLs (against a local HTTP server); each rule fires on its broken case and not on a
healthy one."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests import fixtures as fx
from tests.sshd import free_port
from tui.config import Settings
from tui.sources.health import HealthPoller, targets
from tui.store import PARSERS, ChangeBuffer, Replace, Store
from tui.store.models import parse_certificate
from tui.triage import evaluate

NOW = time.time()


def by_rule(store: Store, now: float = NOW) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in evaluate(store, now):
        out.setdefault(f.rule, []).append(f)
    return out


def test_node_pressure_fires_with_the_actions_that_relieve_it() -> None:
    s = Store()
    s.apply([Replace("nodes", (PARSERS["nodes"](fx.node(pressures=("DiskPressure",))),))])
    (f,) = by_rule(s)["node-pressure"]
    assert f.subject.name == "vps-6227e9e1" and "DiskPressure=True" in f.evidence
    assert f.actions[0] == "host.disk-report"
    s.apply([Replace("nodes", (PARSERS["nodes"](fx.node()),))])
    assert "node-pressure" not in by_rule(s)


def certificate(days_left: float, ready: str = "True") -> Any:
    from datetime import UTC, datetime

    end = datetime.fromtimestamp(NOW + days_left * 86400, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return parse_certificate(
        {
            "metadata": {"name": "kafka-ui-tls", "namespace": "kafka", "uid": "c"},
            "status": {
                "notAfter": end,
                "conditions": [{"type": "Ready", "status": ready, "message": "issued"}],
            },
        }
    )


@pytest.mark.parametrize(
    ("days", "severity"), [(60, None), (13, "warning"), (1, "critical"), (-1, "critical")]
)
def test_a_ready_certificate_close_to_its_end(days: float, severity: str | None) -> None:
    s = Store()
    s.apply([Replace("certificates", (certificate(days),))])
    found = by_rule(s).get("certificate-expiring", [])
    assert [f.severity.label for f in found] == ([severity] if severity else [])
    if found:
        assert ("expired" if days < 0 else "expires in") in found[0].evidence


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        code = 200 if self.path in ("/health", "/-/healthy") else 503
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"down")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_health_urls_a_failing_one_is_a_finding_with_its_status_and_latency(site: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}/health"
    settings = Settings(
        health_urls=[f"{site}/health", f"http://ops:secret@{site[7:]}/ready", dead],
        prometheus_url=site,
    )
    assert [u for u, _ in targets(settings)][-1] == f"{site}/-/healthy"  # Prometheus's own
    s = Store()
    s.apply(_buffer_with(HealthPoller(settings, ChangeBuffer()).once()).drain())
    found = {f.subject.name: f for f in by_rule(s)["health-url"]}
    assert set(found) == {f"{site}/ready", dead}  # the healthy two are no finding
    assert "HTTP 503" in found[f"{site}/ready"].evidence and " ms" in found[dead].evidence
    assert "secret" not in str(found) and "cannot reach" in found[dead].evidence


def _buffer_with(change: Any) -> ChangeBuffer:
    buffer = ChangeBuffer()
    buffer.put(change)
    return buffer


def test_the_rules_take_at_most_a_fiftieth_of_the_screens_time() -> None:
    """A quick pass runs again at the next second's tick; a pass of 40 ms (10,000 troubled
    pods) waits 2 s, so most keys no longer wait behind one."""
    import pytest

    from tui.triage import next_run

    assert next_run(100.0, 0.005) <= 101.0
    assert next_run(100.0, 0.040) == pytest.approx(102.0)
    assert next_run(100.0, 0.100) == pytest.approx(105.0)
