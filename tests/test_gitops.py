"""GitOps-safe remediation, against the demo's Flux (drift correction on) over real HTTP,
with kubectl as the independent client: the three ways of changing api-gateway, which the
Kustomization `apps` applies; the trace; the findings; the change to bring back to Git."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.widgets import Input

from actions import registry
from actions.base import Context, Target
from tests.conftest import audit_lines, make_app, mutations, record_lines, until, wait_for
from tests.test_app import SIZE, lines
from tests.test_kubectl import KUBECTL, kubectl
from tui.demo.cluster import DemoCluster
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.describe import DescribeScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import TailScreen
from widgets.table import VirtualTable

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")
LIMIT = "{.spec.template.spec.containers[0].resources.limits.memory}"


def text_of(app: Any) -> str:
    return "\n".join("\n".join(lines(w)) for w in app.screen.query("Static"))


def flat(text: str) -> str:
    """The text as read, whatever the wrapping."""
    return " ".join(text.split())


def limit(kubeconfig: Path) -> str:
    return kubectl(kubeconfig, "get", "deployment", "api-gateway", "-o", f"jsonpath={LIMIT}")


def short_interval(kubeconfig: Path) -> None:
    """apps re-applies every second: its next periodic reconcile comes at once."""
    kubectl(
        kubeconfig, "patch", "kustomization", "apps", "-n", "flux-system", "--type=merge",
        "-p", '{"spec":{"interval":"1s"}}',
    )  # fmt: skip


def reconcile_now(kubeconfig: Path) -> None:
    """What `flux reconcile kustomization apps` asks, sent by kubectl; waits until handled."""
    stamp = f"{time.time():.6f}"
    kubectl(
        kubeconfig,
        "annotate",
        "-n",
        "flux-system",
        "kustomization",
        "apps",
        f"reconcile.fluxcd.io/requestedAt={stamp}",
        "--overwrite",
    )
    path = "jsonpath={.status.lastHandledReconcileAt}"
    wait_for(
        lambda: (
            kubectl(kubeconfig, "get", "-n", "flux-system", "kustomization", "apps", "-o", path)
            == stamp
        ),
        15,
        "the reconcile to be handled",
    )


async def raise_memory(pilot: Any, app: Any, value: str = "1Gi") -> ConfirmScreen:
    """`e` on api-gateway's pod, limits.memory typed: the confirmation."""
    table = app.query_one("#pods-table", VirtualTable)
    await until(pilot, lambda: table.row_count > 20 and table.items[0].name.startswith("api-gat"))
    await until(pilot, lambda: app.store.deployment("default", "api-gateway") is not None)
    await until(pilot, lambda: any(o.name == "apps" for o in app.store.flux_objects()))
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, ParamsScreen))
    app.screen.query_one("#p-limits-memory", Input).value = value
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 15)
    await until(pilot, lambda: "choose the way" in text_of(app))  # laid out
    screen: ConfirmScreen = app.screen
    return screen


