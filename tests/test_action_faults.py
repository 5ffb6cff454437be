"""Fault matrix, action row: the request fails after a good dry run (500, 409 conflict):
the server's message is shown, the attempt is audited as failed, nothing is retried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import audit_lines, make_app, mutations, until
from tests.test_action_flow import log_text, ready, screen_is
from tests.test_app import SIZE
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.tail import TailScreen


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (500, "500 InternalError: Internal error occurred: injected fault 500"),
        (409, "409 Conflict: Operation cannot be fulfilled on deployments.apps"),
    ],
)
async def test_a_restart_refused_by_the_server_after_its_dry_run(
    demo: Any, cluster: Cluster, kubeconfig: Path, tmp_path: Path, code: int, says: str
) -> None:
    audit = tmp_path / "audit.jsonl"
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press("r")  # restart api-gateway's Deployment
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        cluster.fail("deployments", code)  # the dry run said OK; now the server refuses
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: says in log_text(app), timeout=15)
        await until(pilot, lambda: "failed" in log_text(app))  # its own line, maybe next drain
        await until(pilot, lambda: audit_lines(audit), timeout=15)
        (entry,) = audit_lines(audit)
        assert entry["outcome"] == "failed" and says in entry["message"]
        sent = [(r.method, r.path) for r in mutations(cluster)]
        assert sent == [("PATCH", "/apis/apps/v1/namespaces/default/deployments/api-gateway")]
        cluster.fail("deployments", None)
        await pilot.press("escape")
        await until(pilot, lambda: not screen_is(app, TailScreen))
        assert len(mutations(cluster)) == 1  # not retried behind the operator's back
