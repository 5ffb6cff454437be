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


def play_reconcile(cluster: Cluster, kind: str, obj: Any) -> bool:
    """A Flux controller's answer to reconcile.fluxcd.io/requestedAt: handle it, log,
    report. True when a request was handled (a Kustomization then re-applies)."""
    meta = obj.get("metadata") or {}
    requested = (meta.get("annotations") or {}).get("reconcile.fluxcd.io/requestedAt")
    status = obj.get("status") or {}
    if not requested or status.get("lastHandledReconcileAt") == requested:
        return False
    if (obj.get("spec") or {}).get("suspend"):
        return False
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
    return True


# -- drift correction: what kustomize-controller does every interval ---------------------
KS_NAME = "kustomize.toolkit.fluxcd.io/name"
KS_NAMESPACE = "kustomize.toolkit.fluxcd.io/namespace"
RECONCILE = "kustomize.toolkit.fluxcd.io/reconcile"
_GO = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_seconds(text: object) -> float | None:
    """A Go duration ("1m", "1h30m", "10s") in seconds, as the controllers parse spec.interval."""
    import re

    if not isinstance(text, str) or not text:
        return None
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)", text)
    if "".join(n + u for n, u in parts) != text:
        return None
    total = sum(float(n) * _GO[u] for n, u in parts)
    return total or None


def _disabled(meta: Obj) -> bool:
    return "disabled" in (
        (meta.get("annotations") or {}).get(RECONCILE),
        (meta.get("labels") or {}).get(RECONCILE),
    )


def _base(ks: Obj) -> float | None:
    """Where the controller's interval is counted from: the last handled request, else the
    Ready condition's last transition."""
    from tui.demo.units import epoch

    status = ks.get("status") or {}
    handled = epoch(status.get("lastHandledReconcileAt"))
    if handled is not None:
        return handled
    for c in status.get("conditions") or []:
        if c.get("type") == "Ready":
            return epoch(c.get("lastTransitionTime"))
    return None


def apply_from_git(cluster: Cluster, ks: Obj, git: dict[tuple[str, str], Obj]) -> list[str]:
    """Re-apply the Kustomization's Deployments as Git has them (the fields it manages:
    replicas and the pod template, so a rollout restart's restartedAt goes too); objects
    annotated reconcile: disabled are left alone. Returns what was configured."""
    meta = ks.get("metadata") or {}
    ns, name = meta.get("namespace"), meta.get("name")
    changed = []
    for dep in cluster.list("Deployment"):
        dmeta = dep["metadata"]
        labels = dmeta.get("labels") or {}
        if labels.get(KS_NAME) != name or labels.get(KS_NAMESPACE) != ns or _disabled(dmeta):
            continue
        desired = git.get((dmeta["namespace"], dmeta["name"]))
        if desired is None:
            continue
        spec = dep.get("spec") or {}
        if (
            spec.get("replicas") == desired["replicas"]
            and spec.get("template") == desired["template"]
        ):
            continue
        import copy

        new_spec = dict(
            spec, replicas=desired["replicas"], template=copy.deepcopy(desired["template"])
        )
        new_meta = dict(dmeta, generation=int(dmeta.get("generation", 1)) + 1)
        cluster.put("Deployment", dict(dep, metadata=new_meta, spec=new_spec))
        changed.append(f"Deployment/{dmeta['namespace']}/{dmeta['name']}")
    if changed:
        controller_log(
            cluster,
            "Kustomization",
            dict(ks, apiVersion="kustomize.toolkit.fluxcd.io/v1"),
            "info",
            "server-side apply completed",
            output={c: "configured" for c in changed},
        )
    return changed


def play_drift(
    cluster: Cluster, git: dict[tuple[str, str], Obj], slots: dict[str, int], now: float
) -> None:
    """Every Kustomization that is not suspended re-applies at each interval counted from
    its base (what the console predicts); a suspended one is left alone."""
    if not any(r.kind == "Kustomization" for r in cluster.resources.values()):
        return  # Flux is not installed
    for ks in cluster.list("Kustomization"):
        meta, spec = ks.get("metadata") or {}, ks.get("spec") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        every, base = go_seconds(spec.get("interval")), _base(ks)
        if every is None or base is None or spec.get("suspend"):
            slots.pop(key, None)
            continue
        slot = int((now - base) // every)
        if key not in slots:  # first sight (or just resumed): the next interval applies
            slots[key] = slot
            continue
        if slot > slots[key]:
            slots[key] = slot
            apply_from_git(cluster, ks, git)
