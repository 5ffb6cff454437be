"""The runbook's pod actions: delete (then follow the replacement), and the views that
read and never change: logs, previous logs, describe."""

from __future__ import annotations

import threading
import time

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
    ApiFailure,
    deployment_path,
    pod_path,
    selector,
    send,
    send_all,
)
from tui.store import parse_pod


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
        return self.make_plan(
            ctx,
            target,
            params,
            (Request("DELETE", pod_path(target.namespace, target.name)),),
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
            if time.monotonic() - start > timeout:  # the API failing does not stop the clock
                msg = f"no replacement confirmed after {timeout:.0f}s: the API kept failing ({e})"
                emit(f"✖ {msg}")
                return Outcome(False, msg)
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
    return not_followed(f"{target.name} was deleted; its replacement was not watched")


def pod_and_events(ctx: Context, ns: str, name: str) -> tuple[JSON, list[JSON]]:
    """What `kubectl describe pod` reads: the pod, and the events about it."""
    pod = ctx.client.json("GET", pod_path(ns, name))
    events = ctx.client.json(
        "GET",
        f"/api/v1/namespaces/{ns}/events",
        query={"fieldSelector": f"involvedObject.name={name}"},
    )
    return pod, list(events.get("items") or [])


def newest_pod(ctx: Context, ns: str, deployment: str) -> str:
    """The newest live pod of a Deployment ("" when there is none): after a rollout, the
    one whose logs to follow."""
    dep = ctx.client.json("GET", deployment_path(ns, deployment))
    pods = ctx.client.json(
        "GET", f"/api/v1/namespaces/{ns}/pods", query={"labelSelector": selector(dep)}
    )
    items = sorted(
        (
            p
            for p in pods.get("items") or []
            if not (p.get("metadata") or {}).get("deletionTimestamp")
        ),
        key=lambda p: (p.get("metadata") or {}).get("creationTimestamp", ""),
    )
    return str(items[-1]["metadata"]["name"]) if items else ""


class ReadOnlyPodAction(Action):
    """Views: they read, never change; the UI opens them instead of a confirmation."""

    target_kind = "pod"
    mutating = False

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        return self.make_plan(ctx, target, params, (), self.description)

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


ACTIONS: list[Action] = [
    PodLogs(),
    PodLogsPrevious(),
    PodDescribe(),
    PodDelete(),
]
