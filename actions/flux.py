"""Flux remediations with the flux CLI's semantics (../shared/DESIGN.md):

reconcile = merge-patch metadata.annotations["reconcile.fluxcd.io/requestedAt"] (RFC 3339
nano), refused when spec.suspend is true, then poll every 2 s (5 min timeout) until
status.lastHandledReconcileAt is that value and the object is Current (not terminating,
observedGeneration == generation, no Reconciling=True, no Stalled=True) and Ready=True;
Ready=False is the failure, with its message. --with-source does the source first.
suspend/resume = merge-patch spec.suspend; resume also requests a reconcile and waits.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target
from actions.fluxwait import controller_logs, wait_reconciled
from actions.kubernetes import ApiFailure, send, send_all
from tui.store.flux import FluxObject
from tui.store.meta import CONSOLE_BY, CONSOLE_SUSPENDED_AT

REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
CLI_KIND = {
    "GitRepository": "source git",
    "OCIRepository": "source oci",
    "HelmRepository": "source helm",
    "HelmChart": "source chart",
    "Bucket": "source bucket",
    "Kustomization": "kustomization",
    "HelmRelease": "helmrelease",
    "ImageRepository": "image repository",
    "ImagePolicy": "image policy",
    "ImageUpdateAutomation": "image update",
}


def rfc3339_nano(t: float | None = None) -> str:
    t = time.time() if t is None else t
    stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{int((t % 1) * 1e9):09d}Z"


def flux_cli(verb: str, kind: str, name: str, namespace: str, context: str, *extra: str) -> str:
    import shlex

    words = ["flux", "--context", context, verb, *CLI_KIND.get(kind, "KIND").split()]
    return shlex.join([*words, name, "-n", namespace, *extra])


def annotate(requested: str) -> JSON:
    return {"metadata": {"annotations": {REQUESTED_AT: requested}}}


class FluxAction(Action):
    target_kind = "flux"

    def flux_object(self, ctx: Context, target: Target) -> FluxObject | None:
        for o in ctx.store.flux_objects():
            if o.kind == target.kind and o.name == target.name and o.namespace == target.namespace:
                found: FluxObject = o
                return found
        return None


class Reconcile(FluxAction):
    id = "flux.reconcile"
    title = "Flux reconcile"
    description = "Ask the controller to reconcile now; wait until handled and Ready"
    with_source = False

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        extra = ("--with-source",) if self.with_source else ()
        return flux_cli("reconcile", target.kind, target.name, target.namespace, context, *extra)

    def source_target(self, ctx: Context, o: FluxObject | None) -> Target | None:
        if o is None or not o.source_kind:
            return None
        for s in ctx.store.flux_objects():
            if (s.kind, s.name, s.namespace) == (o.source_kind, o.source_name, o.source_namespace):
                return flux_target(ctx.store, s)
        return None

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        o = self.flux_object(ctx, target)
        requested = rfc3339_nano(ctx.clock())
        requests = []
        refusal = ""
        data: dict[str, Any] = {"requested": requested}
        if o is not None and o.suspended:
            refusal = (
                f"{target.kind} {target.namespace}/{target.name} is suspended: resume it first"
            )
        if self.with_source:
            src = self.source_target(ctx, o)
            if src is None:
                refusal = refusal or f"the source of {target.kind} {target.name} is not known"
            else:
                requests.append(
                    Request("PATCH", src.path, annotate(requested), "application/merge-patch+json")
                )
                data["source"] = src
        requests.append(
            Request("PATCH", target.path, annotate(requested), "application/merge-patch+json")
        )
        what = " its source, then" if self.with_source else ""
        return self.make_plan(
            ctx,
            target,
            params,
            tuple(requests),
            f"Annotate{what} {target.kind} {target.namespace}/{target.name} with {REQUESTED_AT}; "
            "wait until the controller handled it and the object is Ready (5 min at most).",
            refusal=refusal,
            data=data,
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        requested = plan.data["requested"]
        steps: list[tuple[Request, Target]] = []
        if "source" in plan.data:
            steps.append((plan.requests[0], plan.data["source"]))
        steps.append((plan.requests[-1], plan.target))
        outcome = Outcome(False, "nothing done")
        for request, target in steps:
            with controller_logs(ctx, target) as logs:  # the controller's lines meanwhile
                outcome = self.step(ctx, plan, request, target, requested, emit, stop, logs)
            if not outcome.ok:
                return outcome
        return outcome

    def step(
        self,
        ctx: Context,
        plan: Plan,
        request: Request,
        target: Target,
        requested: str,
        emit: Emit,
        stop: threading.Event,
        logs: Any,
    ) -> Outcome:
        """One object: annotate, then wait with the controller's lines about it."""
        emit(f"► annotating {target.kind} {target.name} in {target.namespace} namespace")
        one = Plan(plan.action_id, plan.title, target, plan.context, (request,), "", "")
        sent = send_all(ctx, one, emit)
        if not sent.ok:
            return sent
        emit(f"◎ waiting for {target.kind} reconciliation")
        return wait_reconciled(ctx, target, requested, emit, stop, logs=logs)


