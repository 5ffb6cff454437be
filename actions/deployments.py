"""The runbook's Deployment remediations: rollout restart, scale, set resources; each
followed until the rollout is done, as `kubectl rollout status` does."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import orjson

from actions.base import (
    JSON,
    Action,
    Context,
    Emit,
    Outcome,
    Plan,
    Request,
    Target,
    kubectl,
    not_followed,
)
from actions.kubernetes import (
    POLL,
    ROLLOUT_TIMEOUT,
    ApiFailure,
    deployment_path,
    now_rfc3339,
    replicaset_names,
    selector,
    send,
    send_all,
)
from tui.store import Deployment, parse_deployment, parse_pod
from tui.store.units import parse_quantity


def follow_rollout(
    ctx: Context,
    ns: str,
    name: str,
    emit: Emit,
    stop: threading.Event,
    timeout: float = ROLLOUT_TIMEOUT,
    known: set[str] | None = None,
) -> Outcome:
    """Watch a Deployment roll out as `kubectl rollout status` does, saying what happens.
    `known`: the ReplicaSets from before the change; any other one is announced as new."""
    start = time.monotonic()
    seen_rs: set[str] = set(known or ())
    pod_states: dict[str, str] = {}
    last_progress = ""
    first = True
    while not stop.is_set():
        try:
            dep = send(ctx, Request("GET", deployment_path(ns, name)))
            sel = selector(dep)
            rss = send(
                ctx,
                Request(
                    "GET", f"/apis/apps/v1/namespaces/{ns}/replicasets?labelSelector={quote(sel)}"
                ),
            )
            pods = send(
                ctx, Request("GET", f"/api/v1/namespaces/{ns}/pods?labelSelector={quote(sel)}")
            )
        except ApiFailure as e:
            emit(f"✖ {e}")
            if time.monotonic() - start > timeout:  # the API failing does not stop the clock
                msg = f"rollout not confirmed after {timeout:.0f}s: the API kept failing ({e})"
                emit(f"✖ {msg}")
                return Outcome(False, msg)
            stop.wait(POLL)
            continue
        d = parse_deployment(dep)
        for rs in (rss or {}).get("items") or []:
            meta = rs.get("metadata") or {}
            rs_name = meta.get("name", "")
            if rs_name not in seen_rs:
                seen_rs.add(rs_name)
                if known is not None or not first:
                    rev = (meta.get("annotations") or {}).get(
                        "deployment.kubernetes.io/revision", "?"
                    )
                    emit(f"new ReplicaSet {rs_name} (revision {rev})")
        for obj in (pods or {}).get("items") or []:
            p = parse_pod(obj)
            state = f"{p.status} {p.ready}/{p.total}"
            if pod_states.get(p.name) != state:
                if not (first and p.attention == 0):
                    extra = f", last termination {p.last_termination}" if p.last_termination else ""
                    emit(f"pod {p.name}: {state}{extra}")
                pod_states[p.name] = state
        first = False
        if d.observed_generation < d.generation:
            progress = f"waiting for the controller to see generation {d.generation}"
        else:
            progress = f"{d.updated}/{d.replicas} updated, {d.ready} ready, {d.available} available"
        if progress != last_progress:
            emit(progress)
            last_progress = progress
        total = ((dep.get("status") or {}).get("replicas")) or 0
        if (
            d.observed_generation >= d.generation
            and d.updated == d.replicas
            and d.available == d.replicas
            and total == d.replicas
        ):
            msg = f'deployment "{name}" successfully rolled out'
            emit(f"✔ {msg}")
            return Outcome(True, msg)
        for c in (dep.get("status") or {}).get("conditions") or []:
            if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
                msg = f"rollout stuck: {c.get('message', 'progress deadline exceeded')}"
                emit(f"✖ {msg}")
                return Outcome(False, msg)
        if time.monotonic() - start > timeout:
            crashing = [n for n, s in pod_states.items() if not s.startswith("Running")]
            msg = f"rollout not done after {timeout:.0f}s: {progress}" + (
                f"; not running: {', '.join(crashing)}" if crashing else ""
            )
            emit(f"✖ {msg}")
            return Outcome(False, msg)
        stop.wait(POLL)
    return not_followed(f"the change to {name} was made; its rollout was not watched to the end")


def patch_request(target: Target, body: JSON) -> Request:
    """What kubectl sends to change a Deployment: a strategic-merge patch."""
    return Request(
        "PATCH",
        deployment_path(target.namespace, target.name),
        body,
        "application/strategic-merge-patch+json",
    )


class DeploymentAction(Action):
    target_kind = "deployment"
    gitops = True

    def deployment(self, ctx: Context, target: Target) -> Deployment | None:
        found: Deployment | None = ctx.store.deployment(target.namespace, target.name)
        return found

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        ns, name = plan.target.namespace, plan.target.name
        known = replicaset_names(ctx, ns, name)
        sent = send_all(ctx, plan, emit)
        if not sent.ok:
            return sent
        return follow_rollout(ctx, ns, name, emit, stop, known=known)


class Restart(DeploymentAction):
    id = "deployment.restart"
    title = "Restart deployment (rollout restart)"
    description = "Roll every pod of the Deployment, as kubectl rollout restart; follow the rollout"
    key = "r"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(
            context, "rollout", "restart", f"deployment/{target.name}", namespace=target.namespace
        )

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        dep = self.deployment(ctx, target)
        body = {
            "spec": {
                "template": {
                    "metadata": {
                        "annotations": {
                            "kubectl.kubernetes.io/restartedAt": now_rfc3339(ctx.clock())
                        }
                    }
                }
            }
        }
        refusal = ""
        if dep is not None and dep.paused:
            refusal = (
                f'deployments.apps "{target.name}" can\'t restart paused deployment '
                "(run rollout resume first)"
            )
        return self.make_plan(
            ctx,
            target,
            params,
            (patch_request(target, body),),
            f"Every pod of {target.namespace}/{target.name} is replaced by a new one, "
            "a few at a time.",
            refusal=refusal,
            data={"changes": [], "git_note": "a restart leaves nothing to commit"},
        )


class Scale(DeploymentAction):
    id = "deployment.scale"
    title = "Scale deployment"
    description = "Set the number of replicas; follow the rollout"
    key = "s"
    params = ("replicas",)

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(
            context,
            "scale",
            f"deployment/{target.name}",
            f"--replicas={params.get('replicas', 'N')}",
            namespace=target.namespace,
        )

    def defaults(self, ctx: Context, target: Target) -> JSON:
        dep = self.deployment(ctx, target)
        return {"replicas": str(dep.replicas if dep else 1)}

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        refusal = ""
        try:
            replicas = int(str(params.get("replicas", "")).strip())
            if replicas < 0:
                raise ValueError
        except ValueError:
            replicas, refusal = (
                0,
                f"replicas must be a whole number ≥ 0, not {params.get('replicas')!r}",
            )
        dep = self.deployment(ctx, target)
        now = f"{dep.replicas} → " if dep else ""
        return self.make_plan(
            ctx,
            target,
            {"replicas": replicas},
            (
                Request(
                    "PATCH",
                    deployment_path(target.namespace, target.name) + "/scale",
                    {"spec": {"replicas": replicas}},
                    "application/merge-patch+json",
                ),
            ),
            f"{target.namespace}/{target.name} replicas: {now}{replicas}.",
            refusal=refusal,
            data={
                "changes": [["spec.replicas", str(dep.replicas) if dep else "?", str(replicas)]],
                "git_body": {"spec": {"replicas": replicas}},
            },
        )


class SetResources(DeploymentAction):
    id = "deployment.set-resources"
    title = "Set container requests/limits"
    description = "Edit one container's CPU/memory requests and limits (e.g. after OOMKilled)"
    key = "e"
    params = ("container", "limits.memory", "requests.memory", "limits.cpu", "requests.cpu")

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        patch = self._patch(params) if params.get("container") not in (None, "CONTAINER") else None
        text = orjson.dumps(patch).decode() if patch else "PATCH"
        return kubectl(
            context, "patch", "deployment", target.name, "-p", text, namespace=target.namespace
        )

    def defaults(self, ctx: Context, target: Target) -> JSON:
        dep = self.deployment(ctx, target)
        if dep is None or not dep.containers:
            return {p: "" for p in self.params}
        name, requests, limits = dep.containers[0]
        if target.container:
            for c in dep.containers:
                if c[0] == target.container:
                    name, requests, limits = c
        return {
            "container": name,
            "limits.memory": limits.get("memory", ""),
            "requests.memory": requests.get("memory", ""),
            "limits.cpu": limits.get("cpu", ""),
            "requests.cpu": requests.get("cpu", ""),
        }

    @staticmethod
    def _patch(params: JSON) -> JSON:
        resources: JSON = {}
        for key in ("limits.memory", "requests.memory", "limits.cpu", "requests.cpu"):
            value = str(params.get(key) or "").strip()
            if value:
                kind, res = key.split(".")
                resources.setdefault(kind, {})[res] = value
        return {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": params.get("container"), "resources": resources}]
                    }
                }
            }
        }

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        current = self.defaults(ctx, target)
        refusal = ""
        for key in self.params[1:]:
            value = str(params.get(key) or "").strip()
            if value and parse_quantity(value) is None:
                refusal = f"{key} {value!r} is not a Kubernetes quantity (e.g. 512Mi, 1Gi, 500m)"
        dep = self.deployment(ctx, target)
        names = [c[0] for c in dep.containers] if dep else []
        if names and params.get("container") not in names:
            refusal = f"container {params.get('container')!r} is not one of: {', '.join(names)}"
        diff = "\n".join(
            f"  {key}: {current.get(key) or '(unset)'} → {params.get(key) or '(unchanged)'}"
            for key in self.params[1:]
            if str(params.get(key) or "") != str(current.get(key) or "")
        )
        return self.make_plan(
            ctx,
            target,
            params,
            (patch_request(target, self._patch(params)),),
            f"Container {params.get('container')} of {target.namespace}/{target.name} gets new "
            "resources; its pods are replaced.",
            refusal=refusal or ("" if diff else "nothing to change: every value is as it is now"),
            diff=diff,
            data={
                "changes": [
                    [
                        f"containers[{params.get('container')}].resources.{key}",
                        str(current.get(key) or "(unset)"),
                        str(params.get(key)),
                    ]
                    for key in self.params[1:]
                    if str(params.get(key) or "").strip()
                    and str(params.get(key)) != str(current.get(key) or "")
                ],
                "git_body": self._patch(params),
            },
        )


ACTIONS: list[Action] = [
    Restart(),
    Scale(),
    SetResources(),
]
