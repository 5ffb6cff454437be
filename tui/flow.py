"""An action's walk, in one place: target -> parameters -> plan -> dry run -> confirm ->
audit "starting" -> run with a live tail -> audit the outcome.

Nothing but the dry run reaches the server before the confirmation, and every outcome
(cancelled, refused, failed, succeeded) is audited here and nowhere else. The flow
reaches the cluster and the hosts only through `actions/`, and the UI only through the
small `Screens` protocol (the App implements it).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from textual.app import App
from textual.screen import Screen

from actions import registry
from actions.audit import AuditLog
from actions.base import Action, Context, Plan, Target
from actions.emergency import EmergencyScaleRestore, remembered_replicas
from actions.kubernetes import dry_run
from actions.pods import ReadOnlyPodAction, newest_pod, pod_and_events
from actions.resources import object_and_events
from actions.targets import Selection, finding_target, row_target, target_for
from tui.config import state_dir
from tui.describe import describe_object, describe_pod, yaml_lines
from tui.screens.confirm import ConfirmScreen
from tui.screens.describe import DescribeScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import Producer, TailScreen
from tui.session import Session
from tui.sources.client import ApiError
from tui.sources.discovery import ApiKind
from tui.sources.logs import LineBuffer, LogRequest, PodLogStream
from tui.store.resources import Row
from tui.triage import Finding, TimelineEntry

FOLLOW_LOGS_AFTER = {"deployment.restart", "deployment.scale", "deployment.set-resources"}
T = TypeVar("T")
Severity = Literal["information", "warning", "error"]


class Screens(Protocol):
    """What the flow asks of the UI."""

    async def ask(self, screen: Screen[T]) -> T | None:
        """A modal's answer (None when dismissed)."""

    def show(self, screen: Screen[Any]) -> None: ...
    def say(self, message: str, severity: Severity = "information") -> None: ...
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

    def start_work(self, work: Coroutine[Any, Any, None], name: str, description: str) -> None:
        kw: dict[str, Any] = {"group": "actions", "exclusive": True, "exit_on_error": False}
        self.app.run_worker(work, name=name, description=description, **kw)


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


