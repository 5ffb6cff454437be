"""The console as a user sees it: run_test + Pilot against the emulator over real HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.geometry import Region

from tests import fixtures as fx
from tests.conftest import contexts_kubeconfig, make_app, until
from tui.demo.apiserver import Emulator
from tui.demo.state import Cluster
from tui.store import State
from widgets.table import VirtualTable

SIZE = (160, 48)


def lines(widget: Any) -> list[str]:
    """The text of every line a widget shows on screen."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)  # with padding
    return [strip.text for strip in widget.render_lines(region)]


def screen_text(app: Any, selector: str) -> str:
    """What a widget shows, with the widgets inside it (a pane: its table, its detail line)."""
    root = app.query_one(selector)
    leaves = [w for w in [root, *root.query("*")] if not w.children and w.display]
    return "\n".join(line for w in leaves for line in lines(w))


def title(app: Any, selector: str) -> str:
    pane = app.query_one(selector)
    return f"{pane.border_title} | {pane.border_subtitle}"


async def test_pods_change_on_screen_when_the_server_changes(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "api-gateway-7d9f-abcde" in screen_text(app, "#pods-table"))
        first_row = lines(app.query_one("#pods-table"))[1]
        assert "api-gateway-7d9f-abcde" in first_row and "CrashLoopBackOff" in first_row
        assert "OOMKilled (137)" in first_row
        assert "Pods 6 listed / 1 not healthy" in title(app, "#pods")

        small_cluster.put(
            "Pod", fx.pod("healthy-2", namespace="kube-system", waiting="ImagePullBackOff")
        )
        await until(pilot, lambda: "ImagePullBackOff" in screen_text(app, "#pods-table"))
        assert "Pods 6 listed / 2 not healthy" in title(app, "#pods")
        small_cluster.remove("Pod", "kube-system", "healthy-4")
        await until(pilot, lambda: "healthy-4" not in screen_text(app, "#pods-table"))
        assert "Pods 5 listed / 2 not healthy" in title(app, "#pods")


async def test_filter_and_not_healthy_toggle(small_cluster: Cluster, kubeconfig: Path) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        await pilot.press("u")
        await until(pilot, lambda: table.row_count == 1)
        assert "not healthy only" in title(app, "#pods")
        await pilot.press("u", "slash", *"healthy-3")
        await until(
            pilot, lambda: table.row_count == 1 and "healthy-3" in screen_text(app, "#pods-table")
        )
        # what is typed is seen where it is typed (issue 28.2: only the borders showed)
        await until(pilot, lambda: "healthy-3" in "".join(lines(app.query_one("#pods-filter"))))
        await pilot.press("escape")
        await until(pilot, lambda: table.row_count == 6)
        assert table.has_focus


async def test_403_on_events_says_forbidden_while_pods_stay_live(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    small_cluster.fail("events", 403)
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.status["events"].state is State.FORBIDDEN)
        await until(pilot, lambda: "forbidden" in title(app, "#events"))
        await until(
            pilot, lambda: 'cannot list resource "events"' in screen_text(app, "#events-table")
        )
        await until(pilot, lambda: "events ⊘ forbidden" in screen_text(app, "#statusbar"))
        small_cluster.put("Pod", fx.pod("arrives-later"))
        await until(pilot, lambda: "arrives-later" in screen_text(app, "#pods-table"))
        assert app.store.status["pods"].state is State.LIVE


async def test_server_stop_and_restart_shows_and_recovers_without_stale_rows(
    small_cluster: Cluster, emulator: Emulator, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        emulator.stop()
        await until(pilot, lambda: "pods ✖ unreachable" in screen_text(app, "#statusbar"))
        await until(
            pilot, lambda: f"cannot reach {emulator.url}, retrying" in screen_text(app, "#banner")
        )
        # While it is down, the cluster changes: a pod goes, another comes.
        small_cluster.remove("Pod", "kube-system", "healthy-0")
        small_cluster.put("Pod", fx.pod("born-while-down"))
        emulator.start()
        await until(pilot, lambda: "born-while-down" in screen_text(app, "#pods-table"), timeout=30)
        await until(pilot, lambda: "pods ● live" in screen_text(app, "#statusbar"), timeout=30)
        assert "healthy-0" not in screen_text(app, "#pods-table")
        assert table.row_count == 6
        await until(pilot, lambda: not app.query_one("#banner").has_class("-shown"), timeout=30)
        await until(pilot, lambda: "unreachable" not in screen_text(app, "#statusbar"))


async def test_markup_and_escape_sequences_from_the_cluster_are_inert(
    cluster: Cluster, kubeconfig: Path
) -> None:
    nasty = "[bold red]boom[/] \x1b[31mred\x1b[0m \x1b]0;owned\x07done"
    cluster.put("Event", fx.event("evil.1", message=nasty, obj=("Pod", "victim")))
    cluster.put("Pod", fx.pod("victim", labels={"note": "[link=http://x]click[/link]\x1b[2J"}))
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "boom" in screen_text(app, "#events"))
        events = screen_text(app, "#events")
        assert "[bold red]boom[/] red done" in events
        assert "\x1b" not in events and "owned" not in events
        await until(pilot, lambda: "victim" in screen_text(app, "#pods"))
        pods = screen_text(app, "#pods")
        assert "note=[link=http://x]click[/link]" in pods
        assert "\x1b" not in pods


