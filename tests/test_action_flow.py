"""The remediation loop as an operator drives it: keys, palette, confirmation, tail, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import audit_lines, dry_runs, make_app, mutations, until
from tests.test_app import SIZE, lines
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.tail import TailScreen
from widgets.logview import LogView
from widgets.table import VirtualTable


def screen_is(app: Any, kind: type) -> bool:
    return isinstance(app.screen, kind)


def log_text(app: Any) -> str:
    return "\n".join(lines(app.screen.query_one(LogView)))


async def ready(pilot: Any, app: Any) -> VirtualTable[Any]:
    table = app.query_one("#pods-table", VirtualTable)
    await until(
        pilot, lambda: table.row_count > 20 and table.items[0].name.startswith("api-gateway")
    )
    await until(pilot, lambda: len(app.store.deployments) > 10 and len(app.store.replicasets) > 10)
    return table


@pytest.fixture
def audit(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


async def test_dry_run_precedes_confirmation_and_cancel_sends_nothing(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press("r")
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        assert [(r.method, r.query["dryRun"]) for r in dry_runs(cluster)] == [("PATCH", ["All"])]
        assert mutations(cluster) == []

        def text_now() -> str:
            return "\n".join("\n".join(lines(w)) for w in app.screen.query("Static"))

        await until(pilot, lambda: "server dry run" in text_now())  # laid out
        text = text_now()
        assert "C O N T E X T" not in text and "CONTEXT   T E S T" in text
        assert "kubectl --context test -n default rollout restart deployment/api-gateway" in text
        assert "server dry run OK" in text
        await pilot.press("escape")
        await until(pilot, lambda: not screen_is(app, ConfirmScreen))
        assert mutations(cluster) == []
        await until(pilot, lambda: audit_lines(audit))
        assert [e["outcome"] for e in audit_lines(audit)] == ["cancelled"]


async def test_palette_restart_enter_enter_restarts_and_the_tail_shows_new_pods(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        from textual.command import CommandPalette

        await pilot.press("ctrl+p")
        await until(pilot, lambda: screen_is(app, CommandPalette))
        await pilot.press(*"restart")
        await until(
            pilot,
            lambda: (
                "Restart deployment"
                in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt)
            ),
        )
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: "new ReplicaSet api-gateway-" in log_text(app), timeout=20)
        await until(pilot, lambda: "ContainerCreating" in log_text(app), timeout=20)
        sent = mutations(cluster)
        assert len(sent) == 1 and sent[0].method == "PATCH"
        assert sent[0].path.endswith("/deployments/api-gateway")
        annotations = sent[0].json()["spec"]["template"]["metadata"]["annotations"]
        assert "kubectl.kubernetes.io/restartedAt" in annotations
        await pilot.press("escape")  # stop following: the restart was made, and is audited
        await until(pilot, lambda: audit_lines(audit), timeout=10)
        entry = audit_lines(audit)[0]
        # Esc after the change: done, not followed; never "failed" (issue 28.13)
        assert entry["action"] == "deployment.restart" and entry["outcome"] in (
            "succeeded",
            "done-not-followed",
        )


async def test_dangerous_action_needs_the_name_typed(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, app)
        victim = table.items[0].name
        await pilot.press("ctrl+d")
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        await pilot.press("enter")  # nothing typed
        await pilot.press(*"api-gateway", "enter")  # not the name
        await pilot.pause(0.2)
        assert screen_is(app, ConfirmScreen)
        assert mutations(cluster) == []
        assert any(r.method == "DELETE" for r in dry_runs(cluster))
        await pilot.press(*victim, "enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: any(r.method == "DELETE" for r in mutations(cluster)))
        assert [r.path for r in mutations(cluster)] == [f"/api/v1/namespaces/default/pods/{victim}"]
        await until(pilot, lambda: "replacement" in log_text(app), timeout=20)


async def test_log_tail_follows_appended_lines_inertly(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, app)
        pod = next(p for p in table.items if p.name.startswith("api-generation"))
        table.move_to(pod.uid)
        await pilot.press("l")
        await until(pilot, lambda: screen_is(app, TailScreen))
        cluster.append_log(
            "default", pod.name, "api-generation", "first [bold red]line[/] \x1b[31mred\x1b[0m"
        )
        await until(pilot, lambda: "first [bold red]line[/] red" in log_text(app))
        assert "\x1b" not in log_text(app)
        huge = "x" * 1_000_000
        cluster.append_log("default", pod.name, "api-generation", huge, "after the huge one")
        await until(pilot, lambda: "after the huge one" in log_text(app))
        view = app.screen.query_one(LogView)
        longest = max(len(t) for t in view.text_lines())
        assert longest < 9000 and any("characters cut" in t for t in view.text_lines())
        await pilot.press("space")
        cluster.append_log("default", pod.name, "api-generation", "while paused")
        await until(pilot, lambda: view.pending >= 1)
        assert "while paused" not in log_text(app)
        await pilot.press("space")
        await until(pilot, lambda: "while paused" in log_text(app))


def test_invalid_utf8_is_replaced() -> None:
    from widgets.logview import clean_line

    assert clean_line(b"caf\xc3\xa9 \xff\xfe end\n") == "café �� end"


async def test_read_only_every_key_and_palette_entry_sends_no_mutation(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    from tui.palette import ConsoleCommands

    app = make_app(kubeconfig, read_only=True, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        keys = [b.key for b in app.BINDINGS if getattr(b, "key", "") not in ("q", "question_mark")]
        for key in ["r", "s", "e", "ctrl+d", *keys]:
            for k in key.split(","):
                await pilot.press(k)
                await pilot.pause(0.05)
                while len(app.screen_stack) > 1:
                    await pilot.press("escape")
                    await pilot.pause(0.05)
        provider = ConsoleCommands(app.screen)
        commands = provider.commands()
        texts = [c[0] for c in commands]
        assert not any(
            t.startswith(("Restart", "Scale", "Delete", "Set container", "Emergency"))
            for t in texts
        )
        for text, callback, _help, _fits in commands:
            if text.startswith("Switch context"):
                continue
            callback()
            await pilot.pause(0.1)
            while len(app.screen_stack) > 1:
                await pilot.press("escape")
                await pilot.pause(0.05)
        footer = " ".join(
            str(b.binding.description)
            for b in app.active_bindings.values()
            if b.enabled and b.binding.show
        )
        assert "Restart" not in footer and "Delete" not in footer
    assert mutations(cluster) == []
    assert dry_runs(cluster) == []
    assert audit_lines(audit) == []
