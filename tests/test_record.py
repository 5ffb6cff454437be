"""The incident record (issue 26) against real parts: `check` on the demo cluster (through
the hidden --demo-attach, as serve's viewers attach) records two incidents in a row into
the demo's own store, and `report --demo --json` gives their MTBF and availability; the
real store is never touched. `incident.notify` reaches a local HTTP receiver through
Apprise's json://, confirmed and audited, its URL never shown or written."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import audit_lines, make_app, until, wait_for
from tests.test_alertmanager import text_of
from tests.test_app import SIZE
from tests.test_kubectl import KUBECTL, kubectl
from tui.cli import main
from tui.config import state_dir
from tui.demo.state import Cluster
from tui.record import demo_store_path
from tui.screens.confirm import ConfirmScreen
from tui.screens.tail import TailScreen

GATEWAY = ("default", "api-gateway")


def gateway_ready(cluster: Cluster, replicas: int) -> bool:
    """Every api-gateway pod ready and no old one left, and the endpoints follow."""
    pods = [
        p
        for p in cluster.list("Pod", "default")
        if p["metadata"]["name"].startswith("api-gateway-")
    ]
    ready = [
        p
        for p in pods
        if "deletionTimestamp" not in p["metadata"]
        and all(c.get("ready") for c in p.get("status", {}).get("containerStatuses", [{}]))
    ]
    ep = cluster.get("Endpoints", *GATEWAY) or {}
    addresses = sum(len(s.get("addresses", [])) for s in ep.get("subsets", []))
    return len(pods) == len(ready) == replicas and addresses == replicas


def check(kubeconfig: Path) -> int:
    return main(["--demo-attach", str(kubeconfig), "check", "--no-hosts", "--timeout", "20"])


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")
def test_two_demo_incidents_give_an_mtbf_and_an_availability_in_the_demo_store_only(
    demo: Any, cluster: Cluster, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = emulator.write_kubeconfig(tmp_path / "demo.kubeconfig", context="demo")
    assert check(config) == 2  # the demo's api-gateway is OOMKilled: incident #1 opens
    assert "incident #1 opened" in capsys.readouterr().err
    # the fix an operator makes (kubectl, an independent client): its limit raised
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "api-gateway", "resources": {"limits": {"memory": "2Gi"}}}]}}}}  # fmt: skip
    kubectl(config, "patch", "deployment", "api-gateway", "-n", "default", "-p",
            orjson.dumps(patch).decode())  # fmt: skip
    wait_for(lambda: gateway_ready(cluster, 3), 40, "api-gateway healthy")
    check(config)
    assert "incident #1 resolved" in capsys.readouterr().err
    # a second failure: no replica behind the Service
    kubectl(config, "scale", "deployment", "api-gateway", "-n", "default", "--replicas=0")
    wait_for(lambda: gateway_ready(cluster, 0), 30, "api-gateway gone")
    assert check(config) == 2
    assert "incident #2 opened: Service without endpoints" in capsys.readouterr().err
    kubectl(config, "scale", "deployment", "api-gateway", "-n", "default", "--replicas=3")
    wait_for(lambda: gateway_ready(cluster, 3), 40, "api-gateway back")
    check(config)
    assert "incident #2 resolved" in capsys.readouterr().err

    assert main(["report", "--demo", "--json", "--since", "1h"]) == 0
    report = orjson.loads(capsys.readouterr().out)
    (history,) = report["clusters"]
    assert history["cluster"] == "demo@embedded"
    first, second = history["incidents"]
    assert first["title"].startswith(("OOMKilled", "Pod crash-looping", "Service without"))
    assert second["title"] == "Service without endpoints: service/default/api-gateway"
    assert first["resolved"] and second["resolved"]
    figures = history["figures"]
    assert figures["incidents"] == 2 and figures["resolved"] == 2
    assert figures["mtbf_s"] is not None and figures["mtbf_s"] > 0
    assert figures["mttr_s"] is not None
    assert 0 < figures["availability_pct"] < 100
    assert report["store"] == str(demo_store_path())
    assert not (state_dir() / "incidents.sqlite3").exists()  # the real store: untouched
    assert main(["report", "--demo", "--since", "1h"]) == 0
    text = capsys.readouterr().out
    assert "## Incidents and recovery figures" in text and "MTBF" in text


class Receiver:
    """A local HTTP endpoint, as a JSON webhook would be: what it received, kept."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"path": self.path, "body": orjson.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


async def test_notify_sends_the_summary_to_a_local_receiver_confirmed_and_audited(
    small_cluster: Cluster, kubeconfig: Path, receiver: Receiver, audit: Path
) -> None:
    url = f"json://127.0.0.1:{receiver.port}/hook-secret-token"
    app = make_app(kubeconfig, audit_log=str(audit), notify_urls=[url], channel="#incidents")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session.findings(), 20, "the findings")
        await until(pilot, lambda: app.flow.records.current() is not None, 20, "the incident")
        app.flow.start("incident.notify")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await until(pilot, lambda: "Request to Apprise" in text_of(app))
        said = text_of(app)
        assert "channel(s) 1 (json)" in said and "#incidents" in said
        assert "hook-secret-token" not in said and receiver.received == []
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TailScreen))
        await until(pilot, lambda: receiver.received, 15, "the notification received")
        await until(pilot, lambda: audit_lines(audit), 10, "the audit line")
    (got,) = receiver.received
    assert got["path"] == "/hook-secret-token"
    assert got["body"]["title"].startswith("[incident] test@")
    assert "Crash" in got["body"]["message"] or "OOM" in got["body"]["message"]
    assert "Incident #1 open" in got["body"]["message"]
    (line,) = audit_lines(audit)
    assert (line["action"], line["outcome"]) == ("incident.notify", "succeeded")
    assert "hook-secret-token" not in audit.read_text()


def test_a_store_that_cannot_be_written_is_one_line_and_the_verdict_stands() -> None:
    """The demo's store where a file blocks its directory: check still says critical."""
    state_dir().mkdir(parents=True)
    (state_dir() / "demo").write_text("")
    cli = Path(sys.executable).parent / "incident-console"
    proc = subprocess.run(
        [str(cli), "check", "--demo", "--no-hosts", "--timeout", "20"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "not recorded: the incident store" in proc.stderr and "Traceback" not in proc.stderr
