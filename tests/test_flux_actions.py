"""Flux actions with the flux CLI's semantics, against the demo's Flux controllers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from actions import registry
from actions.base import Context
from actions.flux import REQUESTED_AT, flux_target
from actions.fluxwait import wait_reconciled
from actions.kubernetes import send_all
from tests.conftest import mutations
from tui.demo.flux import seed_flux
from tui.demo.state import Cluster
from tui.sources.client import Kube
from tui.sources.flux import discover_status
from tui.sources.kube import ListWatch
from tui.store import ChangeBuffer, Store
from tui.store.flux import parse_flux


@pytest.fixture
def fctx(demo: Any, cluster: Cluster, kubeconfig: Path) -> Context:
    seed_flux(cluster, "2.7")
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    store, buffer = Store(), ChangeBuffer()
    for fk in discover_status(kube, buffer):  # what discovery found reaches the store as a change
        ListWatch(kube, fk.spec, buffer, parser=parse_flux)._list()
    store.apply(buffer.drain())
    return Context(kube, "test", store)


def target(ctx: Context, kind: str, name: str) -> Any:
    o = next(o for o in ctx.store.flux_objects() if o.kind == kind and o.name == name)
    return flux_target(ctx.store, o)


def run(ctx: Context, action_id: str, t: Any) -> tuple[Any, list[str]]:
    action = registry.get(action_id)
    plan = action.plan(ctx, t, {})
    said: list[str] = []
    return action.run(ctx, plan, said.append, threading.Event()), said


def test_reconcile_sends_the_merge_patch_and_waits_for_ready(
    cluster: Cluster, fctx: Context
) -> None:
    t = target(fctx, "GitRepository", "flux-system")
    assert (
        t.path
        == "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system"
    )
    outcome, said = run(fctx, "flux.reconcile", t)
    assert outcome.ok, said
    [req] = mutations(cluster)
    assert (req.method, req.path, req.content_type) == (
        "PATCH",
        t.path,
        "application/merge-patch+json",
    )
    stamp = req.json()["metadata"]["annotations"][REQUESTED_AT]
    assert set(req.json()) == {"metadata"} and len(stamp) == len("2026-01-01T00:00:00.000000000Z")
    assert (
        cluster.get("GitRepository", "flux-system", "flux-system")["status"][
            "lastHandledReconcileAt"
        ]
        == stamp
    )
    assert said[-1].startswith("✔ GitRepository flux-system/flux-system reconciled")


def test_a_sops_failure_is_the_outcome_with_the_ready_message(
    cluster: Cluster, fctx: Context
) -> None:
    outcome, said = run(fctx, "flux.reconcile-with-source", target(fctx, "Kustomization", "apps"))
    assert not outcome.ok and outcome.message.startswith(
        "decryption failed for 'Secret.v1.[noGrp]/"
    )
    paths = [r.path for r in mutations(cluster)]
    assert paths == [
        "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system",
        "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps",
    ]
    assert any("◎ waiting for Kustomization reconciliation" in line for line in said)
    # the controller's own JSON lines about the object, from its manager container
    assert any(
        line.startswith("  kustomize-controller [error] Reconciliation failed")
        and "decryption failed" in line
        for line in said
    ), said
    assert any(
        line.startswith("  source-controller [info] Reconciliation finished") for line in said
    )


def test_controller_lines_are_only_about_the_object() -> None:
    from actions.base import Target
    from actions.fluxwait import controller_lines

    t = Target("Kustomization", "flux-system", "apps")
    raw = [
        (
            b'2026-01-01T00:00:00Z {"level":"error","msg":"failed","name":"apps",'
            b'"namespace":"flux-system","error":"boom [red]x[/]"}',
            "",
        ),
        (
            b'2026-01-01T00:00:00Z {"level":"info","msg":"ok","name":"infra",'
            b'"namespace":"flux-system"}',
            "",
        ),
        (b"2026-01-01T00:00:00Z not json at all", ""),
        ("reconnected", "notice"),
    ]
    assert controller_lines(raw, t) == ["  kustomize-controller [error] failed: boom [red]x[/]"]


def test_a_suspended_object_is_refused_without_a_request(cluster: Cluster, fctx: Context) -> None:
    obj = cluster.get("Kustomization", "flux-system", "infrastructure")
    cluster.put("Kustomization", {**obj, "spec": {**obj["spec"], "suspend": True}})
    fctx.store.objects["flux/Kustomization"] = {}
    from tui.store import Upsert

    fctx.store.apply(
        [
            Upsert(
                "flux/Kustomization",
                parse_flux(cluster.get("Kustomization", "flux-system", "infrastructure")),
            )
        ]
    )
    before = len(cluster.requests)
    outcome, _ = run(fctx, "flux.reconcile", target(fctx, "Kustomization", "infrastructure"))
    assert not outcome.ok and "is suspended" in outcome.message
    assert len(cluster.requests) == before


def test_the_wait_times_out_when_nothing_handles_the_request(
    cluster: Cluster, fctx: Context
) -> None:
    said: list[str] = []
    outcome = wait_reconciled(
        fctx,
        target(fctx, "HelmRelease", "kube-prometheus-stack"),
        "2099-01-01T00:00:00.000000000Z",
        said.append,
        threading.Event(),
        timeout=0.6,
        poll=0.2,
    )
    assert not outcome.ok and outcome.message.startswith(
        "timed out after 1s waiting for HelmRelease"
    )


def test_suspend_and_resume_patch_spec_suspend(cluster: Cluster, fctx: Context) -> None:
    t = target(fctx, "ImageUpdateAutomation", "api-gateway")
    plan = registry.get("flux.suspend").plan(fctx, t, {})
    assert send_all(fctx, plan, lambda _: None).ok
    assert mutations(cluster)[-1].json() == {"spec": {"suspend": True}}
    outcome, _ = run(fctx, "flux.resume", t)
    body = mutations(cluster)[-1].json()
    assert body["spec"] == {"suspend": False} and REQUESTED_AT in body["metadata"]["annotations"]
    assert outcome.ok


def test_sops_check_reads_key_names_never_values(cluster: Cluster, fctx: Context) -> None:
    outcome, said = run(
        fctx, "flux.sops-check", registry.get("flux.sops-check").plan(fctx, None, {}).target
    )  # type: ignore[arg-type]
    text = "\n".join(said)
    assert "keys: age.agekey" in text and "✔ age key entry: age.agekey" in text
    assert cluster.get("Secret", "flux-system", "sops-age")["data"]["age.agekey"] not in text
    assert "✖ Kustomization flux-system/apps: decryption failed" in text
    assert not outcome.ok and not mutations(cluster)
