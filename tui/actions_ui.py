"""How the console runs an action: selection -> parameters -> plan -> dry run -> confirm
-> run in a worker with a live tail -> audit. Nothing but the dry run reaches the server
before the confirmation; every outcome (cancelled, refused, failed, succeeded) is audited.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actions import registry
from actions.audit import AuditLog
from actions.base import Action, Context, Plan, Target
from actions.flux import flux_target
from actions.kubernetes import (
    EmergencyScaleRestore,
    ReadOnlyPodAction,
    dry_run,
    remembered_replicas,
)
from tui.describe import describe_pod
from tui.screens.confirm import ConfirmScreen
from tui.screens.describe import DescribeScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import Producer, TailScreen
from tui.sources.kube import ApiError
from tui.sources.logs import LineBuffer, LogRequest, PodLogStream
from tui.store import Pod

if TYPE_CHECKING:
    from tui.app import IncidentApp

FOLLOW_LOGS_AFTER = {"deployment.restart", "deployment.scale", "deployment.set-resources"}


def stream_until(stream: PodLogStream, stop: threading.Event) -> None:
    """Run a log stream in this thread until it ends or `stop` is set."""

    def stopper() -> None:
        stop.wait()
        stream.stop()

    threading.Thread(target=stopper, daemon=True, name="log-stream-stop").start()
    stream.run()


def pod_logs_producer(app: IncidentApp, request: LogRequest) -> Producer:
    def produce(buffer: LineBuffer, stop: threading.Event) -> None:
        stream_until(PodLogStream(app.kube, request, buffer), stop)

    return produce


class ActionRunner:
    """The App's side of actions; kept out of app.py so each stays readable."""

    def __init__(self, app: IncidentApp) -> None:
        self.app = app
        settings = app.settings
        self.audit = AuditLog(
            Path(settings.audit_log) if settings.audit_log else None, kube_user=app.kube.info.user
        )

    @property
    def read_only(self) -> bool:
        return self.app.settings.read_only

    def context(self) -> Context:
        return Context(
            client=self.app.kube,
            context=self.app.kube.info.context,
            store=self.app.store,
            non_critical=tuple(self.app.settings.emergency_non_critical),
            hosts=self.app.host_manager,
            api_server=self.app.kube.info.server,
        )

    # -- the selection -------------------------------------------------------------
    def selected_pod(self) -> Pod | None:
        pod: Pod | None = self.app.query_one("#pods-table").selected  # type: ignore[attr-defined]
        return pod

    def target_for(self, action: Action, pod: Pod | None = None) -> Target | str:
        """The target an action takes from the selection, or why there is none."""
        if action.target_kind == "cluster":
            return Target("cluster")
        if action.target_kind == "host":
            view = self.app.panes["hosts"].host  # type: ignore[union-attr]
            if view is None:
                return "no host: run with --local or --ssh TARGET"
            return Target("host", name=view.name)
        if action.target_kind == "flux":
            o = self.app.query_one("#flux-table").selected  # type: ignore[attr-defined]
            if o is None:
                return "select a Flux object first"
            return flux_target(self.app.store, o)
        pod = pod or self.selected_pod()
        if pod is None:
            return "select a pod first"
        if action.target_kind == "pod":
            container = pod.containers[0].name if pod.containers else ""
            return Target("pod", pod.namespace, pod.name, container)
        dep = self.app.store.deployment_of(pod)
        if dep is None:
            return f"{pod.namespace}/{pod.name} is not run by a Deployment"
        if action.target_kind == "deployment":
            return Target("deployment", dep.namespace, dep.name)
        if action.target_kind == "endpoints":
            return Target("endpoints", dep.namespace, dep.name)
        return f"no target for {action.id}"

    # -- the flow ----------------------------------------------------------------------
    def start(self, action_id: str, target: Target | None = None) -> None:
        self.app.run_worker(
            self.flow(action_id, target),
            name=f"action:{action_id}",
            group="actions",
            exclusive=True,
            exit_on_error=False,
            description=f"prepare {action_id}",
        )

    async def flow(self, action_id: str, target: Target | None = None) -> None:
        app = self.app
        action = registry.get(action_id)
        if self.read_only and action.mutating:
            what = "the host" if action.target_kind == "host" else "the cluster"
            app.notify(f"{action_id} changes {what}: not in read-only mode", severity="error")
            return
        if not app.offers(action):
            app.notify(f"{action_id} needs the cluster: no cluster connected", severity="error")
            return
        resolved = target or self.target_for(action)
        if isinstance(resolved, str):
            app.notify(resolved, severity="warning")
            return
        if isinstance(action, ReadOnlyPodAction):
            await self.open_view(action, resolved)
            return
        ctx = self.context()
        params: dict[str, Any] = {}
        if isinstance(action, EmergencyScaleRestore):
            try:
                params["remembered"] = await asyncio.to_thread(remembered_replicas, ctx)
            except Exception as e:
                app.notify(f"cannot read the deployments: {e}", severity="error")
                return
        if action.params:
            defaults = action.defaults(ctx, resolved) if hasattr(action, "defaults") else {}
            choices = action.choices(ctx, resolved) if hasattr(action, "choices") else []
            asked = await app.push_screen_wait(
                ParamsScreen(action.title, str(resolved), defaults, action.params, choices)
            )
            if asked is None:
                return
            params.update(asked)
        plan = action.plan(ctx, resolved, params)
        if not action.mutating:  # a check: nothing to confirm, nothing to audit
            if plan.refusal:
                app.notify(plan.refusal, severity="error")
                return
            self.open_tail(plan, self.check_producer(action, plan, ctx))
            return
        unwritable = self.audit.unwritable()
        if unwritable:  # refused before the dry run: nothing reaches the cluster or host
            app.notify(unwritable, severity="error", timeout=15)
            return
        app.pause_polling(True)
        try:
            # a host plan has no HTTP request: its "dry run" only carries a refusal
            dry = await asyncio.to_thread(dry_run, ctx, plan)
            confirmed = await app.push_screen_wait(ConfirmScreen(plan, dry))
        finally:
            app.pause_polling(False)
        if not confirmed:
            outcome = (
                "refused" if plan.refusal else ("dry-run-failed" if not dry.ok else "cancelled")
            )
            try:
                self.audit.record(
                    plan, outcome, plan.refusal or (dry.message if not dry.ok else "")
                )
            except OSError as e:
                app.notify(self.audit.explain(e), severity="error", timeout=15)
            return
        unwritable = self.audit.record_start(plan)  # the disk may have filled meanwhile
        if unwritable:
            app.notify(unwritable, severity="error", timeout=15)
            return
        self.open_tail(plan, self.run_producer(action, plan, ctx))

    def open_tail(self, plan: Plan, producer: Producer) -> None:
        where = f"host {plan.host}" if plan.host else f"{plan.target} · context {plan.context}"
        self.app.push_screen(
            TailScreen(f"{plan.title} · {where}", producer, name_for_save=plan.action_id)
        )

    def check_producer(self, action: Action, plan: Plan, ctx: Context) -> Producer:
        def produce(buffer: LineBuffer, stop: threading.Event) -> None:
            if not plan.host:
                buffer.put(f"$ {plan.equivalent}", "notice")
            outcome = action.run(ctx, plan, lambda line: buffer.put(line), stop)
            buffer.put(outcome.message, "notice" if outcome.ok else "error")

        return produce

    def run_producer(self, action: Action, plan: Plan, ctx: Context) -> Producer:
        def produce(buffer: LineBuffer, stop: threading.Event) -> None:
            if not plan.host:
                buffer.put(f"$ {plan.equivalent}", "notice")
            started = time.monotonic()
            try:
                outcome = action.run(ctx, plan, lambda line: buffer.put(line), stop)
            except Exception as e:  # audited as a failure, shown, never a crash
                self.record_outcome(buffer, plan, "failed", f"{type(e).__name__}: {e}", started)
                raise
            self.record_outcome(
                buffer, plan, "succeeded" if outcome.ok else "failed", outcome.message, started
            )
            buffer.put(
                ("done: " if outcome.ok else "failed: ") + outcome.message,
                "notice" if outcome.ok else "error",
            )
            if outcome.ok and plan.action_id in FOLLOW_LOGS_AFTER and not stop.is_set():
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
        ns, name = plan.target.namespace, plan.target.name
        try:
            dep = ctx.client.json("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
            labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            selector = ",".join(f"{k}={v}" for k, v in labels.items())
            pods = ctx.client.json(
                "GET", f"/api/v1/namespaces/{ns}/pods", query={"labelSelector": selector}
            )
        except ApiError as e:
            buffer.put(f"cannot list the new pods: {e.message}", "error")
            return
        items = sorted(
            (
                p
                for p in pods.get("items") or []
                if not (p.get("metadata") or {}).get("deletionTimestamp")
            ),
            key=lambda p: (p.get("metadata") or {}).get("creationTimestamp", ""),
        )
        if not items:
            return
        newest = items[-1]["metadata"]["name"]
        buffer.put(f"— logs of the new pod {newest} —", "notice")
        stream_until(
            PodLogStream(self.app.kube, LogRequest(ns, newest, tail_lines=100), buffer), stop
        )

    # -- views -----------------------------------------------------------------------
    async def open_view(self, action: Action, target: Target) -> None:
        app = self.app
        pod = app.store.find("pods", target.namespace, target.name)
        containers = [c.name for c in pod.containers] if pod is not None else []
        if action.id == "pod.describe":
            await self.describe(target)
            return
        previous = action.id == "pod.logs-previous"

        def producer_for(container: str) -> Producer:
            return pod_logs_producer(
                app,
                LogRequest(
                    target.namespace, target.name, container, previous=previous, follow=not previous
                ),
            )

        first = containers[0] if containers else ""
        app.push_screen(
            TailScreen(
                f"{'previous ' if previous else ''}logs · {target.namespace}/{target.name}"
                f" · context {app.kube.info.context}",
                producer_for(first),
                name_for_save=target.name,
                containers=containers,
                switch_container=producer_for,
            )
        )

    async def describe(self, target: Target) -> None:
        app = self.app
        ns, name = target.namespace, target.name

        def fetch() -> tuple[Any, Any]:
            pod = app.kube.json("GET", f"/api/v1/namespaces/{ns}/pods/{name}")
            events = app.kube.json(
                "GET",
                f"/api/v1/namespaces/{ns}/events",
                query={"fieldSelector": f"involvedObject.name={name}"},
            )
            return pod, events

        try:
            pod, events = await asyncio.to_thread(fetch)
        except ApiError as e:
            app.notify(f"describe {ns}/{name}: {e.status} {e.message}", severity="error")
            return
        except Exception as e:
            app.notify(f"describe {ns}/{name}: cannot reach the API server ({e})", severity="error")
            return
        lines = describe_pod(pod, list(events.get("items") or []))
        app.push_screen(
            DescribeScreen(f"describe pod {ns}/{name} · context {app.kube.info.context}", lines)
        )
