"""GitOps-safe remediation: the ways to change an object Flux applies, the safe one
first: (1) suspend the managing Kustomization/HelmRelease, then act; (2) exclude only this
object (`kustomize.toolkit.fluxcd.io/reconcile: disabled`), then act; (3) act anyway.
Each way is the plans sent in order; the audit line of the change carries what to bring
back to Git (the fields, old -> new, as a YAML fragment, and the Kustomization's source
and path). No Textual here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import yaml

from actions.audit import local_user
from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target, kubectl
from actions.kubernetes import deployment_path, send_all
from actions.pods import ReadOnlyPodAction
from actions.provenance import API_VERSIONS, Trace, revert_text, rfc3339, trace
from tui.store.meta import CONSOLE_BY, CONSOLE_DISABLED_AT, CONSOLE_SUSPENDED_AT, RECONCILE


# -- the three ways ----------------------------------------------------------------------
@dataclass(frozen=True)
class Way:
    key: str  # suspend | annotate | anyway
    label: str
    plans: tuple[Plan, ...]  # in the order they are sent; the action's own plan last
    why_not: str = ""  # set when this way is not offered for this object

    @property
    def available(self) -> bool:
        return not self.why_not


def suspend_plan(ctx: Context, trace_: Trace, before: Plan) -> Plan:
    from actions.flux import flux_cli

    kind, ns, name = trace_.manager_ref
    body = {
        "metadata": {
            "annotations": {CONSOLE_SUSPENDED_AT: rfc3339(ctx.clock()), CONSOLE_BY: local_user()}
        },
        "spec": {"suspend": True},
    }
    return Plan(
        "flux.suspend",
        "Flux suspend",
        Target(kind, ns, name, path=trace_.manager_path),
        ctx.context,
        (Request("PATCH", trace_.manager_path, body, "application/merge-patch+json"),),
        flux_cli("suspend", kind, name, ns, ctx.context),
        f"{kind} {ns}/{name} stops re-applying its objects until resumed, so that "
        f"{before.action_id} on {before.target} stays; a finding says so until it is resumed.",
    )


def annotate_plan(ctx: Context, trace_: Trace, before: Plan) -> Plan:
    managed = trace_.managed
    assert managed is not None
    body = {
        "metadata": {
            "annotations": {
                RECONCILE: "disabled",
                CONSOLE_DISABLED_AT: rfc3339(ctx.clock()),
                CONSOLE_BY: local_user(),
            }
        }
    }
    return Plan(
        "flux.disable-reconcile",
        "Exclude this object from Flux",
        Target(managed.kind.lower(), managed.namespace, managed.name, path=managed.path),
        ctx.context,
        (Request("PATCH", managed.path, body, "application/merge-patch+json"),),
        kubectl(
            ctx.context,
            "annotate",
            f"{managed.kind.lower()}/{managed.name}",
            f"{RECONCILE}=disabled",
            namespace=managed.namespace,
        ),
        f"Only {managed} is left alone by {trace_.manager_name} (its other objects are still "
        "reconciled); a finding says so until the annotation is removed.",
    )


def ways(ctx: Context, plan: Plan, trace_: Trace | None) -> list[Way]:
    """The ways to run a plan on a Flux-managed object, the safe one first; [] when Flux
    does not manage it (the plan confirms as before)."""
    if trace_ is None or trace_.managed is None or trace_.manager is None:
        return []
    kind, _, name = trace_.manager_ref
    out = [
        Way(
            "suspend",
            f"Suspend {kind} {name} first, then act (safe: nothing reverts it)",
            (suspend_plan(ctx, trace_, plan), plan),
            "" if not trace_.manager.suspended else f"{kind} {name} is already suspended",
        )
    ]
    why = ""
    if kind != "Kustomization":
        why = "helm-controller has no per-object opt-out from an upgrade"
    elif plan.action_id == "resource.delete":
        why = "a deleted object carries no annotation"
    out.append(
        Way(
            "annotate",
            f"Exclude only {trace_.managed} from Flux (reconcile: disabled), then act",
            (annotate_plan(ctx, trace_, plan), plan) if not why else (plan,),
            why,
        )
    )
    out.append(Way("anyway", f"Act anyway (Flux reverts it: {kind} {name})", (plan,)))
    if trace_.manager.suspended:  # nothing reverts it now: acting is already safe
        out[0], out[2] = out[2], out[0]
    return out


# -- the change to bring back to Git -----------------------------------------------------
def fragment(plan: Plan) -> str:
    """The YAML to commit so the change outlives the next reconcile: the object's identity
    and the fields the action changed, as the patch set them; old values as comments."""
    body = plan.data.get("git_body")
    if not isinstance(body, dict):
        return ""
    api_version, kind = API_VERSIONS.get(plan.target.kind, ("", plan.target.kind))
    doc: JSON = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": plan.target.name, "namespace": plan.target.namespace},
        **body,
    }
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    olds = [f"# {f}: {old} -> {new}" for f, old, new in plan.data.get("changes") or []]
    return "\n".join([*olds, text.rstrip()])


def record(trace_: Trace, way: str, plan: Plan) -> dict[str, Any]:
    """What the audit line of a change to a Flux-managed object carries for the report."""
    m, s = trace_.manager, trace_.source
    return {
        "gitops": {
            "way": way,
            "manager": {
                "kind": trace_.manager_ref[0],
                "namespace": trace_.manager_ref[1],
                "name": trace_.manager_ref[2],
                "path": m.path if m else "",
                "interval": m.interval if m else "",
                "revision": m.full_revision if m else "",
            },
            "source": {
                "kind": s.kind if s else "",
                "namespace": s.namespace if s else "",
                "name": s.name if s else "",
                "url": s.url if s else "",
                "revision": s.full_revision if s else "",
            },
            "object": str(trace_.managed) if trace_.managed else "",
            "changes": [list(c) for c in plan.data.get("changes") or []],
            "fragment": fragment(plan),
        }
    }


# -- the actions -------------------------------------------------------------------------
class FluxTrace(ReadOnlyPodAction):
    """A view: the flow opens the trace screen (tui/views.py) instead of a confirmation."""

    id = "flux.trace"
    title = "Trace: which Flux object applies this, from which source"
    description = (
        "flux trace: the object -> its owners -> Kustomization/HelmRelease -> source, "
        "with their events, newest first"
    )
    key = "t"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        kind = "pod" if target.kind == "pod" else target.kind.lower()
        ns = target.namespace or "NAMESPACE"
        return f"flux --context {context} trace {target.name} --kind={kind} -n {ns}"


class EnableReconcile(Action):
    id = "flux.enable-reconcile"
    title = "Give the object back to Flux"
    description = (
        "Remove kustomize.toolkit.fluxcd.io/reconcile: disabled (set by this console): "
        "Flux re-applies it at its next reconcile"
    )
    target_kind = "deployment"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(
            context,
            "annotate",
            f"deployment/{target.name}",
            f"{RECONCILE}-",
            namespace=target.namespace,
        )

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        body = {
            "metadata": {
                "annotations": {RECONCILE: None, CONSOLE_DISABLED_AT: None, CONSOLE_BY: None}
            }
        }
        path = target.path or deployment_path(target.namespace, target.name)
        plan: Plan = self.make_plan(
            ctx,
            target,
            params,
            (Request("PATCH", path, body, "application/merge-patch+json"),),
            f"Flux manages {target} again: its next reconcile re-applies it from Git, undoing "
            "what was changed by hand (commit the change to Git first).",
        )
        return plan

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        return send_all(ctx, plan, emit)


ACTIONS: list[Action] = [FluxTrace(), EnableReconcile()]


# -- one object or several (emergency.scale-down) ------------------------------------------
@dataclass(frozen=True)
class Survey:
    """The traces of what a plan changes, and what could not be traced."""

    traces: tuple[Trace, ...] = ()
    problem: str = ""

    @property
    def managed(self) -> tuple[Trace, ...]:
        return tuple(t for t in self.traces if t.managed is not None and t.manager is not None)


def targets_of(plan: Plan) -> list[Target]:
    """The objects a plan changes: its target, or (a cluster-wide plan) each Deployment
    its requests patch."""
    if plan.target.kind != "cluster":
        return [plan.target]
    out = []
    for r in plan.requests:
        parts = r.path.split("/")  # /apis/apps/v1/namespaces/NS/deployments/NAME
        if len(parts) == 8 and parts[6] == "deployments":
            out.append(Target("deployment", parts[5], parts[7]))
    return out


def survey(ctx: Context, plan: Plan) -> Survey:
    traces, problems = [], []
    for target in targets_of(plan):
        try:
            traces.append(trace(ctx, target))
        except Exception as e:
            problems.append(f"cannot tell whether Flux manages {target}: {e}")
    return Survey(tuple(traces), "; ".join(problems))


def ways_for(ctx: Context, plan: Plan, found: Survey) -> list[Way]:
    managed = found.managed
    if len(found.traces) == 1:
        return ways(ctx, plan, found.traces[0])
    if not managed:
        return []
    managers = {t.manager_ref: t for t in managed}
    names = ", ".join(f"{k} {n}" for k, _, n in managers)
    suspend = tuple(
        suspend_plan(ctx, t, plan)
        for t in managers.values()
        if t.manager and not t.manager.suspended
    )
    helm = any(t.manager_ref[0] != "Kustomization" for t in managed)
    excluded = tuple(annotate_plan(ctx, t, plan) for t in managed)
    return [
        Way(
            "suspend",
            f"Suspend {names} first, then act (safe: nothing reverts it)",
            (*suspend, plan),
            "" if suspend else "every one is suspended already",
        ),
        Way(
            "annotate",
            f"Exclude only these {len(managed)} objects from Flux (reconcile: disabled), then act",
            (*excluded, plan) if not helm else (plan,),
            "helm-controller has no per-object opt-out" if helm else "",
        ),
        Way("anyway", f"Act anyway (Flux reverts it: {names})", (plan,)),
    ]


def lines_for(found: Survey, now: float) -> list[str]:
    """What the confirmation says of Flux: who applies each object and what it will do."""
    lines = [f"⚠ {found.problem}"] if found.problem else []
    managers: dict[tuple[str, str, str], Trace] = {}
    for t in found.traces:
        if t.managed is None:
            continue
        lines.append(f"⚠ {t.managed} is applied by Flux: {t.manager_name}")
        managers.setdefault(t.manager_ref, t)
        if t.manager is None:
            lines.append(f"  {t.problem}")
    for t in managers.values():
        m, s = t.manager, t.source
        if len(managers) > 1 and m is not None:
            lines.append(f"  {t.manager_name}:")
        if s is not None:
            lines.append(f"  source  {s.kind} {s.namespace}/{s.name} · {s.url}")
        if m is not None:
            lines.append(f"  path    {m.path or '-'} · interval {m.interval or '?'}")
            lines += ["  " + line for line in revert_text(m, now).splitlines()]
    return lines


def record_for(found: Survey, way: str, plan: Plan) -> dict[str, Any]:
    managed = found.managed
    if len(managed) == 1:
        return record(managed[0], way, plan)
    return {
        "gitops": {
            "way": way,
            "managers": sorted({t.manager_name for t in managed}),
            "objects": [str(t.managed) for t in managed],
            "changes": [],  # an emergency's zero replicas: nothing to bring back to Git
        }
    }
