"""The API error rate read from a Prometheus over real HTTP (a stand-in server on
127.0.0.1 that answers /api/v1/query as Prometheus does), and the certificate feed."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import make_app, until
from tests.test_app import SIZE, screen_text
from tui.demo.certmanager import seed_cert_manager
from tui.demo.state import Cluster
from tui.sources.prometheus import DEFAULT_QUERY, query_error_rate
from tui.store import State


class Prometheus:
    def __init__(self) -> None:
        self.answer: tuple[int, bytes] = (200, b"")
        self.queries: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                outer.queries.append(urllib.parse.parse_qs(url.query).get("query", [""])[0])
                code, body = outer.answer
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def vector(self, value: str | None) -> None:
        result = [] if value is None else [{"metric": {}, "value": [1795878000.0, value]}]
        body = {"status": "success", "data": {"resultType": "vector", "result": result}}
        self.answer = (200, orjson.dumps(body))


@pytest.fixture
def prometheus() -> Iterator[Prometheus]:
    p = Prometheus()
    yield p
    p.server.shutdown()


def test_error_rate_and_every_way_it_can_fail(prometheus: Prometheus) -> None:
    prometheus.vector("0.125")
    update = query_error_rate(prometheus.url)
    assert update.status.state is State.LIVE and update.error_rate == 0.125
    assert prometheus.queries[-1] == DEFAULT_QUERY  # what the server received
    prometheus.vector(None)
    assert query_error_rate(prometheus.url).error_rate is None  # no traffic, no rate
    prometheus.vector("NaN")
    assert query_error_rate(prometheus.url).status.message == "no requests in the window"
    prometheus.answer = (400, b'{"status":"error","error":"parse error"}')
    bad = query_error_rate(prometheus.url, "sum(")
    assert bad.status.state is State.ERROR and "HTTP 400" in bad.status.message
    prometheus.answer = (200, b"<html>")
    assert "not a Prometheus answer" in query_error_rate(prometheus.url).status.message
    down = query_error_rate("http://127.0.0.1:9", timeout=2)
    assert down.status.state is State.UNREACHABLE and "127.0.0.1:9" in down.status.message


async def test_the_console_reads_prometheus_and_certificates(
    small_cluster: Cluster, kubeconfig: Path, prometheus: Prometheus
) -> None:
    prometheus.vector("0.31")
    seed_cert_manager(small_cluster)
    cert = small_cluster.get("Certificate", "default", "api-gateway-tls")
    cert["status"]["conditions"][0].update(
        status="False", message="Issuing certificate as Secret does not exist"
    )
    small_cluster.put("Certificate", cert)
    app = make_app(kubeconfig, prometheus_url=prometheus.url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "API error rate" in screen_text(app, "#findings-table"), 15)
        await until(
            pilot, lambda: "Certificate not ready" in screen_text(app, "#findings-table"), 15
        )
        finding = next(f for f in app.session.tracker.findings() if f.rule == "api-error-rate")
        assert "31.0% of requests failed" in finding.evidence
