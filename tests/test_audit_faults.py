"""Fault matrix, audit row: an audit log that cannot be written refuses the action
before it runs (no unaudited mutation), says so, and the console keeps going."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import audit_lines, dry_runs, make_app, mutations, record_lines, until
from tests.test_action_flow import ready, screen_is
from tests.test_app import SIZE, screen_text
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.tail import TailScreen


def notes(app: Any) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_an_audit_dir_that_cannot_be_made_refuses_before_the_dry_run(
    demo: Any, cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory should be\n")
    audit = blocker / "audit.jsonl"
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        # the findings cannot be recorded either: said once, the pane still shows them
        await until(pilot, lambda: "findings are not recorded" in notes(app), timeout=15)
        assert "OOMKilled" in screen_text(app, "#findings")
        await pilot.press("ctrl+d")  # delete the selected pod
        await until(pilot, lambda: "no mutation runs unaudited" in notes(app))
        assert f"the audit log {audit} cannot be written" in notes(app)
        assert not screen_is(app, ConfirmScreen)  # nothing to confirm
        assert mutations(cluster) == [] and dry_runs(cluster) == []
        assert notes(app).count("findings are not recorded") == 1
        await pilot.press("down")  # and the console goes on
        assert app.is_running


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this machine")
async def test_a_full_disk_after_the_confirmation_still_runs_nothing(
    demo: Any, cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    """/dev/full opens like a file and answers every write with ENOSPC: the disk that
    filled between the confirmation and the run."""
    app = make_app(kubeconfig, audit_log="/dev/full")
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, app)
        victim = table.items[0].name
        await pilot.press("ctrl+d")
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        await pilot.press(*victim, "enter")
        await until(pilot, lambda: "No space left on device" in notes(app), timeout=15)
        assert "no mutation runs unaudited" in notes(app)
        assert not screen_is(app, TailScreen)
        assert mutations(cluster) == []  # the delete was never sent
        assert [r.method for r in dry_runs(cluster)] == ["DELETE"]  # only its dry run


async def test_a_confirmed_action_writes_its_start_before_it_runs(
    demo: Any, cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, app)
        victim = table.items[0].name
        await pilot.press("ctrl+d")
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        await pilot.press(*victim, "enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: any(r.method == "DELETE" for r in mutations(cluster)))
        starting = [e for e in record_lines(audit) if e.get("event") == "action-starting"]
        assert len(starting) == 1  # written before the request was sent (it is there now)
        await pilot.press("escape")
        await until(pilot, lambda: audit_lines(audit), timeout=20)
    lines = [e for e in record_lines(audit) if e.get("event") != "finding-seen"]
    kinds = [(e.get("event") or e.get("action"), e.get("outcome")) for e in lines]
    start = kinds.index(("action-starting", None))
    assert kinds[start + 1][0] == "pod.delete"  # its outcome follows (stopped by Esc here)
    assert lines[start]["target"]["name"] == victim and lines[start]["id"] == "pod.delete"


def test_a_short_write_is_no_line_written(tmp_path: Path) -> None:
    """Issue 28.12: a short os.write counted as written, so a cut `action-starting` line
    let the mutation run. A real file-size limit (RLIMIT_FSIZE, as a full disk does)
    cuts the write; the log must then refuse, saying why."""
    import subprocess
    import sys

    log = tmp_path / "audit.jsonl"
    log.write_bytes(b'{"time": 1}\n')
    script = f"""
import resource, signal
from actions.audit import AuditLog
from actions.base import Plan, Target
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = {log.stat().st_size} + 40  # the next line cannot fit whole
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
plan = Plan("deployment.restart", "t", Target("deployment", "default", "api-gateway"),
            "ctx", (), "kubectl ...", "")
from pathlib import Path
print(repr(AuditLog(Path({str(log)!r})).record_start(plan)))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    said = out.stdout.strip()
    assert "cannot be written" in said and "no mutation runs unaudited" in said, said
