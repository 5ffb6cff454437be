"""Issue 28: what a new user and a careful reviewer found, each with a test that failed
before its fix (the numbers are the issue's items)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from actions import registry
from actions.base import Context, Target
from tests.conftest import make_app, mutations, until
from tests.test_app import SIZE, lines, screen_text
from tui.demo.state import Cluster
from tui.describe import yaml_lines
from widgets.table import VirtualTable


def shown(app: Any) -> str:
    return "\n".join(line for w in app.screen.query("Static") for line in lines(w))


async def test_8_help_lists_kind_views_and_their_keys_and_its_header_whole(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: app.screen.__class__.__name__ == "HelpScreen")
        await until(pilot, lambda: "Keys" in shown(app))
        text = shown(app)
        assert "id (for" in text and "[keys]" in text  # the header wraps in its column
        assert ":KIND [NS]" in text and "kind.yaml" in text and "kind.trace" in text
        assert "deployment.restart" not in text  # read-only: no mutation listed
        assert "pod.logs" in text


async def test_8_q_on_the_dashboard_asks_before_quitting(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        await pilot.press("q")
        await until(pilot, lambda: app.screen.__class__.__name__ == "QuitScreen")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen.__class__.__name__ != "QuitScreen")
        assert app.is_running and app.return_code is None
        await pilot.press("q", "y")
        await until(pilot, lambda: app.return_code == 0)


async def test_8_read_only_findings_name_no_mutation(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig, read_only=True)
    mutating = [a.id for a in registry.all_actions() if a.mutating]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "OOMKilled" in screen_text(app, "#findings-table"), 15)
        table = app.query_one("#findings-table", VirtualTable)
        for index in range(table.row_count):
            table.cursor = index
            await pilot.pause(0.05)
            detail = screen_text(app, "#findings-detail")
            assert "Enter:" in detail
            assert not [a for a in mutating if a in detail], detail


def test_8_yaml_puts_apiversion_kind_metadata_first() -> None:
    obj = {"status": {"phase": "Running"}, "spec": {}, "metadata": {"name": "x"}}
    obj |= {"kind": "Pod", "apiVersion": "v1"}
    assert [line for line in yaml_lines(obj) if not line.startswith(" ")] == [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "spec: {}",
        "status:",
    ]


def test_23_the_request_layer_refuses_mutations_in_read_only_mode(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    from tui.sources.client import Kube

    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    from tui.store import Store

    ctx = Context(kube, "test", Store(), read_only=True)
    scale = registry.get("deployment.scale")
    plan = scale.plan(ctx, Target("deployment", "default", "api-gateway"), {"replicas": "1"})
    outcome = scale.run(ctx, plan, lambda _line: None, threading.Event())
    assert not outcome.ok and "read-only mode" in outcome.message
    assert mutations(cluster) == []


def test_23_the_host_manager_refuses_mutating_commands_in_read_only_mode() -> None:
    from tui.sources.hosts import HostManager
    from tui.sources.local import LocalHost
    from tui.store import ChangeBuffer

    manager = HostManager([LocalHost("here")], ChangeBuffer(), 60)
    manager.read_only = True
    manager.start()
    try:
        said: list[str] = []
        refused = manager.run("here", ["true"], said.append, threading.Event(), 10)
        assert "read-only mode" in refused.error and refused.exit_code is None
        ran = manager.run("here", ["true"], said.append, threading.Event(), 10, mutating=False)
        assert ran.exit_code == 0
    finally:
        manager.stop()


@pytest.mark.parametrize("typed", ["ks", ":ks"])
async def test_8_typing_a_kinds_short_name_ranks_the_kind_first(typed: str, tmp_path: Path) -> None:
    from textual.command import CommandPalette

    from tui.demo import start_demo

    emulator, _demo, path = start_demo(kubeconfig=tmp_path / "kubeconfig", scenario=False)
    try:
        app = make_app(path)
        async with app.run_test(size=SIZE) as pilot:
            table = app.query_one("#pods-table", VirtualTable)
            await until(pilot, lambda: table.row_count > 10, 15)
            await until(pilot, lambda: app.session.discovered.is_set(), 15)
            app.session.kinds()  # what the palette's first open asks
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*typed)
            options = app.screen.query_one("CommandList")

            def first() -> str:
                count = options.option_count
                return str(options.get_option_at_index(0).prompt) if count else ""

            await until(
                pilot,
                lambda: (
                    "Keys"
                    in "".join(
                        str(options.get_option_at_index(i).prompt)
                        for i in range(options.option_count)
                    )
                    or first().startswith("Show kustomizations")
                ),
            )
            await pilot.pause(0.3)  # every provider has answered
            assert first().startswith("Show kustomizations"), first()
    finally:
        emulator.stop()


def test_22_an_api_host_that_looks_like_an_option_never_reaches_a_command() -> None:
    from actions.host import api_endpoint

    assert api_endpoint("https://-oProxyCommand=x:6443") is None
    assert api_endpoint("https://k3s.example:6443") == ("k3s.example", "6443")


async def test_22_a_namespace_that_is_no_name_is_said_and_never_reaches_the_api(
    tmp_path: Path,
) -> None:
    from textual.command import CommandPalette

    from tui.demo import start_demo

    emulator, _demo, path = start_demo(kubeconfig=tmp_path / "kubeconfig", scenario=False)
    try:
        app = make_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.session.discovered.is_set(), 15)
            app.session.kinds()
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*"svc ../../api")
            options = app.screen.query_one("CommandList")
            await until(pilot, lambda: options.option_count > 0)
            first = str(options.get_option_at_index(0).prompt)
            assert first.startswith("'../../api' is not a namespace name")
            await pilot.press("enter")
            await pilot.pause(0.3)
            paths = [r.path for r in emulator.cluster.requests]
            assert not [p for p in paths if ".." in p]
    finally:
        emulator.stop()


async def test_slash_then_a_letter_typed_at_once_filters_and_never_runs_an_action(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    """Seen in the bench: `/` then `s` delivered together (as a fast typist's keys arrive)
    reached the table before the filter box had focus, and `s` opened the scale form."""
    from textual import events as textual_events

    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        for key in ("slash", "s"):
            event = textual_events.Key(key, "/" if key == "slash" else key)
            event.set_sender(app)
            app._driver.send_message(event)
        pods = app.query_one("#pods")
        await until(pilot, lambda: pods.filter_text == "s", what="the letter in the filter")
        assert len(app.screen_stack) == 1  # no form opened
        await pilot.press("slash", "x")  # in the box, `/` is a character of the filter
        await until(pilot, lambda: pods.filter_text == "s/x", what="'/' in the filter")
