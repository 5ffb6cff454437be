"""Fault matrix: what the operator sees when the API server misbehaves (real emulator,
faults injected through its control API, never by patching the client)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests import fixtures as fx
from tests.conftest import make_app, until
from tests.test_action_flow import log_text, ready, screen_is
from tests.test_app import SIZE, screen_text, title
from tui.app import IncidentApp
from tui.config import Settings
from tui.demo.apiserver import Emulator
from tui.demo.state import Cluster
from tui.screens.tail import TailScreen
from tui.sources.client import Kube
from tui.sources.kube import ListWatch
from widgets.table import VirtualTable


def pods_feed(app: IncidentApp) -> ListWatch:
    return next(s for s in app.session.feeds if isinstance(s, ListWatch) and s.spec.name == "pods")


async def test_410_and_the_error_event_relist_silently_with_no_gap_and_no_duplicate(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        seen: list[tuple[int, bool, str]] = []
        app.after_flush.append(
            lambda _: seen.append(
                (
                    table.row_count,
                    app.query_one("#banner").has_class("-shown"),
                    app.store.status["pods"].state.value,
                )
            )
        )
        feed = pods_feed(app)
        small_cluster.put("Pod", fx.pod("born-before-expiry"))
        small_cluster.expire()  # compaction: the watch gets an ERROR event with 410 Gone
        await until(pilot, lambda: feed.lists >= 2, timeout=20, what="a relist")
        await until(pilot, lambda: "born-before-expiry" in screen_text(app, "#pods-table"))
        await until(pilot, lambda: app.store.status["pods"].state.value == "live")
        assert seen, "no flush observed"
        assert min(rows for rows, _, _ in seen) >= 6  # no gap: rows never vanished
        assert not any(banner for _, banner, _ in seen)  # silent: no banner
        assert table.row_count == len(small_cluster.list("Pod")) == 7
        shown = screen_text(app, "#pods-table")
        assert shown.count("born-before-expiry") == 1 and shown.count("healthy-3") == 1


async def test_401_mid_run_one_banner_then_the_kubeconfig_is_read_again(
    small_cluster: Cluster, emulator: Emulator, kubeconfig: Path
) -> None:
    small_cluster.accept_tokens("demo-token")
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        small_cluster.accept_tokens("rotated")  # the token expired; watches end
        await until(
            pilot,
            lambda: "credentials of this context were refused" in screen_text(app, "#banner"),
            timeout=20,
        )
        banner = screen_text(app, "#banner")
        # the path as far as one line of 160 shows it (pytest's tmp path grows with its runs)
        assert f"credentials reloaded from {kubeconfig}"[:80] in banner
        assert len(banner.strip().splitlines()) == 1  # one banner, one line
        assert table.row_count == 6  # the rows stay, as last seen
        # the operator (or an exec plugin) refreshes the kubeconfig: it is picked up
        emulator.write_kubeconfig(kubeconfig, context="test", token="rotated")
        await until(pilot, lambda: "pods ● live" in screen_text(app, "#statusbar"), timeout=40)
        await until(pilot, lambda: not app.query_one("#banner").has_class("-shown"), 20)
        assert any(r.token == "rotated" and r.status == 200 for r in small_cluster.requests)
        assert app.session.kube.reloads >= 1 and app.is_running
        small_cluster.put("Pod", fx.pod("after-rotation"))
        await until(pilot, lambda: "after-rotation" in screen_text(app, "#pods-table"), 20)


async def test_a_slow_api_marks_the_rows_stale_and_the_keys_still_answer(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    s = Settings(kubeconfig=str(kubeconfig), metrics_interval=0.5)
    # the console's own read timeout (60 s) is far above a 5 s answer
    app = IncidentApp(
        s, Kube.from_kubeconfig(s.kubeconfig, None), watch_options={"read_timeout": 60.0}
    )
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        await until(pilot, lambda: "pods ● live" in screen_text(app, "#statusbar"))
        small_cluster.slow(5.0)  # every request now waits 5 s
        small_cluster.drop_watches()  # the watches must be sent again
        await until(pilot, lambda: "pods ◔ slow" in screen_text(app, "#statusbar"), timeout=15)
        sub = title(app, "#pods")
        assert "slow: the server has not answered for" in sub and "rows as last seen" in sub
        assert table.has_class("-stale") and table.row_count == 6
        table.focus()
        before = table.cursor
        await pilot.press("down")  # the console answers while the server does not
        assert table.cursor == before + 1
        small_cluster.slow(0.0)
        await until(pilot, lambda: "pods ● live" in screen_text(app, "#statusbar"), timeout=20)
        assert not table.has_class("-stale")
        small_cluster.put("Pod", fx.pod("after-the-slowness"))
        await until(pilot, lambda: "after-the-slowness" in screen_text(app, "#pods-table"), 15)


async def test_a_log_tail_survives_the_api_server_killed_and_back_with_no_line_lost(
    demo: Any, cluster: Cluster, emulator: Emulator, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, app)
        pod = next(p for p in table.items if p.name.startswith("api-generation"))
        table.move_to(pod.uid)
        await pilot.press("l")
        await until(pilot, lambda: screen_is(app, TailScreen))
        cluster.append_log("default", pod.name, "api-generation", "before the outage")
        await until(pilot, lambda: "before the outage" in log_text(app))
        emulator.stop()
        await until(pilot, lambda: "cannot reach" in log_text(app), timeout=15)
        cluster.append_log("default", pod.name, "api-generation", "written while down")
        emulator.start()
        await until(pilot, lambda: "reconnected" in log_text(app), timeout=30)
        await until(pilot, lambda: "written while down" in log_text(app), timeout=15)
        cluster.append_log("default", pod.name, "api-generation", "after the return")
        await until(pilot, lambda: "after the return" in log_text(app), timeout=15)
        text = log_text(app)
        assert text.count("before the outage") == 1  # the replay is de-duplicated
        assert text.count("written while down") == 1
