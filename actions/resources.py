"""Any kind's row: delete it (confirmed with its name typed), and read it whole for
describe and YAML (a Secret's values are dropped here, before anything shows them)."""

from __future__ import annotations

import threading
import time

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target, kubectl
from actions.kubernetes import POLL, ApiFailure, send, send_all


def decoded_size(value: str) -> int:
    """The size of a base64 value's bytes, without decoding (nor keeping) them."""
    return len(value) * 3 // 4 - len(value) + len(value.rstrip("="))


def redacted(obj: JSON) -> JSON:
    """The object as it may be shown: a Secret's values replaced by their size, and
    managedFields folded to a count."""
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    if "managedFields" in meta:
        meta["managedFields"] = f"({len(meta['managedFields'] or [])} entries folded)"
    out["metadata"] = meta
    if out.get("kind") == "Secret":
        for field in ("data", "stringData"):
            values = out.get(field)
            if isinstance(values, dict):
                out[field] = {
                    str(k): f"<{decoded_size(str(v)) if field == 'data' else len(str(v))} bytes>"
                    for k, v in values.items()
                }
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):  # kubectl apply keeps the whole Secret here
            meta["annotations"] = {
                k: ("<folded: holds the Secret's values>" if "last-applied" in k else v)
                for k, v in annotations.items()
            }
    return out


def object_and_events(
    ctx: Context, path: str, kind: str, namespace: str, name: str
) -> tuple[JSON, list[JSON]]:
    """The object (redacted) and the events about it, as `kubectl describe` reads them."""
    obj = redacted(send(ctx, Request("GET", path)))
    where = f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    selector = f"involvedObject.name={name},involvedObject.kind={kind}"
    try:
        events = ctx.client.json("GET", where, query={"fieldSelector": selector})
    except Exception:
        return obj, []
    return obj, [e for e in events.get("items") or [] if isinstance(e, dict)]


class ResourceDelete(Action):
    id = "resource.delete"
    title = "Delete the object"
    target_kind = "resource"
    dangerous = True
    gitops = True
    description = "Delete any object shown by :kind (its name typed to confirm); wait until gone"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(context, "delete", target.kind, target.name, namespace=target.namespace)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        return self.make_plan(
            ctx,
            target,
            params,
            (Request("DELETE", target.path),),
            f"{target.kind} {target.name} is deleted; whatever owns it may make it again.",
            dangerous=True,
            # under Flux: to keep it deleted, it leaves the source (or Flux re-creates it)
            data={"changes": [["(the object)", "in the source", "remove it from the source"]]},
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        sent = send_all(ctx, plan, emit)
        if not sent.ok:
            return sent
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                obj = send(ctx, Request("GET", plan.target.path))
            except ApiFailure as e:
                if str(e).startswith("404"):
                    emit(f"✔ {plan.target.kind} {plan.target.name} is gone")
                    return Outcome(True, f"{plan.target.name} deleted")
                emit(f"✖ {e}")
                return Outcome(False, str(e))
            finalizers = (obj.get("metadata") or {}).get("finalizers") or []
            emit("terminating" + (f", waiting on finalizers {finalizers}" if finalizers else ""))
            stop.wait(POLL)
        return Outcome(False, f"{plan.target.name} still exists after 60s (finalizers?)")


ACTIONS: list[Action] = [ResourceDelete()]
