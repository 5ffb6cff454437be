"""The monitoring stack's backups (issue 26): Grafana's dashboard ConfigMaps exported from
the emulator through the official client (never a Secret read), and a TSDB snapshot
taken by Debian's real Prometheus through its admin API (and a clear refusal without
it)."""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions import registry
from actions.base import Context, Target
from tests.prom import Prometheus, installed
from tui.config import Settings
from tui.demo.monitoring import DASHBOARDS, seed_dashboards
from tui.demo.state import Cluster
from tui.sources.client import Kube


def run(ctx: Context, action_id: str) -> tuple[Any, list[str]]:
    action = registry.get(action_id)
    plan = action.plan(ctx, Target("cluster"), {})
    lines: list[str] = []
    if plan.refusal:
        return plan, [plan.refusal]
    return action.run(ctx, plan, lines.append, threading.Event()), lines


def test_grafana_dashboards_exported_to_a_local_yaml_list_no_secret_read(
    cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    seed_dashboards(cluster)
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    settings = Settings(backup_dir=str(tmp_path / "backups"))
    ctx = Context(client=kube, context="test", store=None, settings=settings)
    outcome, lines = run(ctx, "monitoring.grafana-export")
    kube.close()
    assert outcome.ok, lines
    (path,) = (tmp_path / "backups").glob("grafana-dashboards-test-*.yaml")
    assert str(path) in outcome.message and "3 ConfigMap(s)" in outcome.message
    doc = yaml.safe_load(path.read_text())
    assert doc["kind"] == "List"
    assert sorted(i["metadata"]["name"] for i in doc["items"]) == sorted(DASHBOARDS)
    assert all("resourceVersion" not in i["metadata"] for i in doc["items"])  # apply-able
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reads = [r.path for r in cluster.requests]
    assert any("configmaps" in p for p in reads) and not any("secrets" in p for p in reads)


@pytest.mark.skipif(not installed(), reason="prometheus is not installed (make test does)")
def test_prometheus_snapshot_through_the_admin_api_and_a_clear_word_without_it(
    tmp_path: Path,
) -> None:
    ctx = Context(client=None, context="test", store=None, settings=Settings())  # type: ignore[arg-type]
    _, said = run(ctx, "monitoring.prometheus-snapshot")
    assert said[0].startswith("no Prometheus configured (--prometheus URL or [prometheus] url)")
    for admin in (False, True):
        prom = Prometheus(
            tmp_path / f"prom-{admin}", [("vps-1", "127.0.0.1")], admin_api=admin
        ).start()
        try:
            prom.wait_ready(rated=False)
            ctx.settings.prometheus_url = prom.url
            outcome, lines = run(ctx, "monitoring.prometheus-snapshot")
        finally:
            prom.stop()
        if not admin:
            assert not outcome.ok and "--web.enable-admin-api" in outcome.message
            continue
        assert outcome.ok, lines
        (snapshot,) = (tmp_path / "prom-True" / "data" / "snapshots").iterdir()
        assert snapshot.name in outcome.message


async def test_without_the_admin_api_prometheus_is_tarred_by_exec_in_its_pod(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    """The runbook's own way: tar czf /tmp/prometheus-backup.tar.gz /prometheus by exec."""
    from tests.conftest import audit_lines, make_app, until
    from tests.test_action_flow import log_text, screen_is
    from tests.test_app import SIZE
    from tests.test_gitops import flat, text_of
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.tail import TailScreen

    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: any(p.name.startswith("prometheus-")
                                       for p in app.store.pods.values()), 15)  # fmt: skip
        app.flow.start("monitoring.prometheus-snapshot")
        await until(pilot, lambda: screen_is(app, ConfirmScreen), 15)
        await until(pilot, lambda: "tar czf /tmp/prometheus-backup.tar.gz" in flat(text_of(app)))
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: "copy it off" in flat(log_text(app)), 15)
        assert "48,213,776 bytes" in flat(log_text(app))
        await until(pilot, lambda: audit_lines(audit), 10)
    sent = [r.query.get("command") for r in cluster.requests if r.path.endswith("/exec")]
    assert ["tar", "czf", "/tmp/prometheus-backup.tar.gz", "/prometheus"] in sent
    assert audit_lines(audit)[0]["outcome"] == "succeeded"
