"""Each rule on its own objects, on both sides of its threshold and duration; the tracker's
timeline; malformed objects never make a rule raise."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests import fixtures as fx
from tui.store import (
    PARSERS,
    KindStatus,
    MetricsUpdate,
    PrometheusUpdate,
    Replace,
    State,
    Store,
    Upsert,
)
from tui.store.flux import parse_flux
from tui.store.host import (
    Filesystem,
    HostSample,
    HostUpdate,
    Memory,
    Proc,
    Services,
    Unit,
)
from tui.store.models import parse_certificate
from tui.triage import Severity, Tracker, evaluate

NOW = time.time()


def store_with(**kinds: list[dict[str, Any]]) -> Store:
    s = Store()
    for kind, objs in kinds.items():
        s.apply([Replace(kind, tuple(PARSERS[kind](o) for o in objs))])
    return s


def rules(store: Store, now: float | None = None) -> dict[str, list[Any]]:
    """The findings by rule, evaluated now: the fixtures' times are relative to the clock."""
    out: dict[str, list[Any]] = {}
    for f in evaluate(store, time.time() if now is None else now):
        out.setdefault(f.rule, []).append(f)
    return out


def deployment(
    name: str, replicas: int, available: int, unavailable_for: float | None = None
) -> dict[str, Any]:
    conditions = []
    if unavailable_for is not None:
        conditions.append(
            {"type": "Available", "status": "False", "lastTransitionTime": fx.ago(unavailable_for)}
        )
    return {
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-dep-{name}"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "spec": {
                    "containers": [{"name": name, "resources": {"limits": {"memory": "256Mi"}}}]
                }
            },
        },
        "status": {
            "availableReplicas": available,
            "unavailableReplicas": replicas - available,
            "conditions": conditions,
        },
    }


def replicaset(dep: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"{dep}-abc",
            "namespace": "default",
            "uid": f"uid-rs-{dep}",
            "ownerReferences": [{"kind": "Deployment", "name": dep, "controller": True}],
        },
        "spec": {"replicas": 1},
        "status": {},
    }


# -- nodes ----------------------------------------------------------------------------
def test_node_not_ready_after_two_minutes_only() -> None:
    now = time.time()
    s = store_with(nodes=[fx.node("a", ready="False", since=119), fx.node("b", ready="True")])
    (f,) = rules(s, now)["node-not-ready"]
    t = Tracker()
    assert t.update([f], now) == []  # 119 s: not yet
    seen = t.update([f], now + 2)  # 121 s
    assert [e.event for e in seen] == ["seen"] and f.severity is Severity.CRITICAL
    assert f.subject.name == "a" and "Ready=False for" in f.evidence
    assert f.actions[:2] == ("host.service-status", "host.journal-tail")
    s = store_with(nodes=[fx.node("a", ready="Unknown", since=300)])
    assert Tracker().update(evaluate(s, now), now)[0].finding.rule == "node-not-ready"


# -- pods -----------------------------------------------------------------------------
def test_past_fifty_a_rules_subjects_fold_into_one_finding_that_counts_them() -> None:
    crashing = [
        fx.pod(f"app-{i:03d}-x", namespace=f"ns-{i:03d}", waiting="CrashLoopBackOff", restarts=9)
        for i in range(60)
    ]
    found = rules(store_with(pods=crashing))["pod-crashloop"]
    assert len(found) == 50
    last = found[-1]
    assert last.title.endswith("(+11 more)") and str(last.subject) == "cluster"
    assert last.evidence.startswith("11 more subjects, among them pod/ns-049/app-049-x, ")
    assert [f.subject.name for f in found[:49]] == [f"app-{i:03d}-x" for i in range(49)]
    assert found[0].evidence == "1 pod(s) in CrashLoopBackOff (app-000-x), 9 restarts"
    assert last.actions == ()  # nothing to run on "11 pods": the others are named
    assert len({f.key for f in found}) == 50


