"""What the console shows without changing anything: describe, YAML, logs, the trace of
an object to the Flux object that applies it, the report. Each read runs in a worker
thread; the UI is reached only through the `Screens` protocol (the App implements it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from textual.app import App
from textual.screen import Screen
from textual.strip import Strip

from actions import provenance
from actions.base import Action, Context, Target
from actions.pods import pod_and_events
from actions.resources import object_and_events
from actions.targets import Selection
from tui.config import state_dir
from tui.describe import describe_object, describe_pod, yaml_lines
from tui.screens.describe import DescribeScreen
from tui.screens.tail import Producer, TailScreen
from tui.session import Session
from tui.sources.client import ApiError
from tui.sources.discovery import ApiKind
from tui.sources.logs import LineBuffer, LogRequest, PodLogStream
from tui.store.resources import Row

T = TypeVar("T")
READER_TIMEOUT = 300  # seconds the report's reader may take (a 60 MB log: about 2)
SCREEN_ROWS = 60  # the report screen's last rows of the timeline and the actions
Severity = Literal["information", "warning", "error"]


class Screens(Protocol):
    """What the flow asks of the UI."""

    async def ask(self, screen: Screen[T]) -> T | None:
        """A modal's answer (None when dismissed)."""

    def show(self, screen: Screen[Any]) -> None: ...
    def say(self, message: str, severity: Severity = "information") -> None: ...
    def say_from_thread(self, message: str, severity: Severity = "information") -> None: ...
    def in_terminal(self, work: Callable[[], T]) -> T:
        """Run work with the screen suspended (the terminal the operator's); RuntimeError
        where there is no terminal to give (a browser, a test)."""

    def selection(self) -> Selection: ...
    def start_work(self, work: Coroutine[Any, Any, None], name: str, description: str) -> None:
        """Run a step that waits on the operator (one at a time)."""


class AppScreens:
    """The Screens protocol on a Textual App; the selection comes from the dashboard."""

    def __init__(self, app: App[Any], selection: Callable[[], Selection]) -> None:
        self.app = app
        self.selection = selection

    async def ask(self, screen: Screen[T]) -> T | None:
        return await self.app.push_screen_wait(screen)

    def show(self, screen: Screen[Any]) -> None:
        self.app.push_screen(screen)

    def say(self, message: str, severity: Severity = "information") -> None:
        self.app.notify(message, severity=severity, timeout=15 if severity == "error" else 5)

    def in_terminal(self, work: Callable[[], T]) -> T:
        from textual.app import SuspendNotSupported

        try:
            with self.app.suspend():
                return work()
        except SuspendNotSupported:
            raise RuntimeError(
                "a shell needs the console's own terminal: not in a browser (serve) or a test"
            ) from None

    def say_from_thread(self, message: str, severity: Severity = "information") -> None:
        """From another thread; nothing when the app has already closed."""
        with contextlib.suppress(Exception):
            self.app.call_from_thread(self.say, message, severity)

    def start_work(self, work: Coroutine[Any, Any, None], name: str, description: str) -> None:
        kw: dict[str, Any] = {"group": "actions", "exclusive": True, "exit_on_error": False}
        self.app.run_worker(work, name=name, description=description, **kw)


def rendered(markdown: str, width: int = 150) -> list[Strip]:
    """Markdown laid out, a strip a line, in the caller's (worker) thread: Textual's
    Markdown widget parsed and mounted a report's tables on the UI thread (60 ms), a
    Static of it wrapped it all again to lay the screen out (40-65 ms)."""
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(width=width, color_system="truecolor", force_terminal=True)
    return [Strip(line) for line in console.render_lines(Markdown(markdown), pad=False)]


def stream_until(stream: PodLogStream, stop: threading.Event) -> None:
    """Run a log stream in this thread until it ends or `stop` is set. The stopper thread
    is this call's own: it ends with the stream and is joined."""
    finished = threading.Event()

    def stopper() -> None:
        while not finished.is_set():
            if stop.wait(0.25):
                stream.stop()
                return

    watcher = threading.Thread(target=stopper, name="log-stream-stop")
    watcher.start()
    try:
        stream.run()
    finally:
        finished.set()
        watcher.join()


