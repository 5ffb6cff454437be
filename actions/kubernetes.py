"""The runbook's Kubernetes remediations (RUNBOOK.md section 2), as kubectl does them."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target, kubectl
from tui.store import Deployment, parse_deployment, parse_pod
from tui.store.units import parse_quantity

ROLLOUT_TIMEOUT = 300.0  # as quick-restart.sh: kubectl rollout status --timeout=300s
POLL = 1.0
REPLICAS_ANNOTATION = "incident-console.io/replicas-before-scale-down"


def deployment_path(ns: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"


def pod_path(ns: str, name: str) -> str:
    return f"/api/v1/namespaces/{ns}/pods/{name}"


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiFailure(Exception):
    pass


def send(ctx: Context, request: Request, dry_run: bool = False) -> Any:
    """Send one request; a server error becomes ApiFailure with the server's message."""
    from tui.sources.kube import ApiError

    try:
        return ctx.client.json(
            request.method,
            request.path,
            query={"dryRun": "All"} if dry_run else None,
            body=request.body,
            content_type=request.content_type,
            timeout=(5.0, 30.0),
        )
    except ApiError as e:
        raise ApiFailure(f"{e.status} {e.reason}: {e.message}") from None
    except Exception as e:
        raise ApiFailure(f"cannot reach the API server: {type(e).__name__}: {e}") from None


def dry_run(ctx: Context, plan: Plan) -> Outcome:
    """Every mutating request of the plan with dryRun=All: the server validates, nothing changes."""
    if plan.refusal:
        return Outcome(False, plan.refusal)
    responses = []
    for request in plan.requests:
        if request.method == "GET":
            continue
        try:
            responses.append(send(ctx, request, dry_run=True))
        except ApiFailure as e:
            return Outcome(False, str(e))
    return Outcome(True, "dry run OK", responses)


def send_all(ctx: Context, plan: Plan, emit: Emit) -> Outcome:
    if plan.refusal:
        return Outcome(False, plan.refusal)
    responses = []
    for request in plan.requests:
        emit(f"→ {request.method} {request.path}")
        try:
            responses.append(send(ctx, request))
        except ApiFailure as e:
            emit(f"✖ {e}")
            return Outcome(False, str(e), responses)
        emit("✔ accepted by the server")
    return Outcome(True, "accepted", responses)


def _selector(dep: JSON) -> str:
    labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items())


def replicaset_names(ctx: Context, ns: str, name: str) -> set[str]:
    """The ReplicaSets a Deployment has now (so a follower can tell the new one)."""
    try:
        dep = send(ctx, Request("GET", deployment_path(ns, name)))
        path = f"/apis/apps/v1/namespaces/{ns}/replicasets?labelSelector={_selector(dep)}"
        rss = send(ctx, Request("GET", path))
    except ApiFailure:
        return set()
    return {(rs.get("metadata") or {}).get("name", "") for rs in (rss or {}).get("items") or []}


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
            sel = _selector(dep)
            rss = send(
                ctx,
                Request("GET", f"/apis/apps/v1/namespaces/{ns}/replicasets?labelSelector={sel}"),
            )
            pods = send(ctx, Request("GET", f"/api/v1/namespaces/{ns}/pods?labelSelector={sel}"))
        except ApiFailure as e:
            emit(f"✖ {e}")
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
    return Outcome(False, "stopped following (the change itself was made)")


