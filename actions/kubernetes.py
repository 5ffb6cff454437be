"""The runbook's Kubernetes remediations (RUNBOOK.md section 2), as kubectl does them."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target, kubectl

ROLLOUT_TIMEOUT = 300.0  # as quick-restart.sh: kubectl rollout status --timeout=300s
POLL = 1.0
REPLICAS_ANNOTATION = "incident-console.io/replicas-before-scale-down"


def deployment_path(ns: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"


def pod_path(ns: str, name: str) -> str:
    return f"/api/v1/namespaces/{ns}/pods/{name}"


def now_rfc3339(t: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if t is None else t, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


class ApiFailure(Exception):
    pass


def send(ctx: Context, request: Request, dry_run: bool = False) -> Any:
    """Send one request; a server error becomes ApiFailure with the server's message.
    In read-only mode only reads and dry runs leave: the last guard, below the UI's."""
    from tui.sources.client import ApiError

    if ctx.read_only and request.method != "GET" and not dry_run:
        raise ApiFailure(f"read-only mode: {request.method} {request.path} refused, nothing sent")
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


def selector(dep: JSON) -> str:
    """The workload's label selector as a labelSelector query: matchLabels and
    matchExpressions (In, NotIn, Exists, DoesNotExist), as kubectl writes them."""
    sel = (dep.get("spec") or {}).get("selector") or {}
    words = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    for e in sel.get("matchExpressions") or []:
        key, op, values = e.get("key", ""), e.get("operator", ""), e.get("values") or []
        if op == "In":
            words.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            words.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            words.append(key)
        elif op == "DoesNotExist":
            words.append(f"!{key}")
    return ",".join(words)


def replicaset_names(ctx: Context, ns: str, name: str) -> set[str]:
    """The ReplicaSets a Deployment has now (so a follower can tell the new one)."""
    try:
        dep = send(ctx, Request("GET", deployment_path(ns, name)))
        path = f"/apis/apps/v1/namespaces/{ns}/replicasets?labelSelector={quote(selector(dep))}"
        rss = send(ctx, Request("GET", path))
    except ApiFailure:
        return set()
    return {(rs.get("metadata") or {}).get("name", "") for rs in (rss or {}).get("items") or []}


class EndpointsRecreate(Action):
    id = "endpoints.recreate"
    title = "Recreate a Service's endpoints"
    target_kind = "endpoints"
    dangerous = True
    description = "Delete the Endpoints object; the endpoints controller rebuilds it"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(context, "delete", "endpoints", target.name, namespace=target.namespace)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        return self.make_plan(
            ctx,
            target,
            params,
            (Request("DELETE", f"/api/v1/namespaces/{target.namespace}/endpoints/{target.name}"),),
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


ACTIONS: list[Action] = [EndpointsRecreate()]