class Views:
    """The read-only screens, opened from keys, the palette, rows and findings."""

    def __init__(
        self,
        session: Session,
        screens: Screens,
        context: Callable[[], Context],
        audit_path: Path,
        settle: Callable[[], object] = lambda: None,
    ) -> None:
        self.session = session
        self.screens = screens
        self.context = context
        self.audit_path = audit_path
        self.settle = settle  # the record's pending writes, waited for before a report

    def open_report(self) -> None:
        """The incident's record so far (last 24 h of the audit log), as `report` writes it,
        read and built in a worker thread (a 90 MB log took 1.5 s on the UI thread).
        Imported when asked: the Markdown widget costs memory the console rarely needs."""
        self.screens.start_work(self._report(), "view:report", "read the audit log")

    async def _report(self) -> None:
        path, now = self.audit_path, time.time()
        settings, info = self.session.settings, self.session.kube.info

        def read() -> tuple[str, list[Strip], Path, list[tuple[float, int]]]:
            # imported here, in the worker: the screen's imports took 60 ms of the UI's
            import tui.screens.report  # noqa: F401
            from tui.record import cluster_of, store_path
            from tui.record.report import Contacts, incidents_part
            from tui.report import READER

            self.settle()  # in this worker: the findings just shown are in the log
            fd, name = tempfile.mkstemp(prefix="incident-report-", suffix=".md")
            os.close(fd)
            args = [str(path), str(now - 86400), str(now), str(SCREEN_ROWS), name]
            reader = subprocess.Popen(
                [sys.executable, "-c", READER, *args],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            contacts = Contacts(settings.channel, settings.status_page, settings.escalation)
            part, chart = incidents_part(
                store_path(settings), now - 30 * 86400, now, settings.slo, contacts,
                cluster_of(settings, info.context, info.server),
            )  # fmt: skip
            try:
                out, err = reader.communicate(timeout=READER_TIMEOUT)
            except subprocess.TimeoutExpired:
                reader.kill()
                out, err = reader.communicate()
                err += f"\nno answer within {READER_TIMEOUT} s".encode()
            if reader.returncode != 0:
                Path(name).unlink(missing_ok=True)
                why = err.decode(errors="replace").strip().splitlines() or ["no reason given"]
                raise OSError(f"the log's reader failed: {why[-1]}")
            tail = "\n".join(part) + "\n"
            with open(name, "a", encoding="utf-8") as whole:
                whole.write(tail)
            shown = out.decode("utf-8", errors="replace") + tail
            return shown, rendered(shown), Path(name), chart

        try:
            text, laid_out, whole, chart = await asyncio.to_thread(read)
        except (OSError, sqlite3.Error) as e:
            self.screens.say(f"cannot read the record: {e}", "error")
            return
        from tui.screens.report import ReportScreen  # imported by the worker

        stamp = time.strftime("%Y%m%d-%H%M%S")
        title = f"incident report · last 24 h · {path}"
        save_to = state_dir() / f"report-{stamp}.md"
        self.screens.show(ReportScreen(title, text, laid_out, save_to, whole, chart))

    def view_row(self, kind: ApiKind, row: Row, mode: Literal["describe", "yaml"]) -> None:
        self.screens.start_work(self._view_row(kind, row, mode), f"view:{mode}", f"{mode} a row")

    async def _view_row(self, kind: ApiKind, row: Row, mode: str) -> None:
        path = f"{kind.path(row.namespace)}/{row.name}"
        ctx = self.context()
        target = Target(kind.kind, row.namespace, row.name, path=path)

        def read() -> tuple[Any, list[Any], list[str]]:
            obj, events = object_and_events(ctx, path, kind.kind, row.namespace, row.name)
            return obj, events, self.provenance(ctx, target) if mode == "describe" else []

        try:
            obj, events, flux = await asyncio.to_thread(read)
        except Exception as e:  # ApiFailure carries the server's message
            self.screens.say(f"{mode} {kind.name} {row.key}: {e}", "error")
            return
        where = f"{kind.name} {row.key} · context {self.session.kube.info.context}"
        if mode == "yaml":
            self.screens.show(DescribeScreen(f"yaml {where}", yaml_lines(obj)))
        else:
            self.screens.show(
                DescribeScreen(
                    f"describe {where}", describe_object(obj, events, ctx.clock()) + flux
                )
            )

    async def open_view(self, action: Action, target: Target) -> None:
        if action.id == "pod.describe":
            await self.describe(target)
            return
        store, kube = self.session.store, self.session.kube
        pod = store.find("pods", target.namespace, target.name)
        containers = [c.name for c in pod.containers] if pod is not None else []
        previous = action.id == "pod.logs-previous"

        def producer_for(container: str) -> Producer:
            request = LogRequest(
                target.namespace, target.name, container, previous=previous, follow=not previous
            )

            def produce(buffer: LineBuffer, stop: threading.Event) -> None:
                stream_until(PodLogStream(kube, request, buffer), stop)

            return produce

        self.screens.show(
            TailScreen(
                f"{'previous ' if previous else ''}logs · {target.namespace}/{target.name}"
                f" · context {kube.info.context}",
                producer_for(containers[0] if containers else ""),
                name_for_save=target.name,
                containers=containers,
                switch_container=producer_for,
            )
        )

    async def describe(self, target: Target) -> None:
        ns, name = target.namespace, target.name
        ctx = self.context()

        def read() -> tuple[Any, list[Any], list[str]]:
            pod, events = pod_and_events(ctx, ns, name)
            return pod, events, self.provenance(ctx, target)

        try:
            pod, events, flux = await asyncio.to_thread(read)
        except ApiError as e:
            self.screens.say(f"describe {ns}/{name}: {e.status} {e.message}", "error")
            return
        except Exception as e:
            self.screens.say(f"describe {ns}/{name}: cannot reach the API server ({e})", "error")
            return
        self.screens.show(
            DescribeScreen(
                f"describe pod {ns}/{name} · context {self.session.kube.info.context}",
                describe_pod(pod, events, self.session.clock()) + flux,
            )
        )

    # -- provenance (`flux trace`) --------------------------------------------------------
    def provenance(self, ctx: Context, target: Target) -> list[str]:
        """The trace's lines, for describe (in a worker thread); a failure is one line."""
        try:
            return ["", "Flux", *provenance.trace_lines(provenance.trace(ctx, target), ctx.clock())]
        except Exception as e:
            return ["", f"Flux: cannot trace {target}: {e}"]

    async def trace(self, target: Target) -> None:
        ctx = self.context()
        try:
            found = await asyncio.to_thread(provenance.trace, ctx, target)
        except Exception as e:  # ApiFailure carries the server's message
            self.screens.say(f"trace {target}: {e}", "error")
            return
        self.screens.show(
            DescribeScreen(
                f"trace {target} · context {self.session.kube.info.context}",
                provenance.trace_lines(found, ctx.clock()),
            )
        )