class DeploymentAction(Action):
    target_kind = "deployment"

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
                        "annotations": {"kubectl.kubernetes.io/restartedAt": now_rfc3339()}
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
        return Plan(
            self.id,
            self.title,
            target,
            ctx.context,
            (
                Request(
                    "PATCH",
                    deployment_path(target.namespace, target.name),
                    body,
                    "application/strategic-merge-patch+json",
                ),
            ),
            self.equivalent(target, ctx.context, params),
            f"Every pod of {target.namespace}/{target.name} is replaced by a new one, "
            "a few at a time.",
            refusal=refusal,
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
        return Plan(
            self.id,
            self.title,
            target,
            ctx.context,
            (
                Request(
                    "PATCH",
                    deployment_path(target.namespace, target.name) + "/scale",
                    {"spec": {"replicas": replicas}},
                    "application/merge-patch+json",
                ),
            ),
            self.equivalent(target, ctx.context, {"replicas": replicas}),
            f"{target.namespace}/{target.name} replicas: {now}{replicas}.",
            refusal=refusal,
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
        return Plan(
            self.id,
            self.title,
            target,
            ctx.context,
            (
                Request(
                    "PATCH",
                    deployment_path(target.namespace, target.name),
                    self._patch(params),
                    "application/strategic-merge-patch+json",
                ),
            ),
            self.equivalent(target, ctx.context, params),
            f"Container {params.get('container')} of {target.namespace}/{target.name} gets new "
            "resources; its pods are replaced.",
            refusal=refusal or ("" if diff else "nothing to change: every value is as it is now"),
            diff=diff,
        )


class PodDelete(Action):
    id = "pod.delete"
    title = "Delete pod"
    target_kind = "pod"
    dangerous = True
    description = "Delete the pod; its controller makes a replacement, which is followed"
    key = "ctrl+d"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(context, "delete", "pod", target.name, namespace=target.namespace)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        pod = ctx.store.find("pods", target.namespace, target.name)
        owner = f"{pod.owner_kind}/{pod.owner_name}" if pod is not None and pod.owner_kind else ""
        return Plan(
            self.id,
            self.title,
            target,
            ctx.context,
            (Request("DELETE", pod_path(target.namespace, target.name)),),
            self.equivalent(target, ctx.context, params),
            f"The pod is deleted; {owner} makes a replacement."
            if owner
            else "The pod is deleted. It has no controller: nothing will replace it.",
            dangerous=True,
            data={"owner": owner},
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        sent = send_all(ctx, plan, emit)
        if not sent.ok or not plan.data.get("owner"):
            return sent
        return follow_replacement(ctx, plan.target, plan.data["owner"], emit, stop)


def follow_replacement(
    ctx: Context,
    target: Target,
    owner: str,
    emit: Emit,
    stop: threading.Event,
    timeout: float = 120.0,
) -> Outcome:
    """After a delete: the old pod going, the replacement coming up and becoming Ready."""
    start = time.monotonic()
    owner_name = owner.split("/", 1)[1]
    states: dict[str, str] = {}
    gone = False
    while not stop.is_set():
        try:
            pods = send(ctx, Request("GET", f"/api/v1/namespaces/{target.namespace}/pods"))
        except ApiFailure as e:
            emit(f"✖ {e}")
            stop.wait(POLL)
            continue
        mine = [
            parse_pod(o)
            for o in (pods or {}).get("items") or []
            if any(
                r.get("name") == owner_name
                for r in (o.get("metadata") or {}).get("ownerReferences") or []
            )
        ]
        names = {p.name for p in mine}
        if not gone and target.name not in names:
            gone = True
            emit(f"pod {target.name} is gone")
        for p in mine:
            state = f"{p.status} {p.ready}/{p.total}"
            if p.name != target.name and states.get(p.name) != state:
                states[p.name] = state
                emit(f"replacement {p.name}: {state}")
                if p.ready == p.total and p.status == "Running":
                    msg = f"replacement pod {p.name} is Ready"
                    emit(f"✔ {msg}")
                    return Outcome(True, msg, [{"pod": p.name}])
        if time.monotonic() - start > timeout:
            msg = f"no Ready replacement after {timeout:.0f}s"
            emit(f"✖ {msg}")
            return Outcome(False, msg)
        stop.wait(POLL)
    return Outcome(False, "stopped following (the pod was deleted)")


class ReadOnlyPodAction(Action):
    """Views: they read, never change; the UI opens them instead of a confirmation."""

    target_kind = "pod"
    mutating = False

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        return Plan(
            self.id,
            self.title,
            target,
            ctx.context,
            (),
            self.equivalent(target, ctx.context, params),
            self.description,
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        return Outcome(True, "a view")


class PodLogs(ReadOnlyPodAction):
    id = "pod.logs"
    title = "Pod logs (follow)"
    description = "Tail the pod's logs live: container picker, pause, filter, save"
    key = "l"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(context, "logs", "-f", target.name, "--tail=500", namespace=target.namespace)


class PodLogsPrevious(ReadOnlyPodAction):
    id = "pod.logs-previous"
    title = "Pod logs of the previous container"
    description = "What the container said before it died (logs --previous)"
    key = "p"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(context, "logs", "--previous", target.name, namespace=target.namespace)


class PodDescribe(ReadOnlyPodAction):
    id = "pod.describe"
    title = "Describe pod"
    description = "Conditions, container states with the last termination, resources, events"
    key = "d"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(context, "describe", "pod", target.name, namespace=target.namespace)


class EmergencyScaleDown(Action):
    id = "emergency.scale-down"
    title = "Emergency: scale non-critical deployments to 0"
    target_kind = "cluster"
    dangerous = True
    description = (
        "emergency-scale-down.sh: the configured non-critical deployments to 0, "
        "remembering their replicas"
    )

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        names = params.get("deployments") or ["DEPLOYMENT"]
        return " && ".join(
            kubectl(
                context,
                "scale",
                f"deployment/{n.split('/')[-1]}",
                "--replicas=0",
                namespace=n.split("/")[0] if "/" in n else "",
            )
            for n in names
        )

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        requests, names = [], []
        for ref in ctx.non_critical:
            ns, _, name = ref.partition("/")
            dep = ctx.store.deployment(ns, name)
            if dep is None or dep.replicas == 0:
                continue
            names.append(ref)
            requests.append(
                Request(
                    "PATCH",
                    deployment_path(ns, name),
                    {
                        "metadata": {"annotations": {REPLICAS_ANNOTATION: str(dep.replicas)}},
                        "spec": {"replicas": 0},
                    },
                    "application/merge-patch+json",
                )
            )
        refusal = (
            ""
            if requests
            else (
                "none of the non-critical deployments is running"
                if ctx.non_critical
                else "no non-critical deployments configured: set emergency_non_critical"
            )
        )
        return Plan(
            self.id,
            self.title,
            Target("cluster"),
            ctx.context,
            tuple(requests),
            self.equivalent(target, ctx.context, {"deployments": names}),
            "Scale to 0, remembering replicas in an annotation: " + (", ".join(names) or "nothing"),
            dangerous=True,
            refusal=refusal,
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        return send_all(ctx, plan, emit)


class EmergencyScaleRestore(Action):
    id = "emergency.scale-restore"
    title = "Emergency: restore what scale-down stopped"
    target_kind = "cluster"
    description = "Give back the replicas emergency.scale-down remembered"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        items = params.get("deployments") or [("DEPLOYMENT", "N")]
        return " && ".join(
            kubectl(
                context,
                "scale",
                f"deployment/{n.split('/')[-1]}",
                f"--replicas={r}",
                namespace=n.split("/")[0] if "/" in n else "",
            )
            for n, r in items
        )

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        requests, items = [], []
        for ns, name, replicas in params.get("remembered") or []:
            items.append((f"{ns}/{name}", replicas))
            requests.append(
                Request(
                    "PATCH",
                    deployment_path(ns, name),
                    {
                        "metadata": {"annotations": {REPLICAS_ANNOTATION: None}},
                        "spec": {"replicas": int(replicas)},
                    },
                    "application/merge-patch+json",
                )
            )
        return Plan(
            self.id,
            self.title,
            Target("cluster"),
            ctx.context,
            tuple(requests),
            self.equivalent(target, ctx.context, {"deployments": items}),
            "Restore: " + (", ".join(f"{n} → {r}" for n, r in items) or "nothing remembered"),
            refusal="" if requests else "no deployment carries a remembered replica count",
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        return send_all(ctx, plan, emit)


def remembered_replicas(ctx: Context) -> list[tuple[str, str, str]]:
    """Deployments emergency.scale-down stopped, read from the server (annotations)."""
    doc = send(ctx, Request("GET", "/apis/apps/v1/deployments"))
    out = []
    for d in (doc or {}).get("items") or []:
        meta = d.get("metadata") or {}
        value = (meta.get("annotations") or {}).get(REPLICAS_ANNOTATION)
        if value is not None:
            out.append((meta.get("namespace", ""), meta.get("name", ""), str(value)))
    return out


class EndpointsRecreate(Action):
    id = "endpoints.recreate"
    title = "Recreate a Service's endpoints"
    target_kind = "endpoints"
    dangerous = True
    description = "Delete the Endpoints object; the endpoints controller rebuilds it"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(context, "delete", "endpoints", target.name, namespace=target.namespace)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        return Plan(
            self.id,
            self.title,
            target,
            ctx.context,
            (Request("DELETE", f"/api/v1/namespaces/{target.namespace}/endpoints/{target.name}"),),
            self.equivalent(target, ctx.context, params),
            "The Endpoints object is deleted; the endpoints controller rebuilds it from the "
            "Service's ready pods.",
            dangerous=True,
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        sent = send_all(ctx, plan, emit)
        if not sent.ok:
            return sent
        path = plan.requests[0].path
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                ep = send(ctx, Request("GET", path))
            except ApiFailure:
                stop.wait(POLL)
                continue
            ready = sum(len(s.get("addresses") or []) for s in ep.get("subsets") or [])
            msg = f"endpoints rebuilt with {ready} ready address(es)"
            emit(("✔ " if ready else "⚠ ") + msg)
            return Outcome(bool(ready), msg)
        return Outcome(False, "the endpoints were not rebuilt within 60s")


ACTIONS: list[Action] = [
    PodLogs(),
    PodLogsPrevious(),
    PodDescribe(),
    PodDelete(),
    Restart(),
    Scale(),
    SetResources(),
    EmergencyScaleDown(),
    EmergencyScaleRestore(),
    EndpointsRecreate(),
]
