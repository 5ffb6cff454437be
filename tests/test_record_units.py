"""The incident store and its figures (issue 26), pure: syncs at chosen times in, the
incidents, MTTR, MTBF and availability out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.record import IncidentStore, Seen
from tui.record.figures import figures
from tui.record.notify import Line as NotifyLine
from tui.record.notify import channel_names, summary

OOM = Seen("oomkilled:deployment/default/api-gateway", "oomkilled", "OOMKilled", "critical",
           "deployment/default/api-gateway", "limit 512Mi", "OOM", began=1000.0)  # fmt: skip
SOPS = Seen("flux-not-ready:Kustomization/flux-system/apps", "flux-not-ready", "Flux not ready",
            "warning", "Kustomization/flux-system/apps")  # fmt: skip
C = "demo@embedded"


@pytest.fixture
def store(tmp_path: Path) -> IncidentStore:
    return IncidentStore(tmp_path / "incidents.sqlite3")


def test_a_critical_finding_opens_an_incident_a_restart_does_not_open_another(
    store: IncidentStore,
) -> None:
    assert store.sync(C, [SOPS], 1000.0) == []  # a warning alone: no incident
    (opened,) = store.sync(C, [SOPS, OOM], 1060.0)
    assert opened.what == "opened" and opened.title.startswith("OOMKilled")
    # the console restarted: the same findings seen again are the same incident
    assert store.sync(C, [SOPS, OOM], 1200.0) == []
    (inc,) = store.incidents(C, 0, 2000)
    assert (inc.onset, inc.detected, inc.resolved) == (1000.0, 1060.0, None)
    assert [f["key"] for f in inc.findings] == [OOM.key]  # the warning predates it


def test_not_yet_due_keeps_a_finding_open_and_what_cleared_unwatched_closes(
    store: IncidentStore,
) -> None:
    store.sync(C, [OOM], 1000.0)
    # at the next look its condition is still there but its hold has not run again
    assert store.sync(C, [], 1100.0, observed=[OOM.key]) == []
    (resolved,) = store.sync(C, [], 1300.0)
    assert resolved.what == "resolved"
    (inc,) = store.incidents(C, 0, 2000)
    assert inc.resolved == 1300.0 and inc.findings[0]["cleared"] == 1300.0


def test_the_first_mutation_that_succeeded_is_the_mitigation(store: IncidentStore) -> None:
    store.sync(C, [OOM], 1000.0)
    store.record_action(C, 1100.0, "pod.describe", "pod/x", "succeeded", mitigates=False)
    store.record_action(C, 1150.0, "deployment.set-resources", "deployment/api-gateway", "failed")
    store.record_action(C, 1200.0, "deployment.set-resources", "deployment/api-gateway",
                        "succeeded", user="alice")  # fmt: skip
    store.add_note(C, 1210.0, "alice", "limit raised to 2Gi")
    store.sync(C, [], 1400.0)
    store.record_action(C, 1500.0, "deployment.restart", "deployment/other", "succeeded")
    (inc,) = store.incidents(C, 0, 2000)
    assert inc.mitigated == 1200.0
    assert [a["outcome"] for a in inc.actions] == ["succeeded", "failed", "succeeded"]
    assert inc.notes[0]["text"] == "limit raised to 2Gi"


def test_two_incidents_give_mttr_mtbf_availability_and_the_budget_left(
    store: IncidentStore,
) -> None:
    store.sync(C, [], 0.0)  # watching from t=0
    store.sync(C, [OOM], 1000.0)  # onset 1000, seen at once
    store.sync(C, [], 1600.0)  # resolved: 600 s
    later = Seen(OOM.key, OOM.rule, OOM.title, "critical", OOM.subject, began=5000.0)
    store.sync(C, [later], 5100.0)
    store.sync(C, [], 5500.0)  # resolved: 500 s after its onset
    incidents = store.incidents(C, 0.0, 10000.0)
    f = figures(incidents, 0.0, 10000.0, slo=99.0)
    assert f.incidents == 2 and f.resolved == 2
    assert f.mttr == pytest.approx(550.0)
    assert f.mtbf == pytest.approx(5000.0 - 1600.0)
    assert f.downtime == pytest.approx(1100.0)
    assert f.availability == pytest.approx(89.0)
    assert f.budget == pytest.approx(100.0) and f.budget_left == pytest.approx(-1000.0)
    assert f.mttd == pytest.approx(50.0)
    assert f.as_json()["availability_pct"] == 89.0


def test_one_history_per_cluster(store: IncidentStore) -> None:
    store.sync("prod@https://a:6443", [OOM], 1000.0)
    store.sync("staging@https://b:6443", [], 1000.0)
    assert store.incidents("staging@https://b:6443", 0, 2000) == []
    assert len(store.incidents("prod@https://a:6443", 0, 2000)) == 1


def test_the_summary_names_channels_by_place_and_scheme_never_by_url() -> None:
    names = channel_names(["slack://T000/B000/secret-token", "json://127.0.0.1:9/hook"])
    assert names == ["1 (slack)", "2 (json)"]
    title, body = summary("prod", [NotifyLine("critical", "OOMKilled", "deployment/api")], None,
                          "alice", 0.0, "https://status.example.com")  # fmt: skip
    assert title == "[incident] prod: 1 critical, 0 warning(s)"
    assert "- critical: OOMKilled (deployment/api)" in body and "Sent by alice" in body
