"""Each action's exact request as the emulator received it; refusals send nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from actions import registry
from actions.audit import AuditLog
from actions.base import Context, Target
from actions.emergency import remembered_replicas
from actions.kubernetes import REPLICAS_ANNOTATION, dry_run, send_all
from tests.conftest import audit_lines, mutations
from tui.demo.state import Cluster
from tui.sources.client import Kube
from tui.sources.kube import KIND_SPECS, ListWatch
from tui.store import ChangeBuffer, Store

RUNBOOK_IDS = {
    "deployment.restart",
    "deployment.scale",
    "deployment.set-resources",
    "pod.delete",
    "pod.logs",
    "pod.logs-previous",
    "pod.describe",
    "emergency.scale-down",
    "emergency.scale-restore",
    "endpoints.recreate",
}


FLUX_IDS = {
    "flux.reconcile",
    "flux.reconcile-with-source",
    "flux.suspend",
    "flux.resume",
    "flux.sops-check",
    "flux.trace",  # issue 23: provenance
    "flux.enable-reconcile",  # issue 23: give an excluded object back to Flux
}


KIND_IDS = {"resource.delete"}  # any row of `:kind` (issue 12)
ALERT_IDS = {"alert.silence", "alert.expire-silence"}  # Alertmanager (issue 25)
RECORD_IDS = {  # the incident record and the way back (issue 26)
    "incident.notify",
    "incident.note",
    "host.datastore-backup",
    "host.datastore-backups",
    "host.datastore-prune",
    "host.datastore-restore",
    "monitoring.prometheus-snapshot",
    "monitoring.grafana-export",
}
INSIDE_IDS = {  # inside the cluster (issue 24)
    "probe.dns",
    "probe.tcp",
    "probe.http",
    "probe.git-source",
    "pod.port-forward",
    "service.port-forward",
    "pod.shell",
}
HOST_IDS = {
    "host.service-restart",
    "host.service-status",
    "host.journal-tail",
    "host.journal-vacuum",
    "host.image-prune",
    "host.drop-caches",
    "host.disk-report",
    "host.run-diagnostic",
}


def test_the_registry_has_every_id_of_the_runbook() -> None:
    assert {
        a.id for a in registry.all_actions()
    } == RUNBOOK_IDS | FLUX_IDS | HOST_IDS | KIND_IDS | ALERT_IDS | RECORD_IDS | INSIDE_IDS
    dangerous = {a.id for a in registry.all_actions() if a.dangerous}
    assert dangerous == {
        "pod.delete",
        "emergency.scale-down",
        "endpoints.recreate",
        "host.service-restart",
        "host.journal-vacuum",
        "host.image-prune",
        "resource.delete",
        "host.datastore-prune",
        "host.datastore-restore",
    }  # the D marks of RUNBOOK.md section 2, and deleting any object
    assert {a.id for a in registry.all_actions(read_only=True)} == {
        "pod.logs",
        "pod.logs-previous",
        "pod.describe",
        "flux.sops-check",
        "flux.trace",
        "host.service-status",
        "host.journal-tail",
        "host.disk-report",
        "host.run-diagnostic",
        "incident.note",
        "host.datastore-backups",
        "monitoring.grafana-export",
        *(INSIDE_IDS - {"pod.shell"}),  # a probe by exec and a port-forward change nothing
    }


@pytest.mark.parametrize("read_only", [False, True])
def test_actions_json(read_only: bool) -> None:
    args = [sys.executable, "-m", "tui", "actions", "--json"] + (
        ["--read-only"] if read_only else []
    )
    out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert {
        row["id"] for row in out
    } == RUNBOOK_IDS | FLUX_IDS | HOST_IDS | KIND_IDS | ALERT_IDS | RECORD_IDS | INSIDE_IDS
    for row in out:
        assert {"id", "title", "target", "dangerous", "equivalent", "available"} <= set(row)
        assert row["available"] is (not (read_only and row["mutating"]))
    restart = next(r for r in out if r["id"] == "deployment.restart")
    assert restart["equivalent"].startswith(
        "kubectl --context CONTEXT -n NAMESPACE rollout restart"
    )


@pytest.fixture
def ctx(demo: object, kubeconfig: Path) -> Context:
    """A context whose store holds the demo's objects, listed over HTTP."""
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    store, buffer = Store(), ChangeBuffer()
    for kind in ("pods", "deployments", "replicasets"):
        lw = ListWatch(kube, KIND_SPECS[kind], buffer)
        lw._list()
    store.apply(buffer.drain())
    return Context(kube, "test", store, non_critical=("default/api-enrichment",))