class ActionFlow:
    def __init__(self, session: Session, screens: Screens) -> None:
        self.session = session
        self.screens = screens
        settings = session.settings
        self.audit = AuditLog(
            Path(settings.audit_log) if settings.audit_log else None,
            kube_user=session.kube.info.user,
        )
        self.audit_warned = False  # an unwritable log is said once for the findings

    # -- what is offered, and on what ---------------------------------------------------
    def offers(self, action: Action) -> bool:
        """Read-only mode offers no mutation; with no cluster, only the host actions."""
        if self.session.settings.read_only and action.mutating:
            return False
        return self.session.connected or action.target_kind == "host"

    def target_for(self, action: Action) -> Target | str:
        return target_for(action, self.session.store, self.screens.selection())

    def finding_target(self, action: Action, finding: Finding) -> Target | str:
        return finding_target(action, self.session.store, finding)

    def context(self) -> Context:
        s = self.session
        return Context(
            client=s.kube,
            context=s.kube.info.context,
            store=s.store,
            non_critical=tuple(s.settings.emergency_non_critical),
            hosts=s.host_manager,
            api_server=s.kube.info.server,
            clock=s.clock,
        )

    def record_timeline(self, entries: list[TimelineEntry]) -> None:
        """Findings seen and cleared go to the same record as the actions."""
        try:
            for entry in entries:
                self.audit.record_event(entry.as_json())
        except OSError as e:  # the findings stay on screen; the record says why it lacks them
            if not self.audit_warned:
                self.audit_warned = True
                self.screens.say(f"findings are not recorded: {self.audit.explain(e)}", "error")

    # -- the walk ------------------------------------------------------------------------
    def start(self, action_id: str, target: Target | None = None) -> None:
        self.screens.start_work(
            self.walk(action_id, target), f"action:{action_id}", f"prepare {action_id}"
        )

    async def walk(self, action_id: str, target: Target | None = None) -> None:
        say = self.screens.say
        action = registry.get(action_id)
        if self.session.settings.read_only and action.mutating:
            what = "the host" if action.target_kind == "host" else "the cluster"
            say(f"{action_id} changes {what}: not in read-only mode", "error")
            return
        if not self.offers(action):
            say(f"{action_id} needs the cluster: no cluster connected", "error")
            return
        resolved = target or self.target_for(action)
        if isinstance(resolved, str):
            say(resolved, "warning")
            return
        if isinstance(action, ReadOnlyPodAction):
            await self.open_view(action, resolved)
            return
        ctx = self.context()
        params = await self.ask_params(action, ctx, resolved)
        if params is None:
            return
        plan = action.plan(ctx, resolved, params)
        if not action.mutating:  # a check: nothing to confirm, nothing to audit
            if plan.refusal:
                say(plan.refusal, "error")
                return
            self.open_tail(plan, self.producer(action, plan, ctx, audited=False))
            return
        unwritable = self.audit.unwritable()
        if unwritable:  # refused before the dry run: nothing reaches the cluster or host
            say(unwritable, "error")
            return
        self.session.pause_polling(True)
        try:
            # a host plan has no HTTP request: its "dry run" only carries a refusal
            dry = await asyncio.to_thread(dry_run, ctx, plan)
            confirmed = await self.screens.ask(ConfirmScreen(plan, dry))
        finally:
            self.session.pause_polling(False)
        if not confirmed:
            outcome = (
                "refused" if plan.refusal else ("dry-run-failed" if not dry.ok else "cancelled")
            )
            try:
                self.audit.record(
                    plan, outcome, plan.refusal or (dry.message if not dry.ok else "")
                )
            except OSError as e:
                say(self.audit.explain(e), "error")
            return
        unwritable = self.audit.record_start(plan)  # the disk may have filled meanwhile
        if unwritable:
            say(unwritable, "error")
            return
        self.open_tail(plan, self.producer(action, plan, ctx, audited=True))

    async def ask_params(
        self, action: Action, ctx: Context, target: Target
    ) -> dict[str, Any] | None:
        params: dict[str, Any] = {}
        if isinstance(action, EmergencyScaleRestore):
            try:
                params["remembered"] = await asyncio.to_thread(remembered_replicas, ctx)
            except Exception as e:
                self.screens.say(f"cannot read the deployments: {e}", "error")
                return None
        if action.params:
            defaults = action.defaults(ctx, target) if hasattr(action, "defaults") else {}
            choices = action.choices(ctx, target) if hasattr(action, "choices") else []
            asked = await self.screens.ask(
                ParamsScreen(action.title, str(target), defaults, action.params, choices)
            )
            if asked is None:
                return None
            params.update(asked)
        return params

    def open_tail(self, plan: Plan, producer: Producer) -> None:
        where = f"host {plan.host}" if plan.host else f"{plan.target} · context {plan.context}"
        self.screens.show(
            TailScreen(f"{plan.title} · {where}", producer, name_for_save=plan.action_id)
        )

    def producer(self, action: Action, plan: Plan, ctx: Context, *, audited: bool) -> Producer:
        """The run, in the tail's worker thread: a check only shows its outcome; a
        mutation's outcome is audited, and a rollout goes on with the new pod's logs."""

        def produce(buffer: LineBuffer, stop: threading.Event) -> None:
            if not plan.host:
                buffer.put(f"$ {plan.equivalent}", "notice")
            if not audited:
                outcome = action.run(ctx, plan, lambda line: buffer.put(line), stop)
                buffer.put(outcome.message, "notice" if outcome.ok else "error")
                return
            started = time.monotonic()
            try:
                outcome = action.run(ctx, plan, lambda line: buffer.put(line), stop)
            except Exception as e:  # audited as a failure, shown, never a crash
                self.record_outcome(buffer, plan, "failed", f"{type(e).__name__}: {e}", started)
                raise
            ok = outcome.ok
            self.record_outcome(
                buffer, plan, "succeeded" if ok else "failed", outcome.message, started
            )
            buffer.put(
                ("done: " if ok else "failed: ") + outcome.message, "notice" if ok else "error"
            )
            if ok and plan.action_id in FOLLOW_LOGS_AFTER and not stop.is_set():
                self.follow_new_pod_logs(ctx, plan, buffer, stop)

        return produce

    def record_outcome(
        self, buffer: LineBuffer, plan: Plan, outcome: str, message: str, started: float
    ) -> None:
        """The outcome's line; a log that filled up during the run is said in the tail
        (its "action-starting" line is already there)."""
        try:
            self.audit.record(plan, outcome, message, time.monotonic() - started)
        except OSError as e:
            buffer.put(
                f"the outcome ({outcome}) could not be audited: {self.audit.explain(e)}", "error"
            )

    def follow_new_pod_logs(
        self, ctx: Context, plan: Plan, buffer: LineBuffer, stop: threading.Event
    ) -> None:
        """After a rollout: the newest pod's logs, live."""
        ns = plan.target.namespace
        try:
            newest = newest_pod(ctx, ns, plan.target.name)
        except ApiError as e:
            buffer.put(f"cannot list the new pods: {e.message}", "error")
            return
        if newest:
            buffer.put(f"— logs of the new pod {newest} —", "notice")
            request = LogRequest(ns, newest, tail_lines=100)
            stream_until(PodLogStream(self.session.kube, request, buffer), stop)

    def open_report(self) -> None:
        """The incident's record so far (last 24 h of the audit log), as `report` writes it.
        Imported when asked: the Markdown widget costs memory the console rarely needs."""
        from tui.report import build, read_log
        from tui.screens.report import ReportScreen

        path, now = self.audit.path, time.time()
        try:
            entries, bad = read_log(path) if path.exists() else ([], 0)
        except OSError as e:
            self.screens.say(f"cannot read {path}: {e.strerror}", "error")
            return
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.screens.show(
            ReportScreen(
                f"incident report · last 24 h · {path}",
                build(entries, now - 86400, now, str(path), bad),
                state_dir() / f"report-{stamp}.md",
            )
        )

    # -- any kind's rows (`:kind`) -------------------------------------------------------
    def act_on_row(self, action_id: str, kind: ApiKind, row: Row) -> None:
        """An action from a row of the resource screen: its target is the row."""
        action = registry.get(action_id)
        target = row_target(action, kind, row, self.session.store)
        if isinstance(target, str):
            self.screens.say(target, "warning")
            return
        self.start(action_id, target)

    def view_row(self, kind: ApiKind, row: Row, mode: Literal["describe", "yaml"]) -> None:
        self.screens.start_work(self._view_row(kind, row, mode), f"view:{mode}", f"{mode} a row")

    async def _view_row(self, kind: ApiKind, row: Row, mode: str) -> None:
        path = f"{kind.path(row.namespace)}/{row.name}"
        ctx = self.context()
        try:
            obj, events = await asyncio.to_thread(
                object_and_events, ctx, path, kind.kind, row.namespace, row.name
            )
        except Exception as e:  # ApiFailure carries the server's message
            self.screens.say(f"{mode} {kind.name} {row.key}: {e}", "error")
            return
        where = f"{kind.name} {row.key} · context {self.session.kube.info.context}"
        if mode == "yaml":
            self.screens.show(DescribeScreen(f"yaml {where}", yaml_lines(obj)))
        else:
            self.screens.show(
                DescribeScreen(f"describe {where}", describe_object(obj, events, ctx.clock()))
            )

    # -- views ---------------------------------------------------------------------------
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
        try:
            pod, events = await asyncio.to_thread(pod_and_events, self.context(), ns, name)
        except ApiError as e:
            self.screens.say(f"describe {ns}/{name}: {e.status} {e.message}", "error")
            return
        except Exception as e:
            self.screens.say(f"describe {ns}/{name}: cannot reach the API server ({e})", "error")
            return
        self.screens.show(
            DescribeScreen(
                f"describe pod {ns}/{name} · context {self.session.kube.info.context}",
                describe_pod(pod, events, self.session.clock()),
            )
        )