def test_crashloop_needs_more_than_three_restarts() -> None:
    three = fx.pod("p3", waiting="CrashLoopBackOff", restarts=3)
    four = fx.pod("p4", waiting="CrashLoopBackOff", restarts=4)
    assert "pod-crashloop" not in rules(store_with(pods=[three]))
    (f,) = rules(store_with(pods=[four]))["pod-crashloop"]
    assert f.severity is Severity.CRITICAL and f.subject.pod == "p4"
    assert f.actions[:2] == ("pod.logs-previous", "deployment.restart")
    running = fx.pod("r9", restarts=9)  # restarts but not crash-looping now
    assert "pod-crashloop" not in rules(store_with(pods=[running]))


def test_oomkilled_groups_a_deployments_pods_and_answers_with_set_resources() -> None:
    pods = [
        fx.pod(
            f"api-abc-{i}", last_terminated="OOMKilled", restarts=1, owner=("ReplicaSet", "api-abc")
        )
        for i in range(3)
    ]
    other = fx.pod("fine", last_terminated="Error", restarts=1)
    s = store_with(
        pods=[*pods, other],
        deployments=[deployment("api", 3, 3)],
        replicasets=[replicaset("api")],
    )
    (f,) = rules(s)["oomkilled"]
    assert (f.subject.kind, f.subject.namespace, f.subject.name) == ("deployment", "default", "api")
    assert f.actions[0] == "deployment.set-resources"
    assert "3 pod(s) last terminated OOMKilled" in f.evidence and "limit 256Mi" in f.evidence
    assert f.severity is Severity.WARNING  # not restarting over 3 times yet


def test_image_pull_failures() -> None:
    ok = fx.pod("ok")
    bad = fx.pod("bad", waiting="ImagePullBackOff", waiting_message="not found", ready=False)
    assert "image-pull" not in rules(store_with(pods=[ok]))
    (f,) = rules(store_with(pods=[ok, bad]))["image-pull"]
    assert f.severity is Severity.WARNING and "not found" in f.evidence


# -- deployments, services ------------------------------------------------------------
def test_deployment_unavailable_for_two_minutes() -> None:
    now = time.time()
    fresh = store_with(deployments=[deployment("api", 2, 1, unavailable_for=30)])
    (f,) = rules(fresh, now)["deployment-unavailable"]
    assert Tracker().update([f], now) == []  # 30 s into a rollout
    slow = store_with(deployments=[deployment("api", 2, 1, unavailable_for=90)])
    (f,) = rules(slow, now)["deployment-unavailable"]
    assert Tracker().update([f], now) == []  # 90 s: a slow rollout still (issue 25: 2 min)
    old = store_with(deployments=[deployment("api", 2, 1, unavailable_for=150)])
    (f,) = rules(old, now)["deployment-unavailable"]
    assert Tracker().update([f], now)[0].event == "seen"
    assert "1/2 available, 1 unavailable" in f.evidence
    fine = store_with(deployments=[deployment("api", 2, 2), deployment("off", 0, 0)])
    assert "deployment-unavailable" not in rules(fine)


def test_service_without_ready_endpoints() -> None:
    svc = {
        "metadata": {"name": "api", "namespace": "default", "uid": "svc"},
        "spec": {"selector": {"app": "api"}},
    }
    manual = {"metadata": {"name": "ext", "namespace": "default", "uid": "svc2"}, "spec": {}}
    ready = {
        "metadata": {"name": "api", "namespace": "default", "uid": "ep"},
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}]}],
    }
    empty = {
        "metadata": {"name": "api", "namespace": "default", "uid": "ep"},
        "subsets": [{"notReadyAddresses": [{"ip": "10.0.0.1"}]}],
    }
    pod = fx.pod("api-1", labels={"app": "api"})
    assert "service-no-endpoints" not in rules(
        store_with(services=[svc, manual], endpoints=[ready], pods=[pod])
    )
    (f,) = rules(store_with(services=[svc, manual], endpoints=[empty], pods=[pod]))[
        "service-no-endpoints"
    ]
    assert f.subject.kind == "service" and f.subject.pod == "api-1"
    assert "1 not ready; 1 pod(s) match its selector" in f.evidence
    assert f.actions == ("pod.describe", "probe.tcp", "endpoints.recreate")