def last_mutation(cluster: Cluster) -> object:
    found = mutations(cluster)
    assert found, "no mutating request reached the server"
    return found[-1]


def plan_for(ctx: Context, action_id: str, target: Target, **params: object):  # type: ignore[no-untyped-def]
    return registry.get(action_id).plan(ctx, target, dict(params))


def test_restart_is_kubectls_strategic_merge_patch(cluster: Cluster, ctx: Context) -> None:
    plan = plan_for(ctx, "deployment.restart", Target("deployment", "default", "api-gateway"))
    assert send_all(ctx, plan, lambda _: None).ok
    req = last_mutation(cluster)
    assert (req.method, req.path) == (
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/api-gateway",
    )
    assert req.content_type == "application/strategic-merge-patch+json"
    stamp = req.json()["spec"]["template"]["metadata"]["annotations"][
        "kubectl.kubernetes.io/restartedAt"
    ]
    assert time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    assert set(req.json()) == {"spec"}


def test_restart_of_a_paused_deployment_is_refused_without_a_request(
    cluster: Cluster, ctx: Context
) -> None:
    dep = cluster.get("Deployment", "default", "api-generation")
    cluster.put("Deployment", {**dep, "spec": {**dep["spec"], "paused": True}})
    ctx.store.objects["deployments"].clear()
    from tui.store import Upsert, parse_deployment

    ctx.store.apply(
        [
            Upsert(
                "deployments",
                parse_deployment(cluster.get("Deployment", "default", "api-generation")),
            )
        ]
    )
    before = len(cluster.requests)
    plan = plan_for(ctx, "deployment.restart", Target("deployment", "default", "api-generation"))
    assert "can't restart paused deployment" in plan.refusal
    assert not dry_run(ctx, plan).ok
    assert not send_all(ctx, plan, lambda _: None).ok
    assert len(cluster.requests) == before


def test_scale_patches_the_scale_subresource(cluster: Cluster, ctx: Context) -> None:
    plan = plan_for(
        ctx, "deployment.scale", Target("deployment", "default", "api-generation"), replicas="2"
    )
    assert send_all(ctx, plan, lambda _: None).ok
    req = last_mutation(cluster)
    assert req.path == "/apis/apps/v1/namespaces/default/deployments/api-generation/scale"
    assert req.content_type == "application/merge-patch+json"
    assert req.json() == {"spec": {"replicas": 2}}
    bad = plan_for(
        ctx, "deployment.scale", Target("deployment", "default", "api-generation"), replicas="-1"
    )
    assert bad.refusal


def test_set_resources_patches_one_container_and_shows_the_diff(
    cluster: Cluster, ctx: Context
) -> None:
    target = Target("deployment", "default", "api-gateway")
    action = registry.get("deployment.set-resources")
    params = {**action.defaults(ctx, target), "limits.memory": "1Gi", "requests.memory": "512Mi"}  # type: ignore[attr-defined]
    plan = action.plan(ctx, target, params)
    assert "limits.memory: 256Mi → 1Gi" in plan.diff
    assert send_all(ctx, plan, lambda _: None).ok
    req = last_mutation(cluster)
    assert req.content_type == "application/strategic-merge-patch+json"
    container = req.json()["spec"]["template"]["spec"]["containers"][0]
    assert container == {
        "name": "api-gateway",
        "resources": {
            "limits": {"memory": "1Gi", "cpu": "500m"},
            "requests": {"memory": "512Mi", "cpu": "100m"},
        },
    }
    typo = action.plan(ctx, target, {**params, "limits.memory": "1 gigabyte"})
    assert "not a Kubernetes quantity" in typo.refusal


