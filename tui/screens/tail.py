"""A live tail: an action's outcome as it happens, or a pod's logs.

A producer runs in a worker thread and writes into a bounded LineBuffer; the screen
drains it 20 times a second into the LogView in batches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from tui.config import state_dir
from tui.sources.logs import LineBuffer
from widgets.footer import focus_then_footer
from widgets.logview import LogView
from widgets.screen import SettledScreen
from widgets.scrolling import InputBox

Producer = Callable[[LineBuffer, threading.Event], None]
DRAIN_INTERVAL = 0.05


class TailScreen(SettledScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="tail.close"),
        Binding("space", "pause", "Pause/resume", id="tail.pause"),
        Binding("slash", "filter", "Filter", id="tail.filter"),
        Binding("w", "wrap", "Wrap", id="tail.wrap"),
        Binding("t", "timestamps", "Timestamps", id="tail.timestamps"),
        Binding("s", "save", "Save", id="tail.save"),
        Binding("c", "container", "Container", id="tail.container"),
    ]
    DEFAULT_CSS = """
    TailScreen #tail-title {
        height: 1; background: $primary-darken-2; text-style: bold; padding: 0 1;
    }
    TailScreen #tail-status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    TailScreen #tail-filter { dock: bottom; height: 1; border: none; display: none; }
    TailScreen #tail-filter.-active { display: block; }
    """

    def __init__(
        self,
        title: str,
        producer: Producer,
        *,
        name_for_save: str = "tail",
        containers: list[str] | None = None,
        switch_container: Callable[[str], Producer] | None = None,
        max_lines: int = 10_000,
    ) -> None:
        super().__init__()
        self.title_text = title
        self._status_text = ""  # what the status line shows
        self.producer = producer
        self.name_for_save = name_for_save
        self.containers = containers or []
        self.container_index = 0
        self.switch_container = switch_container
        self.max_lines = max_lines
        self.buffer = LineBuffer(limit=max_lines)  # more would be dropped by the view
        self.stop_event = threading.Event()
        self.finished = False
        self.saved: Path | None = None  # the last file the tail was saved to

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="tail-title", markup=False)
        yield LogView(max_lines=self.max_lines, id="tail-log")
        yield Static("", id="tail-status", markup=False)
        yield InputBox(
            placeholder="filter: matching lines only, matches highlighted; Esc clears",
            id="tail-filter",
        )

    @property
    def log_view(self) -> LogView:
        return self.query_one(LogView)

    def on_mount(self) -> None:
        focus_then_footer(self, self.log_view)
        self._start(self.producer)
        self.set_interval(DRAIN_INTERVAL, self.drain, name="tail-drain")
        self._status()

    def _start(self, producer: Producer) -> None:
        self.stop_event = threading.Event()
        stop, buffer = self.stop_event, self.buffer

        def work() -> None:
            try:
                producer(buffer, stop)
            except Exception as e:  # shown in the tail, never a crash
                buffer.put(f"{type(e).__name__}: {e}", "error")
            finally:
                buffer.put("", "done")

        self.run_worker(
            work, thread=True, group="tail", exit_on_error=False, description=self.title_text
        )

    def drain(self) -> None:
        items, dropped = self.buffer.drain()
        view = self.log_view
        if dropped:
            view.dropped += dropped
            view.notice(f"{dropped} lines dropped: the stream outran the screen")
        batch: list[str | bytes] = []
        for line, kind in items:
            if kind == "":
                batch.append(line)
                continue
            if batch:
                view.write_lines(batch)
                batch = []
            if kind == "done":
                self.finished = True
            else:
                view.notice(
                    line if isinstance(line, str) else line.decode("utf-8", "replace"),
                    kind == "error",
                )
        if batch:
            view.write_lines(batch)
        if items or dropped:
            self._status()

    def on_log_view_changed(self, event: LogView.Changed) -> None:
        self._status()

    def _status(self) -> None:
        v = self.log_view
        parts = [f"{v.line_count} lines"]
        if v.dropped:
            parts.append(f"{v.dropped} dropped (keeps {v.max_lines})")
        if v.paused:
            parts.append(f"PAUSED, {v.pending} waiting (space resumes)")
        if v.filter_text:
            parts.append(f"filter “{v.filter_text}”: {v.shown} lines")
        if self.containers:
            name = self.containers[self.container_index]
            parts.append(f"container {name} ({len(self.containers)}: c switches)")
        parts.append("wrap" if v.wrap else "no wrap")
        parts.append("timestamps" if v.timestamps else "no timestamps")
        parts.append("done" if self.finished else "live")
        text = " · ".join(parts)
        if text != self._status_text:  # the view's Changed after a drain's: a frame for naught
            self._status_text = text
            # one line tall whatever it says: a repaint, not a layout of the whole screen
            self.query_one("#tail-status", Static).update(text, layout=False)

    def action_close(self) -> None:
        self.stop_event.set()
        self.dismiss(None)

    def on_unmount(self) -> None:
        self.stop_event.set()

    def action_pause(self) -> None:
        self.log_view.set_paused(not self.log_view.paused)
        self._status()

    def action_filter(self) -> None:
        box = self.query_one("#tail-filter", Input)
        box.add_class("-active")
        box.value = self.log_view.filter_text
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.log_view.set_filter(event.value)
        self._status()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.log_view.focus()

    def on_key(self, event: events.Key) -> None:
        box = self.query_one("#tail-filter", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.value = ""
            box.remove_class("-active")
            self.log_view.set_filter("")
            self.log_view.focus()
            self._status()

    def action_wrap(self) -> None:
        self.log_view.set_wrap(not self.log_view.wrap)
        self._status()

    def action_timestamps(self) -> None:
        self.log_view.set_timestamps(not self.log_view.timestamps)
        self._status()

    def action_save(self) -> None:
        folder = state_dir() / "logs"
        path = folder / f"{self.name_for_save}-{time.strftime('%Y%m%dT%H%M%S')}.log"
        lines = self.log_view.text_lines()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        except OSError as e:  # a full disk, a read-only state dir: said, and the tail goes on
            why = e.strerror or type(e).__name__
            self.log_view.notice(
                f"✖ not saved: {path} cannot be written ({why}); free the disk"
                " or set XDG_STATE_HOME to a writable place"
            )
            self.notify(f"log not saved: {why}", severity="error")
            return
        self.log_view.notice(f"saved {len(lines)} lines to {path}")
        self.saved = Path(path)

    def action_container(self) -> None:
        if len(self.containers) < 2 or self.switch_container is None:
            self.notify("this pod has one container", severity="information")
            return
        self.stop_event.set()
        self.container_index = (self.container_index + 1) % len(self.containers)
        name = self.containers[self.container_index]
        self.log_view.notice(f"— container {name} —")
        self.finished = False
        self._start(self.switch_container(name))
        self._status()
