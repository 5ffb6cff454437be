"""Fault matrix, last row: two consoles acting on one Deployment. Both are audited, and
the second plans from the server's current state (its own watch), not from a stale
copy of what it saw first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import audit_lines, make_app, mutations, until
from tests.test_action_flow import ready, screen_is
from tests.test_host_pane import modal_text
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import TailScreen

SIZE = (160, 48)


def server_replicas(cluster: Cluster) -> int:
    dep = cluster.get("Deployment", "default", "api-gateway")
    assert dep is not None
    return int(dep["spec"]["replicas"])


def seen_replicas(app: Any) -> int | None:
    dep = app.store.find("deployments", "default", "api-gateway")
    return None if dep is None else int(dep.replicas)


async def scale(app: Any, pilot: Any, cluster: Cluster, to: int, was: int) -> None:
    """`s` on the selected api-gateway pod, the replicas typed, confirmed, followed."""
    await pilot.press("s")
    await until(pilot, lambda: screen_is(app, ParamsScreen))
    field = app.screen.query_one("Input")
    assert field.value == str(was)  # the default is what the server has now
    await pilot.press("end", *["backspace"] * 4, *str(to), "enter")
    await until(pilot, lambda: screen_is(app, ConfirmScreen))
    await until(pilot, lambda: f"replicas: {was} → {to}" in modal_text(app))
    await pilot.press("enter")
    await until(pilot, lambda: screen_is(app, TailScreen))
    await until(pilot, lambda: server_replicas(cluster) == to, timeout=15)
    await pilot.press("escape")
    await until(pilot, lambda: not screen_is(app, TailScreen))


async def test_two_consoles_scale_one_deployment_both_audited_the_second_sees_the_first(
    demo: Any, cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"  # one incident record, two writers
    first = make_app(kubeconfig, audit_log=str(audit))
    second = make_app(kubeconfig, audit_log=str(audit))
    async with first.run_test(size=SIZE) as p1, second.run_test(size=SIZE) as p2:
        await ready(p1, first)
        await ready(p2, second)
        start = server_replicas(cluster)
        assert seen_replicas(first) == seen_replicas(second) == start
        await scale(first, p1, cluster, start + 2, start)
        # the second console has not been touched: its own watch brings the change
        await until(p2, lambda: seen_replicas(second) == start + 2, timeout=15)
        await scale(second, p2, cluster, 1, start + 2)
        await until(p2, lambda: len(audit_lines(audit)) == 2, timeout=15)
    entries = audit_lines(audit)
    assert [e["action"] for e in entries] == ["deployment.scale", "deployment.scale"]
    assert [e["request"][0]["body"] for e in entries] == [
        {"spec": {"replicas": start + 2}},
        {"spec": {"replicas": 1}},
    ]
    scales = [r.json() for r in mutations(cluster) if r.path.endswith("/scale")]
    assert scales == [{"spec": {"replicas": start + 2}}, {"spec": {"replicas": 1}}]
    assert server_replicas(cluster) == 1