async def test_events_newest_first_with_repeats_folded_and_warnings_toggle(
    cluster: Cluster, kubeconfig: Path
) -> None:
    cluster.put("Event", fx.event("a.1", reason="BackOff", count=3, last_seen=300))
    cluster.put("Event", fx.event("a.2", reason="BackOff", count=2, last_seen=4))
    cluster.put(
        "Event", fx.event("b.1", reason="Pulled", etype="Normal", message="pulled", last_seen=60)
    )
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#events-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 2)
        rows = lines(table)
        assert "BackOff" in rows[1] and "x5" in rows[1]
        assert "Pulled" in rows[2]
        table.focus()
        await pilot.press("w")
        await until(pilot, lambda: table.row_count == 1)
        assert "warnings only" in title(app, "#events")


async def test_namespace_scopes_what_is_listed(small_cluster: Cluster, kubeconfig: Path) -> None:
    app = make_app(kubeconfig, namespace="kube-system")
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 5)
        assert all(p.namespace == "kube-system" for p in table.items)
        assert "namespace kube-system" in title(app, "#pods")
    paths = {r.path for r in small_cluster.requests if r.method == "GET" and "pods" in r.path}
    assert "/api/v1/namespaces/kube-system/pods" in paths
    assert "/api/v1/pods" not in paths


async def test_metrics_columns_say_why_when_the_api_is_absent_or_forbidden(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    small_cluster.faults.metrics_absent = True
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.metrics_status.state is State.ABSENT)
        await until(pilot, lambda: "absent" in lines(app.query_one("#pods-table"))[1])
        assert "metrics API absent" in title(app, "#pods")
        await until(pilot, lambda: "absent" in lines(app.query_one("#nodes-table"))[1])
        small_cluster.faults.metrics_absent = False
        small_cluster.fail("metrics", 403)
        await until(
            pilot, lambda: "forbidden" in lines(app.query_one("#pods-table"))[1], timeout=15
        )


async def test_refused_credentials_say_unauthorized(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    small_cluster.fail("*", 401)
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot,
            lambda: "credentials of this context were refused" in screen_text(app, "#banner"),
        )
        await until(pilot, lambda: "pods ⊘ unauthorized" in screen_text(app, "#statusbar"))


async def test_keys_are_remapped_from_the_config_and_listed_in_help(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig, keys={"pods.unhealthy": "x"})
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        await pilot.press("x")
        await until(pilot, lambda: table.row_count == 1)
        await pilot.press("question_mark")
        await until(pilot, lambda: app.screen.__class__.__name__ == "HelpScreen")
        help_text = "\n".join(line for w in app.screen.query("Static") for line in lines(w))
        for binding_id in ("pods.unhealthy", "pods.filter", "events.warnings", "app.quit"):
            assert binding_id in help_text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen.__class__.__name__ != "HelpScreen")


async def test_switching_context_shows_only_the_other_cluster(tmp_path: Path) -> None:
    first, second = Cluster(), Cluster()
    first.put("Pod", fx.pod("only-in-first"))
    second.put("Pod", fx.pod("only-in-second"))
    with Emulator(first) as one, Emulator(second) as two:
        path = contexts_kubeconfig(tmp_path / "two-contexts", {"one": one.url, "two": two.url})
        app = make_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "only-in-first" in screen_text(app, "#pods-table"))
            assert app.session.contexts() == ["one", "two"]
            app.switch_context("two")
            await until(pilot, lambda: "only-in-second" in screen_text(app, "#pods-table"))
            assert "only-in-first" not in screen_text(app, "#pods-table")
            await until(pilot, lambda: "context two" in screen_text(app, "#statusbar"))
            assert two.url in screen_text(app, "#titlebar")