# -- Flux, certificates, metrics, Prometheus ------------------------------------------
def flux_obj(ready: str, message: str, *, stalled: bool = False, suspend: bool = False) -> Any:
    conditions = [{"type": "Ready", "status": ready, "reason": "BuildFailed", "message": message}]
    if stalled:
        conditions.append({"type": "Stalled", "status": "True", "reason": "X", "message": message})
    return parse_flux(
        {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system", "uid": "k"},
            "spec": {"suspend": suspend},
            "status": {"conditions": conditions},
        }
    )


def test_flux_not_ready_and_sops_marked() -> None:
    s = Store()
    s.apply([Upsert("flux/Kustomization", flux_obj("True", "Applied revision"))])
    assert "flux-not-ready" not in rules(s)
    sops = "decryption failed for 'Secret.v1.[noGrp]/kafka-credentials': no identity matched"
    s.apply([Upsert("flux/Kustomization", flux_obj("False", sops))])
    (f,) = rules(s)["flux-not-ready"]
    assert f.title == "Flux SOPS decryption failed"
    assert f.actions == ("flux.sops-check", "flux.reconcile-with-source")
    s.apply([Upsert("flux/Kustomization", flux_obj("False", "x", suspend=True))])
    assert "flux-not-ready" not in rules(s)  # suspended on purpose
    s.apply([Upsert("flux/Kustomization", flux_obj("Unknown", "stuck", stalled=True))])
    (f,) = rules(s)["flux-not-ready"]
    assert f.evidence.startswith("Stalled") and f.actions == ("flux.reconcile-with-source",)


def test_certificates_metrics_api_and_error_rate() -> None:
    s = Store()
    cert = {
        "metadata": {"name": "api-tls", "namespace": "default", "uid": "c"},
        "status": {"conditions": [{"type": "Ready", "status": "True", "message": "up to date"}]},
    }
    s.apply([Upsert("certificates", parse_certificate(cert))])
    s.apply([MetricsUpdate(KindStatus(State.LIVE))])
    s.apply([PrometheusUpdate(KindStatus(State.LIVE), 0.10)])
    assert rules(s) == {}
    cert["status"]["conditions"][0].update(status="False", message="Issuing failed")
    s.apply([Upsert("certificates", parse_certificate(cert))])
    s.apply([MetricsUpdate(KindStatus(State.FORBIDDEN, "user cannot list nodes.metrics.k8s.io"))])
    s.apply([PrometheusUpdate(KindStatus(State.LIVE), 0.125)])
    found = rules(s)
    assert "Issuing failed" in found["certificate-not-ready"][0].evidence
    assert "forbidden" in found["metrics-unavailable"][0].evidence
    (rate,) = found["api-error-rate"]
    assert rate.severity is Severity.CRITICAL and "12.5%" in rate.evidence
    s.apply([PrometheusUpdate(KindStatus(State.UNREACHABLE, "cannot reach"))])
    assert "api-error-rate" not in rules(s)  # no number, no verdict


# -- hosts ----------------------------------------------------------------------------
def host_sample(disk: int = 50, memory: float = 50.0, k3s: str = "active") -> HostSample:
    total = 100 * 2**30
    return HostSample(
        at=NOW,
        cpu=10.0,
        per_core=(10.0,),
        load=(0.1, 0.1, 0.1),
        cores=1,
        memory=Memory(total, int(total * (100 - memory) / 100), 0, 0),
        filesystems=(Filesystem("/var", "/dev/sda2", 100, disk, 100 - disk),),
        top_cpu=(),
        top_memory=(Proc(1, "java", 1.0, 40.0),),
        services=Services(units=(Unit("k3s", k3s, "running" if k3s == "active" else "failed"),)),
    )


def host_rules(sample: HostSample | None, state: State = State.LIVE) -> dict[str, list[Any]]:
    s = Store()
    s.add_host("vps-1", "root@10.0.0.5")
    s.apply([HostUpdate("vps-1", KindStatus(state, "lost root@10.0.0.5"), sample)])
    return rules(s)


