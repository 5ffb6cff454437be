"""The runbook's emergency-scale-down.sh and its way back: the non-critical Deployments
scaled to 0 with their replicas remembered on them, then restored."""

from __future__ import annotations

import threading

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target, kubectl
from actions.kubernetes import (
    REPLICAS_ANNOTATION,
    deployment_path,
    send,
    send_all,
)


class EmergencyScaleDown(Action):
    id = "emergency.scale-down"
    title = "Emergency: scale non-critical deployments to 0"
    target_kind = "cluster"
    dangerous = True
    gitops = True  # each Deployment is traced: Flux would scale it back up
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
        requests, items, bad = [], [], []
        for ns, name, replicas in params.get("remembered") or []:
            if not (replicas.isdigit() and len(replicas) < 7):  # someone edited it: say so
                bad.append(f"{ns}/{name} remembers {replicas[:20]!r}, not a replica count")
                continue
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
            refusal="; ".join(bad)
            + (" (fix or remove its annotation " + REPLICAS_ANNOTATION + ")" if bad else "")
            or ("" if requests else "no deployment carries a remembered replica count"),
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


ACTIONS: list[Action] = [
    EmergencyScaleDown(),
    EmergencyScaleRestore(),
]