async def test_suspend_first_then_act_then_resume_gives_the_git_values_back(
    flux_demo: DemoCluster, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await raise_memory(pilot, app)
        said = text_of(app)
        assert (
            "Deployment default/api-gateway is applied by Flux: Kustomization flux-system/apps"
            in said
        )
        assert (
            "source  GitRepository flux-system/flux-system · https://github.com/mercurious/fl"
            in said
        )
        assert "path    ./apps/production · interval 1m" in said
        assert "REVERTED at its next reconcile; next reconcile expected at" in flat(said)
        assert "▶ 1  Suspend Kustomization apps first, then act" in said
        # both requests shown, in order, before anything is sent
        assert said.index("1. Flux suspend") < said.index("2. Set container requests/limits")
        assert "$ flux --context test suspend kustomization apps -n flux-system" in said
        assert mutations(cluster) == []
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TailScreen))
        await until(pilot, lambda: limit(kubeconfig) == "1Gi", 20)
        suspended = kubectl(
            kubeconfig, "get", "kustomization", "apps", "-n", "flux-system", "-o",
            "jsonpath={.spec.suspend}",
        )  # fmt: skip
        assert suspended == "true"
        sent = [(r.method, r.path.rsplit("/", 2)[-2]) for r in mutations(cluster)]
        assert sent[:2] == [("PATCH", "kustomizations"), ("PATCH", "deployments")]
        await until(pilot, lambda: len(audit_lines(audit)) == 2, 30)
        first, second = audit_lines(audit)
        assert (first["action"], first["outcome"], first["before"]) == (
            "flux.suspend",
            "succeeded",
            "deployment.set-resources",
        )
        assert second["action"] == "deployment.set-resources"
        assert second["gitops"]["way"] == "suspend"
        starting = [e["id"] for e in record_lines(audit) if e.get("event") == "action-starting"]
        assert starting == ["flux.suspend", "deployment.set-resources"]
        await pilot.press("escape")
        # the suspension is a finding until resumed; it says who did it and how long ago
        await until(
            pilot,
            lambda: any(f.rule == "flux-suspended-by-console" for f in app.session.findings()),
            10,
        )
        finding = next(f for f in app.session.findings() if f.rule == "flux-suspended-by-console")
        assert finding.title.startswith("Kustomization apps suspended by this console")
        assert finding.actions == ("flux.resume",)
        # a reconcile period passes: suspended, nothing reverts the change
        short_interval(kubeconfig)
        await pilot.pause(1.5)  # a whole interval passes: nothing reverts a suspended change
        assert limit(kubeconfig) == "1Gi"
        # resumed from the finding: the Git values come back, the finding goes
        target = app.flow.finding_target(registry.get("flux.resume"), finding)
        app.flow.start("flux.resume", target)
        await until(pilot, lambda: "reverted unless it is in Git now" in flat(text_of(app)))
        await pilot.press("enter")
        await until(pilot, lambda: limit(kubeconfig) == "256Mi", 20)
        await until(
            pilot,
            lambda: not any(f.rule == "flux-suspended-by-console" for f in app.session.findings()),
            10,
        )
    # the change to bring back to Git, in the report and in report --json
    from tui.report import build, build_json, read_log

    entries, _ = read_log(audit)
    data = build_json(entries, 0, time.time() + 60, str(audit), 0)
    (change,) = data["git_changes"]
    assert change["object"] == "Deployment default/api-gateway"
    assert change["manager"]["name"] == "apps" and change["manager"]["path"] == "./apps/production"
    assert change["source"]["url"] == "https://github.com/mercurious/fleet.git"
    assert ["containers[api-gateway].resources.limits.memory", "256Mi", "1Gi"] in change["changes"]
    assert "memory: 1Gi" in change["fragment"] and "kind: Deployment" in change["fragment"]
    markdown = build(entries, 0, time.time() + 60, str(audit), 0)
    assert "## Changes to bring back to Git" in markdown
    assert "| containers\\[api-gateway\\].resources.limits.memory | 256Mi | 1Gi |" in markdown


