"""The demo's Flux controllers at work: a reconcile requested is played out (the
controller's log lines, then the status the flux CLI waits for)."""

from __future__ import annotations

from typing import Any

from tui.demo.clock import stable_hash
from tui.demo.flux import CONTROLLERS
from tui.demo.state import Cluster, Obj, now_rfc3339


def controller_log(
    cluster: Cluster, kind: str, obj: Any, level: str, msg: str, **extra: Any
) -> None:
    """A JSON line as Flux's controllers log it, in the controller pod's manager container."""
    import orjson

    meta = obj.get("metadata") or {}
    line = {
        "level": level,
        "ts": now_rfc3339(),
        "msg": msg,
        "controller": kind.lower(),
        "controllerGroup": str(obj.get("apiVersion", "")).split("/")[0],
        "controllerKind": kind,
        kind: {"name": meta.get("name"), "namespace": meta.get("namespace")},
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        **extra,
    }
    cluster.put(
        "Event",
        {
            "metadata": {
                "name": f"{meta.get('name')}.{stable_hash(kind + msg) % 10**8:08d}",
                "namespace": meta.get("namespace"),
            },
            "involvedObject": {
                "kind": kind,
                "name": meta.get("name"),
                "namespace": meta.get("namespace"),
                "apiVersion": obj.get("apiVersion", ""),
            },
            "reason": "ReconciliationFailed" if level == "error" else "ReconciliationSucceeded",
            "message": extra.get("error") or msg,
            "type": "Warning" if level == "error" else "Normal",
            "count": 1,
            "lastTimestamp": now_rfc3339(),
            "source": {"component": CONTROLLERS.get(kind, "source-controller")},
        },
    )
    app = CONTROLLERS.get(kind, "source-controller")
    for pod in cluster.list("Pod", "flux-system"):
        if (pod["metadata"].get("labels") or {}).get("app") == app:
            name = pod["metadata"]["name"]
            cluster.append_log("flux-system", name, "manager", orjson.dumps(line).decode())


def play_reconcile(cluster: Cluster, kind: str, obj: Any) -> None:
    """A Flux controller's answer to reconcile.fluxcd.io/requestedAt: handle it, log, report."""
    meta = obj.get("metadata") or {}
    requested = (meta.get("annotations") or {}).get("reconcile.fluxcd.io/requestedAt")
    status = obj.get("status") or {}
    if not requested or status.get("lastHandledReconcileAt") == requested:
        return
    if (obj.get("spec") or {}).get("suspend"):
        return
    conditions: list[Obj] = status.get("conditions") or []
    ready: Obj = next((c for c in conditions if c.get("type") == "Ready"), {})
    if ready.get("status") == "False":
        controller_log(
            cluster,
            kind,
            obj,
            "error",
            "Reconciliation failed after 1.204s, next try in 5m0s",
            revision=status.get("lastAttemptedRevision", ""),
            error=ready.get("message", ""),
        )
    else:
        revision = status.get("lastAppliedRevision") or (status.get("artifact") or {}).get(
            "revision"
        )
        controller_log(
            cluster,
            kind,
            obj,
            "info",
            "Reconciliation finished in 812ms, next run in 10m0s",
            revision=revision or "",
        )
    new_status = dict(
        status, lastHandledReconcileAt=requested, observedGeneration=meta.get("generation", 1)
    )
    cluster.put(kind, dict(obj, status=new_status))