def test_disk_memory_and_k3s_thresholds() -> None:
    assert host_rules(host_sample(disk=89, memory=94.9)) == {}
    found = host_rules(host_sample(disk=90, memory=95.0, k3s="failed"))
    (disk,) = found["disk-full"]
    assert "/var 90%" in disk.evidence and disk.actions[0] == "host.disk-report"
    (mem,) = found["memory-full"]
    assert "95% of 100Gi" in mem.evidence and "java 40%" in mem.evidence
    (k3s,) = found["k3s-not-active"]
    assert k3s.evidence == "k3s is failed (failed)"
    assert "host.service-restart" in k3s.actions
    assert host_rules(None, State.UNREACHABLE)["host-unreachable"][0].severity is Severity.WARNING


# -- the tracker ----------------------------------------------------------------------
def test_a_finding_that_clears_moves_to_the_timeline() -> None:
    crash = store_with(pods=[fx.pod("p", waiting="CrashLoopBackOff", restarts=5)])
    t = Tracker()
    (seen,) = t.update(evaluate(crash, NOW), NOW)
    assert seen.event == "seen" and t.findings()[0].rule == "pod-crashloop"
    assert t.update(evaluate(crash, NOW + 5), NOW + 5) == []  # still there: nothing new
    (cleared,) = t.update(evaluate(store_with(pods=[fx.pod("p")]), NOW + 60), NOW + 60)
    assert cleared.event == "cleared" and cleared.first_seen == NOW
    assert t.findings() == [] and t.cleared()[0].finding.rule == "pod-crashloop"
    assert cleared.as_json()["event"] == "finding-cleared"


def test_the_tracker_keeps_the_cleared_the_pane_shows_and_hands_every_change_on() -> None:
    """Every seen and cleared goes out (to the record); in memory only the newest
    cleared the pane lists stay, newest first."""
    t, handed = Tracker(), []
    for i in range(30):
        crash = store_with(pods=[fx.pod(f"p{i}", waiting="CrashLoopBackOff", restarts=5)])
        handed += t.update(evaluate(crash, NOW + i), NOW + i)
    handed += t.update([], NOW + 60)
    assert [e.event for e in handed].count("seen") == 30
    assert [e.event for e in handed].count("cleared") == 30
    names = [e.finding.subject.name for e in t.cleared()]
    assert names == [f"p{i}" for i in range(29, 9, -1)]


def test_findings_are_ordered_critical_first_then_oldest() -> None:
    t = Tracker()
    warn = store_with(pods=[fx.pod("w", waiting="ImagePullBackOff", ready=False)])
    t.update(evaluate(warn, NOW), NOW)
    both = store_with(
        pods=[
            fx.pod("w", waiting="ImagePullBackOff", ready=False),
            fx.pod("c", waiting="CrashLoopBackOff", restarts=9),
        ]
    )
    t.update(evaluate(both, NOW + 10), NOW + 10)
    assert [f.rule for f in t.findings()] == ["pod-crashloop", "image-pull"]


# -- nothing raises ---------------------------------------------------------------------
junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=50)
    | st.just("x" * 6000 + "[red]\x1b[2J"),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
shaped = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.dictionaries(
            st.sampled_from(
                ["name", "namespace", "uid", "ownerReferences", "labels", "deletionTimestamp"]
            ),
            junk,
        ),
        "spec": st.dictionaries(
            st.sampled_from(["replicas", "selector", "suspend", "type", "containers"]), junk
        ),
        "status": st.dictionaries(
            st.sampled_from(
                [
                    "conditions",
                    "containerStatuses",
                    "phase",
                    "availableReplicas",
                    "unavailableReplicas",
                ]
            ),
            junk,
        ),
        "subsets": junk,
    },
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(PARSERS)), shaped), max_size=12))
def test_malformed_objects_never_make_the_store_or_the_rules_raise(
    objs: list[tuple[str, dict[str, Any]]],
) -> None:
    s = Store()
    for kind, obj in objs:
        s.apply([Upsert(kind, PARSERS[kind](obj))])
        s.apply([Upsert("flux/Kustomization", parse_flux(obj))])
        s.apply([Upsert("certificates", parse_certificate(obj))])
    findings = evaluate(s, NOW)
    Tracker().update(findings, NOW)
    for f in findings:
        assert isinstance(f.evidence, str) and f.key