def test_delete_pod_and_endpoints(cluster: Cluster, ctx: Context) -> None:
    pod = next(p for p in ctx.store.pods.values() if p.name.startswith("api-enrichment"))
    plan = plan_for(ctx, "pod.delete", Target("pod", pod.namespace, pod.name))
    assert plan.dangerous and plan.confirm_word == pod.name
    assert send_all(ctx, plan, lambda _: None).ok
    req = last_mutation(cluster)
    assert (req.method, req.path, req.body) == (
        "DELETE",
        f"/api/v1/namespaces/default/pods/{pod.name}",
        b"",
    )
    ep = plan_for(ctx, "endpoints.recreate", Target("endpoints", "default", "api-gateway"))
    assert send_all(ctx, ep, lambda _: None).ok
    assert last_mutation(cluster).path == "/api/v1/namespaces/default/endpoints/api-gateway"


def test_emergency_scale_down_remembers_and_restore_gives_back(
    cluster: Cluster, ctx: Context
) -> None:
    down = plan_for(ctx, "emergency.scale-down", Target("cluster"))
    assert down.dangerous and down.confirm_word == "test"
    assert send_all(ctx, down, lambda _: None).ok
    req = last_mutation(cluster)
    assert req.path == "/apis/apps/v1/namespaces/default/deployments/api-enrichment"
    assert req.json() == {
        "metadata": {"annotations": {REPLICAS_ANNOTATION: "1"}},
        "spec": {"replicas": 0},
    }
    remembered = remembered_replicas(ctx)
    assert remembered == [("default", "api-enrichment", "1")]
    up = plan_for(ctx, "emergency.scale-restore", Target("cluster"), remembered=remembered)
    assert send_all(ctx, up, lambda _: None).ok
    assert last_mutation(cluster).json() == {
        "metadata": {"annotations": {REPLICAS_ANNOTATION: None}},
        "spec": {"replicas": 1},
    }
    assert cluster.get("Deployment", "default", "api-enrichment")["spec"]["replicas"] == 1


def test_dry_run_sends_dry_run_only_and_reports_server_errors(
    cluster: Cluster, ctx: Context
) -> None:
    plan = plan_for(ctx, "deployment.restart", Target("deployment", "default", "no-such-app"))
    outcome = dry_run(ctx, plan)
    assert (
        not outcome.ok and "404" in outcome.message and '"no-such-app" not found' in outcome.message
    )
    assert not mutations(cluster)


def test_audit_log_one_json_line_per_attempt(tmp_path: Path, ctx: Context) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", kube_user="admin")
    plan = plan_for(ctx, "deployment.restart", Target("deployment", "default", "api-gateway"))
    audit.record(plan, "cancelled")
    audit.record(plan, "succeeded", "rolled out", 12.5)
    lines = audit_lines(tmp_path / "audit.jsonl")
    assert [x["outcome"] for x in lines] == ["cancelled", "succeeded"]
    entry = lines[1]
    assert entry["action"] == "deployment.restart" and entry["kube_context"] == "test"
    assert entry["kube_user"] == "admin" and entry["user"] and entry["duration_s"] == 12.5
    assert entry["target"] == {"kind": "deployment", "namespace": "default", "name": "api-gateway"}
    assert entry["request"][0]["method"] == "PATCH"
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o777 == 0o600


def test_rollout_is_followed_to_the_end(cluster: Cluster, ctx: Context) -> None:
    action = registry.get("deployment.set-resources")
    target = Target("deployment", "default", "api-gateway")
    params = {**action.defaults(ctx, target), "limits.memory": "1Gi"}  # type: ignore[attr-defined]
    said: list[str] = []
    outcome = action.run(ctx, action.plan(ctx, target, params), said.append, threading.Event())
    assert outcome.ok, said
    assert any(line.startswith("new ReplicaSet api-gateway-") for line in said)
    assert said[-1] == '✔ deployment "api-gateway" successfully rolled out'
