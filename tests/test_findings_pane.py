"""The findings pane on the demo: what it shows, Enter to the answering action, the
timeline when a finding clears, the incident record in the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events as textual_events

from tests import fixtures as fx
from tests.conftest import make_app, record_lines, until
from tests.test_action_flow import screen_is
from tests.test_app import SIZE, lines, screen_text, title
from tui.demo.flux import seed_flux
from tui.demo.state import Cluster
from tui.screens.params import ParamsScreen
from tui.screens.report import ReportScreen


async def test_oomkilled_finding_leads_to_set_resources_in_two_keystrokes(
    demo: Any, cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    from textual.command import CommandPalette

    seed_flux(cluster, "2.7")
    audit = tmp_path / "audit.jsonl"
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "OOMKilled" in screen_text(app, "#findings-table"), 20)
        await until(
            pilot, lambda: "Flux SOPS decryption fa" in screen_text(app, "#findings-table"), 20
        )
        assert "critical" in title(app, "#findings")
        rows = lines(app.query_one("#findings-table"))
        assert rows[0].split()[:1] == ["SEV"] and rows[1].startswith("CRIT")
        await pilot.press("f")  # to the findings
        table = app.query_one("#findings-table")
        index = next(i for i, r in enumerate(table.items) if r.finding.rule == "oomkilled")
        table.cursor = index
        await until(
            pilot, lambda: "Enter: deployment.set-resources" in screen_text(app, "#findings")
        )
        await pilot.press("enter")  # the finding
        await until(pilot, lambda: screen_is(app, CommandPalette))

        def first() -> str:
            return str(app.screen.query_one("CommandList").get_option_at_index(0).prompt)

        await until(pilot, lambda: "deployment/api-gateway" in first())
        assert first().startswith("Set container requests/limits")
        await pilot.press("enter")  # keystroke 1 after the finding: the action
        await until(pilot, lambda: screen_is(app, ParamsScreen))  # its form, for api-gateway
        assert "deployment/api-gateway in default" in "\n".join(
            "\n".join(lines(w)) for w in app.screen.query("Static")
        )
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1)
        # typed at once from another pane (both keys delivered as the terminal driver
        # does, before any repaint), `f` then Enter still reach the finding
        await pilot.press("1")
        for key in ("f", "enter"):
            event = textual_events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app._driver.send_message(event)
        await until(pilot, lambda: screen_is(app, CommandPalette))
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1)
        events = [e for e in record_lines(audit) if e.get("event") == "finding-seen"]
        assert {e["rule"] for e in events} >= {"oomkilled", "pod-crashloop", "flux-not-ready"}


async def test_a_cleared_finding_moves_to_the_timeline(
    small_cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "Pod crash-looping" in screen_text(app, "#findings-table"), 15)
        small_cluster.put("Pod", fx.pod("api-gateway-7d9f-abcde"))  # healthy again
        await until(pilot, lambda: "Findings 0 | 2 cleared" in title(app, "#findings"), 15)
        rows = lines(app.query_one("#findings-table"))
        (row,) = [r for r in rows if "Pod crash-looping" in r]
        assert row.startswith("ok")  # in the timeline, no longer CRIT
        table = app.query_one("#findings-table")
        table.cursor = next(i for i, r in enumerate(table.items) if r.cleared is not None)
        await until(pilot, lambda: "cleared at" in screen_text(app, "#findings-detail"))
        app.action_report()  # the palette's "Incident report"
        await until(pilot, lambda: screen_is(app, ReportScreen))

        def report() -> str:
            found = app.screen.query("#report-body")
            if not found:
                return ""
            root = found.first()
            leaves = [w for w in [root, *root.query("*")] if not w.children and w.display]
            return "\n".join(line for w in leaves for line in lines(w))

        await until(pilot, lambda: "Incident report:" in report())
        text = app.screen.markdown  # what the view renders, as `report` writes it
        assert "- Findings: 2 (2 critical); 2 cleared, 0 still open" in text
        assert "cleared: Pod crash-looping" in text
        await pilot.press("escape")
    kinds = [e.get("event") for e in record_lines(audit) if e.get("rule") == "pod-crashloop"]
    assert kinds == ["finding-seen", "finding-cleared"]