async def test_excluding_only_the_object_keeps_the_change_through_a_reconcile(
    flux_demo: DemoCluster, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await raise_memory(pilot, app)
        await pilot.press("2")
        assert "▶ 2  Exclude only Deployment default/api-gateway from Flux" in text_of(app)
        assert "kustomize.toolkit.fluxcd.io/reconcile=disabled" in flat(text_of(app))
        await pilot.press("enter")
        await until(pilot, lambda: limit(kubeconfig) == "1Gi", 20)
        annotation = kubectl(
            kubeconfig, "get", "deployment", "api-gateway", "-o",
            "jsonpath={.metadata.annotations.kustomize\\.toolkit\\.fluxcd\\.io/reconcile}",
        )  # fmt: skip
        assert annotation == "disabled"
        reconcile_now(kubeconfig)
        assert limit(kubeconfig) == "1Gi"  # Flux leaves it alone
        await pilot.press("escape")
        await until(
            pilot,
            lambda: any(
                f.rule == "flux-reconcile-disabled-by-console" for f in app.session.findings()
            ),
            10,
        )
        await until(pilot, lambda: len(audit_lines(audit)) == 2, 30)
        assert [e["action"] for e in audit_lines(audit)] == [
            "flux.disable-reconcile",
            "deployment.set-resources",
        ]


async def test_acting_anyway_is_reverted_on_the_interval(
    flux_demo: DemoCluster, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await raise_memory(pilot, app)
        await pilot.press("3")
        assert "▶ 3  Act anyway" in text_of(app)
        await pilot.press("enter")
        await until(pilot, lambda: limit(kubeconfig) == "1Gi", 20)
        sent = [r.path for r in mutations(cluster)]
        assert sent == ["/apis/apps/v1/namespaces/default/deployments/api-gateway"]
        # the next periodic reconcile (its interval made short) puts Git's value back
        short_interval(kubeconfig)
        await until(pilot, lambda: limit(kubeconfig) == "256Mi", 20)
    (entry,) = audit_lines(audit)
    assert entry["gitops"]["way"] == "anyway"


def test_a_rollout_restart_is_undone_by_the_next_reconcile(
    flux_demo: DemoCluster, kubeconfig: Path
) -> None:
    """Flux's FAQ: the restartedAt annotation of a rollout restart is removed."""
    kubectl(kubeconfig, "rollout", "restart", "deployment/api-gateway")
    path = "jsonpath={.spec.template.metadata.annotations}"
    assert "restartedAt" in kubectl(kubeconfig, "get", "deployment", "api-gateway", "-o", path)
    reconcile_now(kubeconfig)
    wait_for(
        lambda: (
            "restartedAt" not in kubectl(kubeconfig, "get", "deployment", "api-gateway", "-o", path)
        ),
        10,
    )


def trace_of(kubeconfig: Path, target: Target) -> Any:
    from actions.provenance import trace
    from tui.sources.client import Kube
    from tui.store import Store

    ctx = Context(Kube.from_kubeconfig(str(kubeconfig), None), "test", Store())
    return ctx, trace(ctx, target)


def test_trace_walks_owners_to_the_kustomization_and_its_source(
    flux_demo: DemoCluster, cluster: Cluster, kubeconfig: Path
) -> None:
    from actions.provenance import trace_lines

    pod = next(
        p["metadata"]["name"]
        for p in cluster.list("Pod", "default")
        if p["metadata"]["name"].startswith("api-gateway")
    )
    _, t = trace_of(kubeconfig, Target("pod", "default", pod))
    assert [link.kind for link in t.chain] == ["Pod", "ReplicaSet", "Deployment"]
    assert t.manager_ref == ("Kustomization", "flux-system", "apps")
    assert t.manager.interval == "1m" and t.manager.path == "./apps/production"
    assert t.source.kind == "GitRepository" and t.source.url.endswith("fleet.git")
    text = "\n".join(trace_lines(t, time.time()))
    assert "Kustomization:   apps" in text and "GitRepository:   flux-system" in text
    assert "Events (newest first)" in text
    times = [e.at for e in t.events if e.at]
    assert times == sorted(times, reverse=True)


def test_a_helmrelease_object_offers_no_per_object_opt_out_and_k3s_objects_none_at_all(
    flux_demo: DemoCluster, kubeconfig: Path
) -> None:
    from actions.gitops import ways

    ctx, t = trace_of(
        kubeconfig, Target("deployment", "monitoring", "kube-prometheus-stack-grafana")
    )
    assert t.manager_ref == ("HelmRelease", "monitoring", "kube-prometheus-stack")
    assert t.source.kind == "HelmRepository"
    plan = registry.get("deployment.restart").plan(ctx, Target("deployment", "monitoring", "x"), {})
    offered = ways(ctx, plan, t)
    assert [w.key for w in offered] == ["suspend", "annotate", "anyway"]
    assert not offered[1].available and "helm-controller" in offered[1].why_not
    ctx, t = trace_of(kubeconfig, Target("deployment", "kube-system", "coredns"))
    assert t.managed is None and ways(ctx, plan, t) == []


async def test_t_traces_the_selected_pod_and_describe_shows_the_chain_too(
    flux_demo: DemoCluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig, read_only=True)  # a view: read-only mode keeps it
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count > 20 and table.items[0].name.startswith("api"))
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, DescribeScreen), 15)
        await until(pilot, lambda: "Events (newest first)" in text_of(app))
        shown = text_of(app)
        assert "Owned by:        Deployment/api-gateway" in shown
        assert "Kustomization:   apps" in shown and "URL:             https://github.com" in shown
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DescribeScreen))
        await pilot.press("d")
        await until(pilot, lambda: "Kustomization:   apps" in text_of(app), 15)
        assert "Events:" in text_of(app)  # describe's own part is there too


def test_a_server_dry_run_changes_nothing(flux_demo: DemoCluster, kubeconfig: Path) -> None:
    """The emulator once bumped metadata.generation on a dry-run patch."""
    path = "jsonpath={.metadata.generation}"
    before = kubectl(kubeconfig, "get", "deployment", "api-enrichment", "-o", path)
    kubectl(
        kubeconfig, "patch", "deployment", "api-enrichment", "--dry-run=server",
        "-p", '{"spec":{"replicas":2}}',
    )  # fmt: skip
    assert kubectl(kubeconfig, "get", "deployment", "api-enrichment", "-o", path) == before


def test_report_json_from_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    log = tmp_path / "audit.jsonl"
    entry = {
        "time": "2026-12-06T20:00:00.000Z",
        "user": "ops",
        "action": "deployment.scale",
        "target": {"kind": "deployment", "namespace": "default", "name": "api-gateway"},
        "outcome": "succeeded",
        "gitops": {
            "way": "anyway",
            "object": "Deployment default/api-gateway",
            "manager": {"kind": "Kustomization", "namespace": "flux-system", "name": "apps"},
            "source": {"kind": "GitRepository", "url": "https://example.org/fleet.git"},
            "changes": [["spec.replicas", "3", "5"]],
            "fragment": "spec:\n  replicas: 5",
        },
    }
    log.write_bytes(orjson.dumps(entry) + b"\n")
    out = subprocess.run(
        [sys.executable, "-m", "tui", "report", "--json", "--since", "2026-12-01",
         "--audit-log", str(log)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = orjson.loads(out.stdout)
    assert data["git_changes"][0]["changes"] == [["spec.replicas", "3", "5"]]
    assert data["git_changes"][0]["source"]["url"] == "https://example.org/fleet.git"
