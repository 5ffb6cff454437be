"""Alertmanager (issue 25): Debian's real prometheus-alertmanager on 127.0.0.1, alerts
posted to its API as Prometheus does; the console shows them on the first screen,
silences one in a confirmed action (what Alertmanager received is checked), shows it
silenced, and `check --json` carries them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from actions import registry
from tests.alertmanager import ALERTMANAGER, Alertmanager
from tests.conftest import audit_lines, make_app, until
from tests.test_app import SIZE, lines, screen_text
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import TailScreen

pytestmark = pytest.mark.skipif(
    not Path(ALERTMANAGER).exists(),
    reason=f"{ALERTMANAGER} is not installed (make test installs prometheus-alertmanager)",
)


@pytest.fixture
def am(tmp_path: Path) -> Iterator[Alertmanager]:
    server = Alertmanager(tmp_path / "alertmanager")
    server.fire(
        alertname="KubePodCrashLooping",
        severity="critical",
        namespace="default",
        pod="api-gateway-7d9f-abcde",
        summary="Pod default/api-gateway-7d9f-abcde is crash looping.",
    )
    server.fire(
        alertname="KafkaTopicNotReady",
        severity="warning",
        namespace="kafka",
        topic="enrichments",
        summary="KafkaTopic enrichments is not Ready",
    )
    yield server
    server.stop()


def text_of(app: Any) -> str:
    return " ".join(" ".join(lines(w)) for w in app.screen.query("Static")).replace("  ", " ")


async def test_firing_alerts_are_findings_one_is_silenced_in_a_confirmed_action(
    small_cluster: Cluster, kubeconfig: Path, am: Alertmanager, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    app = make_app(kubeconfig, alertmanager_url=am.url, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot,
            lambda: "KubePodCrashLooping" in screen_text(app, "#findings-table"),
            20,
            "the firing alert on the first screen",
        )
        assert "KafkaTopicNotReady" in screen_text(app, "#findings-table")
        finding = next(f for f in app.session.findings() if f.title == "KubePodCrashLooping")
        assert finding.severity.label == "critical" and finding.actions == ("alert.silence",)
        assert "crash looping" in finding.evidence and "group alertname=" in finding.evidence
        target = app.flow.finding_target(registry.get("alert.silence"), finding)
        app.flow.start("alert.silence", target)
        await until(pilot, lambda: isinstance(app.screen, ParamsScreen))
        app.screen.query_one("#p-comment").value = "known: the OOM fix is rolling out"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await until(pilot, lambda: "Request to Alertmanager" in text_of(app))
        said = text_of(app)
        assert f"POST {am.url}/api/v2/silences" in said and "no dry run in Alertmanager" in said
        assert am.silences() == []  # nothing before the confirmation
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TailScreen))
        await until(pilot, lambda: len(am.silences()) == 1, 10, "the silence made")
        (silence,) = am.silences()
        matchers = {(m["name"], m["value"]) for m in silence["matchers"]}
        assert ("alertname", "KubePodCrashLooping") in matchers
        assert ("pod", "api-gateway-7d9f-abcde") in matchers
        assert silence["comment"] == "known: the OOM fix is rolling out"
        assert silence["createdBy"]
        await pilot.press("escape")
        await until(
            pilot,
            lambda: any(
                f.title == "KubePodCrashLooping (silenced)" for f in app.session.findings()
            ),
            20,
            "the alert shown silenced",
        )
        muted = next(f for f in app.session.findings() if f.title.endswith("(silenced)"))
        assert muted.muted and muted.actions == ("alert.expire-silence",)
        assert "mute" in screen_text(app, "#findings-table")
        # and back: the silence expired in a confirmed action, the alert loud again
        app.flow.start("alert.expire-silence", app.flow.finding_target(
            registry.get("alert.expire-silence"), muted))  # fmt: skip
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await until(pilot, lambda: "/api/v2/silence/" in text_of(app))
        await pilot.press("enter")
        await until(
            pilot,
            lambda: am.silences() and am.silences()[0]["status"]["state"] == "expired",
            10,
            "the silence expired",
        )
        await pilot.press("escape")
        await until(
            pilot,
            lambda: any(f.title == "KubePodCrashLooping" for f in app.session.findings()),
            20,
            "the alert loud again",
        )
    entry, expired = audit_lines(audit)
    assert expired["action"] == "alert.expire-silence" and expired["outcome"] == "succeeded"
    assert entry["action"] == "alert.silence" and entry["outcome"] == "succeeded"
    assert silence["id"] in entry["message"]  # audited with the silence's id
    assert "/api/v2/silences" in entry["external_request"]


def test_check_json_carries_the_firing_alerts(
    small_cluster: Cluster, kubeconfig: Path, am: Alertmanager
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "check", "--json", "--no-hosts",
         "--kubeconfig", str(kubeconfig), "--alertmanager", am.url, "--timeout", "15"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    data = orjson.loads(proc.stdout)
    names = {a["name"]: a for a in data["alerts"]}
    assert names["KubePodCrashLooping"]["state"] == "firing"
    assert names["KafkaTopicNotReady"]["labels"]["topic"] == "enrichments"
    crash = next(f for f in data["findings"] if f["rule"] == "alert:KubePodCrashLooping")
    assert crash["severity"] == "critical" and crash["subject"]["name"] == "api-gateway-7d9f-abcde"
    assert proc.returncode == 2  # a critical alert is a critical finding


def test_an_unreachable_alertmanager_is_one_finding_and_the_rest_goes_on(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    from tests.sshd import free_port

    proc = subprocess.run(
        [sys.executable, "-m", "tui", "check", "--json", "--no-hosts",
         "--kubeconfig", str(kubeconfig), "--timeout", "15",
         "--alertmanager", f"http://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    data = orjson.loads(proc.stdout)
    rules = [f["rule"] for f in data["findings"]]
    assert rules.count("alertmanager-unavailable") == 1
    assert "oomkilled" in rules  # the console's own rules went on
