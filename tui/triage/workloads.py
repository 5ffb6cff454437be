"""The runbook's rules on the cluster's workloads: nodes, pods, Deployments, Services, Flux."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

from tui.store import Store
from tui.store.units import human_duration
from tui.triage.findings import (
    Finding,
    Pending,
    Ranked,
    Severity,
    Subject,
    rank_text,
    subject_text,
)
from tui.triage.podgroups import PodGroups

NODE_NOT_READY_FOR = 120.0  # seconds
CRASHLOOP_RESTARTS = 3  # more than this many
DEPLOYMENT_UNAVAILABLE_FOR = 120.0  # a rollout in progress is not an incident (issue 25: 2 min)
API_ERROR_RATE = 0.10


def _pod_subject(key: tuple[str, str, str], pods: list[Any]) -> Subject:
    kind, ns, name = key
    return Subject(kind, name, ns, pod=pods[0].name)


def _names(pods: list[Any], limit: int = 3) -> str:
    shown = ", ".join(p.name for p in pods[:limit])
    return shown + (f" and {len(pods) - limit} more" if len(pods) > limit else "")


PRESSURE_ACTIONS = {
    "DiskPressure": ("host.disk-report", "host.journal-vacuum", "host.image-prune"),
    "MemoryPressure": ("host.drop-caches", "pod.delete"),
    "PIDPressure": ("host.run-diagnostic",),
}


def node_rules(store: Store, now: float) -> list[Finding]:
    out = []
    for node in store.nodes.values():
        if node.pressures:  # kubelet says so before it evicts
            actions = tuple(a for p in node.pressures for a in PRESSURE_ACTIONS.get(p, ()))
            out.append(
                Finding(
                    "node-pressure",
                    "Node under pressure",
                    Severity.WARNING,
                    Subject("node", node.name),
                    f"{', '.join(node.pressures)}=True: kubelet evicts pods to relieve it",
                    actions or ("host.disk-report",),
                    "Disk Space Issues"
                    if "DiskPressure" in node.pressures
                    else "High Memory Usage",
                )
            )
        if node.ready == "True":
            continue
        lasted = f" for {human_duration(now - node.ready_since)}" if node.ready_since else ""
        out.append(
            Finding(
                "node-not-ready",
                "Node NotReady",
                Severity.CRITICAL,
                Subject("node", node.name),
                f"Ready={node.ready}{lasted}: {node.ready_message}",
                ("host.service-status", "host.journal-tail", "host.service-restart"),
                "Node NotReady",
                since=node.ready_since,
                hold=NODE_NOT_READY_FOR,
            )
        )
    return out


def pod_rules(store: Store, now: float) -> Ranked:
    """Ranked: a large incident has thousands of troubled pods, and only the findings
    shown, or named in the one that folds the rest, are made (triage.folded); the groups
    are kept from one pass to the next (triage.podgroups)."""
    groups = _GROUPS.get(store)
    if groups is None:
        groups = _GROUPS[store] = PodGroups(_which, (CRASH, OOM, PULL))
    groups.update(store, partial(_group_rank, store))

    def first(n: int) -> list[Pending]:
        return [_group_pending(store, g, groups.pods(g, store)) for g in groups.first(n)]

    return Ranked(len(groups.ranks), first)


CRASH, OOM, PULL = 1, 2, 4
# One per store (each watched cluster has its own), gone with it.
_GROUPS: WeakKeyDictionary[Store, PodGroups] = WeakKeyDictionary()


def _group_rank(store: Store, group: tuple[int, tuple[str, str, str]], pods: list[Any]) -> str:
    return rank_text(_group_pending(store, group, pods))


def _group_pending(
    store: Store, group: tuple[int, tuple[str, str, str]], pods: list[Any]
) -> Pending:
    bit, key = group
    if bit == CRASH:
        return _pending("pod-crashloop", Severity.CRITICAL, key, partial(_crash, key, pods))
    if bit == OOM:
        critical = any(p.restarts > CRASHLOOP_RESTARTS for p in pods)
        severity = Severity.CRITICAL if critical else Severity.WARNING
        return _pending("oomkilled", severity, key, partial(_oom, key, pods, store, severity))
    return _pending("image-pull", Severity.WARNING, key, partial(_pull, key, pods))


def _which(pod: Any) -> int:
    reasons = {c.reason for c in pod.containers}
    which = 0
    if pod.restarts > CRASHLOOP_RESTARTS and (
        "CrashLoopBackOff" in reasons or pod.status == "CrashLoopBackOff"
    ):
        which |= CRASH
    if any(c.last_reason == "OOMKilled" or c.reason == "OOMKilled" for c in pod.containers):
        which |= OOM
    if reasons & {"ImagePullBackOff", "ErrImagePull"} or pod.status in (
        "ImagePullBackOff",
        "ErrImagePull",
    ):
        which |= PULL
    return which


def _pending(
    rule: str, severity: Severity, key: tuple[str, str, str], make: Callable[[], Finding]
) -> Pending:
    kind, ns, name = key
    return Pending(severity, f"{rule}:{subject_text(kind, name, ns)}", make)


def _worst_first(pod: Any) -> tuple[int, str]:
    """The pods a finding names, and the one its pod actions act on: the most restarted
    first, then by name (the same, whichever order they came in)."""
    return (-pod.restarts, pod.name)


def _crash(key: tuple[str, str, str], pods: list[Any]) -> Finding:
    pods.sort(key=_worst_first)
    worst = pods[0]
    last = f", last {worst.last_termination}" if worst.last_termination else ""
    return Finding(
        "pod-crashloop",
        "Pod crash-looping",
        Severity.CRITICAL,
        _pod_subject(key, pods),
        f"{len(pods)} pod(s) in CrashLoopBackOff ({_names(pods)}), {worst.restarts} restarts{last}",
        ("pod.logs-previous", "deployment.restart", "pod.describe"),
        "Pods Crash/Restart Loop",
    )


def _oom(key: tuple[str, str, str], pods: list[Any], store: Store, severity: Severity) -> Finding:
    pods.sort(key=_worst_first)
    limits = ""
    dep = store.deployment(key[1], key[2]) if key[0] == "deployment" else None
    if dep is not None:
        limits = ", ".join(
            f"{name} limit {lim.get('memory', 'none')}" for name, _req, lim in dep.containers
        )
    return Finding(
        "oomkilled",
        "OOMKilled",
        severity,
        _pod_subject(key, pods),
        f"{len(pods)} pod(s) last terminated OOMKilled ({_names(pods)})"
        + (f"; {limits}" if limits else ""),
        ("deployment.set-resources", "pod.logs-previous"),
        "High Memory Usage",
    )


def _pull(key: tuple[str, str, str], pods: list[Any]) -> Finding:
    pods.sort(key=_worst_first)
    msg = next((c.message for p in pods for c in p.containers if c.message), "")
    return Finding(
        "image-pull",
        "Image cannot be pulled",
        Severity.WARNING,
        _pod_subject(key, pods),
        f"{len(pods)} pod(s) in {pods[0].status} ({_names(pods)})" + (f": {msg}" if msg else ""),
        ("pod.describe",),
        "Image Automation Issues",
    )


def deployment_rules(store: Store, now: float) -> list[Pending]:
    """Pending, as the pod rules' (a large incident's thousands of Deployments)."""
    out = []
    for dep in store.deployments.values():
        if dep.replicas == 0 or dep.paused:
            continue
        missing = max(dep.unavailable, dep.replicas - dep.available)
        if missing <= 0:
            continue
        key = f"deployment-unavailable:{subject_text('deployment', dep.name, dep.namespace)}"
        make = partial(_unavailable, dep, missing)
        since, hold = dep.unavailable_since, DEPLOYMENT_UNAVAILABLE_FOR
        out.append(Pending(Severity.WARNING, key, make, since=since, hold=hold))
    return out


def _unavailable(dep: Any, missing: int) -> Finding:
    return Finding(
        "deployment-unavailable",
        "Deployment unavailable replicas",
        Severity.WARNING,
        Subject("deployment", dep.name, dep.namespace),
        f"{dep.available}/{dep.replicas} available, {missing} unavailable"
        + (f": {dep.progressing_message}" if dep.progressing_message else ""),
        ("deployment.restart", "pod.describe", "deployment.scale"),
        "Pods Crash/Restart Loop",
        since=dep.unavailable_since,
        hold=DEPLOYMENT_UNAVAILABLE_FOR,
    )


def service_rules(store: Store, now: float) -> list[Finding]:
    endpoints = {(e.namespace, e.name): e for e in store.objects.get("endpoints", {}).values()}
    out = []
    for svc in store.objects.get("services", {}).values():
        if not svc.selector or svc.type == "ExternalName":
            continue  # endpoints kept by hand, or none by design
        ep = endpoints.get((svc.namespace, svc.name))
        if ep is not None and ep.ready > 0:
            continue
        pods = [
            p
            for p in store.pods.values()
            if p.namespace == svc.namespace
            and all(p.labels.get(k) == v for k, v in svc.selector.items())
        ]
        waiting = f", {ep.not_ready} not ready" if ep is not None and ep.not_ready else ""
        out.append(
            Finding(
                "service-no-endpoints",
                "Service without endpoints",
                Severity.CRITICAL,
                Subject("service", svc.name, svc.namespace, pod=pods[0].name if pods else ""),
                f"no ready address behind it{waiting}; {len(pods)} pod(s) match its selector",
                ("pod.describe", "probe.tcp", "endpoints.recreate"),
                "Service/Ingress Inaccessible",
            )
        )
    return out


def flux_rules(store: Store, now: float) -> list[Finding]:
    out = []
    for o in store.flux_objects():
        if o.suspended or not o.failing:
            continue
        with_source = o.kind in ("Kustomization", "HelmRelease")
        actions: tuple[str, ...] = ("flux.sops-check",) if o.sops_failure else ()
        actions += ("flux.reconcile-with-source",) if with_source else ("flux.reconcile",)
        state = "Stalled" if o.stalled else f"Ready={o.ready}"
        out.append(
            Finding(
                "flux-not-ready",
                "Flux SOPS decryption failed" if o.sops_failure else "Flux not ready",
                Severity.WARNING,
                Subject(
                    o.kind, o.name, o.namespace, path=store.flux_path(o.kind, o.namespace, o.name)
                ),
                f"{state} ({o.reason}): {o.message}" if o.reason else f"{state}: {o.message}",
                actions,
                "SOPS Decryption Failed" if o.sops_failure else "Reconciliation Failed",
            )
        )
    return out
