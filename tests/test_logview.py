"""The log view and the tail screen: bounded, counted, filterable, savable; said when the
stream ends or the pod goes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult

from tests import fixtures as fx
from tests.conftest import make_app, until, wait_for
from tests.test_action_flow import log_text, ready, screen_is
from tests.test_app import SIZE, lines
from tui.demo.state import Cluster
from tui.screens.tail import TailScreen
from tui.sources.client import Kube
from tui.sources.logs import HIGH_WATER, LineBuffer, LogRequest, PodLogStream
from widgets.logview import LogView


class Host(App[None]):
    def __init__(self, producer: Any = None, **kw: Any) -> None:
        super().__init__()
        self.producer, self.kw = producer, kw

    def compose(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.push_screen(TailScreen("test tail", self.producer, name_for_save="unit", **self.kw))


def lines_producer(lines: list[str], done: threading.Event | None = None) -> Any:
    def produce(buffer: LineBuffer, stop: threading.Event) -> None:
        for line in lines:
            buffer.put(line)
        if done:
            done.wait(10)

    return produce


async def test_retention_is_bounded_and_what_fell_off_is_counted() -> None:
    app = Host(
        lines_producer([f"2026-01-01T00:00:00Z line {i}" for i in range(2500)]), max_lines=1000
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TailScreen) and app.screen.finished)
        view = app.screen.query_one(LogView)
        assert view.line_count <= 1000 and view.dropped >= 1500
        assert view.log_line_count + view.dropped == 2500  # our notices aside
        status = "\n".join(lines(app.screen.query_one("#tail-status")))
        assert f"{view.dropped} dropped (keeps 1000)" in status
        await until(pilot, lambda: "line 2499" in log_text(app), what="the view at the newest line")


async def test_filter_highlights_wrap_timestamps_and_save(isolated_env: Path) -> None:
    text = ["2026-01-01T10:00:00Z GET /health 200", "2026-01-01T10:00:01Z ERROR boom " + "z" * 300]
    app = Host(lines_producer(text))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TailScreen) and app.screen.finished)
        view = app.screen.query_one(LogView)
        await pilot.press("slash", *"error")
        await until(pilot, lambda: view.shown == 1)
        strip = view.render_line(0)
        match = view.get_component_rich_style("logview--match")
        assert any(
            seg.text == "ERROR" and seg.style and seg.style.bgcolor == match.bgcolor
            for seg in strip
        )
        await pilot.press("escape")
        await until(pilot, lambda: view.shown == 2)
        view.focus()
        await pilot.press("w")
        await until(pilot, lambda: view.virtual_size.height > 2)
        await pilot.press("t")
        await until(pilot, lambda: log_text(app).startswith("GET /health 200"))
        await pilot.press("s")
        await until(
            pilot,
            lambda: "saved 3 lines to" in log_text(app) or "saved 2 lines to" in log_text(app),
        )
        saved = app.screen.saved  # type: ignore[attr-defined]
        assert saved.read_text().splitlines()[0] == "GET /health 200"


async def test_pod_gone_ends_the_tail_and_says_so(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, app)
        pod = next(p for p in table.items if p.name.startswith("mercurious-cluster-kafka-0"))
        table.move_to(pod.uid)
        await pilot.press("l")
        await until(pilot, lambda: screen_is(app, TailScreen))
        cluster.append_log("kafka", pod.name, pod.containers[0].name, "broker up")
        await until(pilot, lambda: "broker up" in log_text(app))
        cluster.remove("Pod", "kafka", pod.name)
        await until(pilot, lambda: "stream ended; reconnecting" in log_text(app))
        await until(pilot, lambda: "pod kafka/mercurious-cluster-kafka-0 is gone" in log_text(app))


async def test_saving_into_an_unwritable_state_dir_says_so_and_the_tail_goes_on(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 28.11: `s` raised out of the app when the state directory was not writable."""
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the state directory should be\n")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    app = Host(lines_producer(["one", "two"]))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TailScreen) and app.screen.finished)
        await pilot.press("s")
        await until(pilot, lambda: "not saved:" in log_text(app))
        assert "cannot be written" in log_text(app) and app.is_running
        assert app.screen.saved is None  # type: ignore[attr-defined]


