"""An action's walk, in one place: target -> parameters -> plan -> dry run -> confirm ->
audit "starting" -> run with a live tail -> audit the outcome.

Nothing but the dry run reaches the server before the confirmation, and every outcome
(cancelled, refused, failed, succeeded) is audited here and nowhere else. The flow
reaches the cluster and the hosts only through `actions/`, and the UI only through the
small `Screens` protocol (the App implements it; tui/views.py has it and the read-only
screens).

A change to an object Flux applies is traced to its Kustomization/HelmRelease before the
confirmation, which then offers the ways of actions/gitops.py, the safe one first; the
chosen way's requests run in order, each audited on its own line.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path
from typing import Any

from actions import gitops, registry
from actions.audit import AuditLog
from actions.backup import backup_ways
from actions.base import Action, Context, Outcome, Plan, Target
from actions.emergency import EmergencyScaleRestore, remembered_replicas
from actions.forward import SHELL
from actions.kubernetes import dry_run, send_all
from actions.pods import ReadOnlyPodAction, newest_pod
from actions.probes import Probe
from actions.targets import finding_target, row_target, target_for
from tui.records import Records
from tui.screens.confirm import ConfirmScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import Producer, TailScreen
from tui.session import Session
from tui.sources import alertmanager
from tui.sources.client import ApiError
from tui.sources.discovery import ApiKind
from tui.sources.logs import LineBuffer, LogRequest, PodLogStream
from tui.sources.podexec import ExecError, run_tty
from tui.sources.portforward import Forwarder
from tui.store.resources import Row
from tui.triage import Finding, TimelineEntry
from tui.views import AppScreens, Screens, Views, stream_until

__all__ = ["ActionFlow", "AppScreens"]  # the App builds the flow on its Screens
FOLLOW_LOGS_AFTER = {"deployment.restart", "deployment.scale", "deployment.set-resources"}


class ActionFlow:
    def __init__(self, session: Session, screens: Screens) -> None:
        self.session = session
        self.screens = screens
        settings = session.settings
        self.audit = AuditLog(
            Path(settings.audit_log) if settings.audit_log else None,
            kube_user=session.kube.info.user,
        )
        self.records = Records(session, screens, self.audit)
        self.forwarder = Forwarder(session.kube)  # the port-forwards, closed at exit
        self.remember = self.records.remember
        self.views = Views(
            session, screens, self.context, self.audit.path, self.records.recorder.settle
        )
        self.view_row = self.views.view_row
        self.open_report = self.views.open_report

    # -- what is offered, and on what ---------------------------------------------------
    def offers(self, action: Action) -> bool:
        """Read-only mode offers no mutation; with no cluster, only the host actions."""
        if not registry.offered(action.id, self.session.settings.read_only):
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
            read_only=s.settings.read_only,
            alertmanager=alertmanager.endpoint_of(s.settings),
            settings=s.settings,
            findings=tuple(s.tracker.active.values()),
            incident=self.records.current(),
            cluster=self.records.cluster,
            forwards=self.forwarder,
        )

    def record_timeline(self, entries: list[TimelineEntry]) -> None:
        self.records.timeline(entries)

    # -- the walk ------------------------------------------------------------------------
    def start(self, action_id: str, target: Target | None = None) -> None:
        self.screens.start_work(
            self.walk(action_id, target), f"action:{action_id}", f"prepare {action_id}"
        )

    async def walk(self, action_id: str, target: Target | None = None) -> None:
        """The walk; a failure while preparing is said and recorded, never silent (the
        worker that runs it would swallow it)."""
        try:
            await self._walk(action_id, target)
        except Exception as e:
            why = f"{action_id} could not be prepared: {type(e).__name__}: {e}"
            self.screens.say(why, "error")
            with contextlib.suppress(OSError):
                self.audit.record_event({"event": "action-not-prepared", "id": action_id,
                                         "error": why[:500]})  # fmt: skip

    async def _walk(self, action_id: str, target: Target | None = None) -> None:
        say = self.screens.say
        action = registry.get(action_id)
        if not registry.offered(action_id, self.session.settings.read_only):
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
        if action.id == "flux.trace":
            await self.views.trace(resolved)
            return
        if isinstance(action, ReadOnlyPodAction):
            await self.views.open_view(action, resolved)
            return
        ctx = self.context()
        params = await self.ask_params(action, ctx, resolved)
        if params is None:
            return
        plan = action.plan(ctx, resolved, params)
        fallbacks: list[gitops.Way] = []
        if isinstance(action, Probe) and not plan.refusal:  # by exec, if the image can
            plan = await asyncio.to_thread(action.locate, ctx, plan)
            if plan.refusal or plan.data.get("result") is not None:  # done, changing nothing
                self.open_tail(plan, self.producer(action, plan, ctx, audited=False))
                return
            if self.session.settings.read_only:
                lacks = f"{plan.target.name}'s image has no {action.tool}"
                say(f"{lacks}; a debug container or a throwaway pod changes the cluster:"
                    " not in read-only mode", "error")  # fmt: skip
                return
            fallbacks = action.ways(ctx, plan)
        elif not action.mutating:  # a check: nothing to confirm, nothing to audit
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
            dry, found = await asyncio.to_thread(self.prepare, action, ctx, plan)
            ways = gitops.ways_for(ctx, plan, found) or backup_ways(ctx, plan) or fallbacks
            flux = gitops.lines_for(found, ctx.clock())
            screen = ConfirmScreen(plan, dry, ways, flux)
            confirmed = await self.screens.ask(screen)
        finally:
            self.session.pause_polling(False)
        way = ways[screen.choice] if ways else None
        extra = gitops.record_for(found, way.key, plan) if way else {}
        if not confirmed:
            outcome = (
                "refused" if plan.refusal else ("dry-run-failed" if not dry.ok else "cancelled")
            )
            why = plan.refusal or (dry.message if not dry.ok else "")
            self.remember(plan, outcome, why)
            try:
                self.audit.record(plan, outcome, why, extra=extra)
            except OSError as e:
                say(self.audit.explain(e), "error")
            return
        steps = way.plans if way else (plan,)
        plan = steps[-1]  # a probe's way is its own plan (a debug container, a pod)
        unwritable = self.audit.record_start(steps[0])  # the disk may have filled meanwhile
        if unwritable:
            say(unwritable, "error")
            return
        if action.id == "pod.shell":
            await self.shell(plan)
            return
        self.open_tail(
            plan, self.producer(action, plan, ctx, audited=True, steps=steps, extra=extra)
        )

    async def shell(self, plan: Plan) -> None:
        """The pod's shell on this terminal; its end audited (its start already is)."""
        t, started = plan.target, time.monotonic()
        argv = ["sh", "-c", SHELL]
        try:
            code = self.screens.in_terminal(
                lambda: run_tty(self.session.kube, t.namespace, t.name, argv, 0, 1, t.container)
            )
            outcome, why = "succeeded", f"the shell ended (exit code {code})"
        except (RuntimeError, ExecError, OSError) as e:
            outcome, why = "failed", str(e)
        self.screens.say(why, "information" if outcome == "succeeded" else "error")
        self.remember(plan, outcome, why)
        try:
            self.audit.record(plan, outcome, why, time.monotonic() - started)
        except OSError as e:
            self.screens.say(self.audit.explain(e), "error")

    @staticmethod
    def prepare(action: Action, ctx: Context, plan: Plan) -> tuple[Outcome, gitops.Survey]:
        """In a worker thread: the dry run, and for a change Flux may revert, the trace of
        each object it changes."""
        dry = dry_run(ctx, plan)
        if not action.gitops or plan.refusal:
            return dry, gitops.Survey()
        return dry, gitops.survey(ctx, plan)

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

    def producer(
        self,
        action: Action,
        plan: Plan,
        ctx: Context,
        *,
        audited: bool,
        steps: tuple[Plan, ...] = (),
        extra: dict[str, Any] | None = None,
    ) -> Producer:
        """The run, in the tail's worker thread: a check only shows its outcome; a
        mutation's outcome is audited, and a rollout goes on with the new pod's logs.
        `steps`: what runs first (suspend, annotate), each audited, in order."""

        def produce(buffer: LineBuffer, stop: threading.Event) -> None:
            if not audited:
                if not plan.host:
                    buffer.put(f"$ {plan.equivalent}", "notice")
                started = time.monotonic()
                outcome = action.run(ctx, plan, lambda line: buffer.put(line), stop)
                buffer.put(outcome.message, "notice" if outcome.ok else "error")
                if plan.data.get("audit"):  # a probe: read-only, and on the record
                    state = "succeeded" if outcome.ok else "failed"
                    self.record_outcome(buffer, plan, state, outcome.message, started)
                return
            if not self.run_steps(steps[:-1], plan, ctx, buffer, extra, stop):
                return
            if not plan.host:
                buffer.put(f"$ {plan.equivalent}", "notice")
            started = time.monotonic()
            try:
                outcome = action.run(ctx, plan, lambda line: buffer.put(line), stop)
            except Exception as e:  # audited as a failure, shown, never a crash
                self.record_outcome(
                    buffer, plan, "failed", f"{type(e).__name__}: {e}", started, extra
                )
                raise
            ok = outcome.ok
            state = outcome.audited_as or ("succeeded" if ok else "failed")
            self.record_outcome(buffer, plan, state, outcome.message, started, extra)
            buffer.put(
                ("done: " if ok else "failed: ") + outcome.message, "notice" if ok else "error"
            )
            if ok and plan.action_id in FOLLOW_LOGS_AFTER and not stop.is_set():
                self.follow_new_pod_logs(ctx, plan, buffer, stop)

        return produce

    def run_steps(
        self,
        before: tuple[Plan, ...],
        plan: Plan,
        ctx: Context,
        buffer: LineBuffer,
        extra: dict[str, Any] | None,
        stop: threading.Event,
    ) -> bool:
        """The requests that make a change stick under Flux, each sent and audited before
        the action's own (whose "action-starting" line then follows); False: stop there."""
        for i, step in enumerate(before):
            if i:
                unwritable = self.audit.record_start(step)
                if unwritable:
                    buffer.put(unwritable, "error")
                    return False
            buffer.put(f"$ {step.equivalent}", "notice")
            started = time.monotonic()
            if step.requests:
                sent = send_all(ctx, step, lambda line: buffer.put(line))
            else:  # a backup first: on a host, or Prometheus's API
                before_run = registry.get(step.action_id)
                sent = before_run.run(ctx, step, lambda line: buffer.put(line), stop)
            state = "succeeded" if sent.ok else "failed"
            self.record_outcome(
                buffer, step, state, sent.message, started, {"before": plan.action_id}
            )
            if not sent.ok:
                buffer.put(f"failed: {sent.message}; {plan.action_id} was not run", "error")
                try:
                    self.audit.record(plan, "cancelled", f"{step.action_id} failed", extra=extra)
                except OSError as e:
                    buffer.put(self.audit.explain(e), "error")
                return False
            buffer.put(f"done: {step.summary}", "notice")
        if before:
            unwritable = self.audit.record_start(plan)
            if unwritable:
                buffer.put(unwritable, "error")
                return False
        return True

    def record_outcome(
        self,
        buffer: LineBuffer,
        plan: Plan,
        outcome: str,
        message: str,
        started: float,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """The outcome's line; a log that filled up during the run is said in the tail
        (its "action-starting" line is already there)."""
        self.remember(plan, outcome, message)
        try:
            self.audit.record(plan, outcome, message, time.monotonic() - started, extra)
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

    # -- any kind's rows (`:kind`) -------------------------------------------------------
    def act_on_row(self, action_id: str, kind: ApiKind, row: Row) -> None:
        """An action from a row of the resource screen: its target is the row."""
        action = registry.get(action_id)
        target = row_target(action, kind, row, self.session.store)
        if isinstance(target, str):
            self.screens.say(target, "warning")
            return
        self.start(action_id, target)