def flux_target(store: Any, o: FluxObject) -> Target:
    """A Flux object as an action's target, with its API path at the version discovered."""
    return Target(o.kind, o.namespace, o.name, path=store.flux_path(o.kind, o.namespace, o.name))


class ReconcileWithSource(Reconcile):
    id = "flux.reconcile-with-source"
    title = "Flux reconcile with source"
    description = "Reconcile the source first, then the object (flux reconcile --with-source)"
    with_source = True


class Suspend(FluxAction):
    mitigates = False
    id = "flux.suspend"
    title = "Flux suspend"
    description = "Stop reconciling this object (spec.suspend: true)"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return flux_cli("suspend", target.kind, target.name, target.namespace, context)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        return self.make_plan(
            ctx,
            target,
            params,
            (
                Request(
                    "PATCH",
                    target.path,
                    {"spec": {"suspend": True}},
                    "application/merge-patch+json",
                ),
            ),
            f"{target.kind} {target.namespace}/{target.name} stops being reconciled until resumed.",
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        return send_all(ctx, plan, emit)


class Resume(FluxAction):
    id = "flux.resume"
    title = "Flux resume"
    description = "Reconcile this object again (spec.suspend: false); wait for Ready"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return flux_cli("resume", target.kind, target.name, target.namespace, context)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        requested = rfc3339_nano(ctx.clock())
        # the marks this console leaves when it suspends (the finding's source) go too
        marks = {CONSOLE_SUSPENDED_AT: None, CONSOLE_BY: None}
        body = {
            "metadata": {"annotations": {REQUESTED_AT: requested, **marks}},
            "spec": {"suspend": False},
        }
        return self.make_plan(
            ctx,
            target,
            params,
            (Request("PATCH", target.path, body, "application/merge-patch+json"),),
            f"{target.kind} {target.namespace}/{target.name} is reconciled again; wait for Ready."
            " Its reconcile re-applies Git: what was changed by hand on its objects meanwhile"
            " is reverted unless it is in Git now (the report lists those changes).",
            data={"requested": requested},
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        sent = send_all(ctx, plan, emit)
        if not sent.ok:
            return sent
        return wait_reconciled(ctx, plan.target, plan.data["requested"], emit, stop)


class SopsCheck(FluxAction):
    id = "flux.sops-check"
    title = "Flux SOPS check"
    description = "Does sops-age exist with an *.agekey entry; which Kustomizations fail to decrypt"
    mutating = False
    target_kind = "cluster"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return f"kubectl --context {context} -n flux-system get secret sops-age"

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        return Plan(
            self.id,
            self.title,
            Target("cluster"),
            ctx.context,
            (Request("GET", "/api/v1/namespaces/flux-system/secrets/sops-age"),),
            self.equivalent(target, ctx.context, params),
            "Reads the secret's key names only (its values are dropped unread) and lists the "
            "Kustomizations whose Ready message says decryption failed.",
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        ok = True
        try:
            secret = send(ctx, plan.requests[0])
            keys = sorted((secret.get("data") or {}).keys())
            secret = None  # the values are never kept, shown or logged
            agekeys = [k for k in keys if k.endswith(".agekey")]
            emit(f"secret flux-system/sops-age exists; keys: {', '.join(keys) or '(none)'}")
            if agekeys:
                emit(f"✔ age key entry: {', '.join(agekeys)}")
            else:
                ok = False
                emit("✖ no *.agekey entry: kustomize-controller finds no age identity in it")
        except ApiFailure as e:
            ok = False
            emit(f"✖ secret flux-system/sops-age: {e}")
        failing = [
            o for o in ctx.store.flux_objects() if o.kind == "Kustomization" and o.sops_failure
        ]
        for o in failing:
            emit(f"✖ Kustomization {o.namespace}/{o.name}: {o.message}")
        if failing:
            ok = False
            emit(
                "decryption fails: if sops-age holds an age key, it likely does not match the"
                " recipients the secrets were encrypted for; recreate sops-age from the right key,"
                " then flux.reconcile-with-source"
            )
        elif ok:
            emit("✔ no Kustomization reports a decryption failure")
        return Outcome(ok, "SOPS looks fine" if ok else "SOPS decryption is broken")


ACTIONS: list[Action] = [Reconcile(), ReconcileWithSource(), Suspend(), Resume(), SopsCheck()]