class OneView(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView()


async def test_a_fast_stream_keeps_the_newest_line_in_view_until_the_reader_scrolls_away() -> None:
    """Lines come in batches (the view grows without a layout of the screen while its
    scrollbar stays): the newest line stays in view, the scrollbar follows, a reader who
    scrolled up keeps their place, and End follows again."""
    app = OneView()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(LogView)
        sent = 0

        def batch(n: int = 100) -> None:
            nonlocal sent
            view.write_lines([f"line {sent + i}" for i in range(n)])
            sent += n

        def newest_shown() -> bool:
            return lines(view)[-1].strip() == f"line {sent - 1}"

        for _ in range(20):
            batch()
            await until(pilot, newest_shown, what=f"line {sent - 1} at the bottom")
            assert view.vertical_scrollbar.window_virtual_size == sent
        await pilot.press("pageup")
        shown = lines(view)
        assert not newest_shown()
        batch()
        batch()
        await pilot.pause()
        assert lines(view) == shown
        assert view.vertical_scrollbar.window_virtual_size == sent
        await pilot.press("end")
        await until(pilot, newest_shown, what="End: the newest line again")
        batch()
        await until(pilot, newest_shown, what="following again")


async def test_our_notices_among_a_trimmed_stream_keep_their_place_and_are_not_counted() -> None:
    """The view's own words ("reconnected") sit among the stream's lines; when old lines
    fall off, only the stream's are counted as dropped, and a filter still shows ours."""

    def produce(buffer: LineBuffer, stop: threading.Event) -> None:
        for i in range(1200):
            buffer.put(f"2026-01-01T00:00:00Z line {i}")
            if i % 100 == 99:
                buffer.put(f"reconnected after line {i}", "notice")

    app = Host(produce, max_lines=500)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TailScreen) and app.screen.finished)
        view = app.screen.query_one(LogView)
        assert view.log_line_count + view.dropped == 1200
        kept = view.text_lines()
        assert "reconnected after line 1199" in kept and "reconnected after line 99" not in kept
        assert (
            kept.index("reconnected after line 1099")
            == kept.index("2026-01-01T00:00:00Z line 1099") + 1
        )
        view.set_filter("line 1150")
        await until(
            pilot,
            lambda: (
                "reconnected after line 1199" in log_text(app)
                and "line 1150" in log_text(app)
                and "line 1151" not in log_text(app)
            ),
            what="the filtered view with our notices",
        )


def test_a_replay_waits_in_the_socket_not_in_the_buffer_and_no_line_is_lost(
    cluster: Cluster, kubeconfig: Path
) -> None:
    """A stream with HIGH_WATER lines waiting for the screen reads no more until they are
    drained (an outage's replay came in at once: the soak's memory kept its peak)."""
    pod = fx.pod("chatty")
    cluster.put("Pod", pod)
    container = pod["spec"]["containers"][0]["name"]
    cluster.append_log("default", "chatty", container, *(f"line {i}" for i in range(6000)))
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    buffer = LineBuffer(limit=20_000)
    stream = PodLogStream(kube, LogRequest("default", "chatty", tail_lines=10_000), buffer)
    threading.Thread(target=stream.run, daemon=True).start()
    try:
        wait_for(lambda: len(buffer) >= HIGH_WATER, what="the first lines")
        assert len(buffer) == HIGH_WATER and buffer.dropped == 0  # the rest wait in the socket
        got: list[bytes] = []

        def drained() -> bool:
            items, dropped = buffer.drain()
            assert dropped == 0
            got.extend(line for line, kind in items if not kind and isinstance(line, bytes))
            return len(got) >= 6000

        wait_for(drained, what="every line, drained as a screen does")
        assert [line.split(b" ", 1)[1] for line in got] == [
            f"line {i}".encode() for i in range(6000)
        ]
    finally:
        stream.stop()
        kube.close()
