"""Triage: the runbook's alert rules as findings. Pure: a store and a time in, findings
out; a Tracker turns successive evaluations into a timeline (first seen, cleared).

The rules and thresholds are the guide's "Monitoring proactif" (critical: node
NotReady over 2 minutes, a pod crash-looping over 3 restarts, a disk over 90 %,
memory over 95 %, an API error rate over 10 %), plus what RUNBOOK.md section 3 and the
triage issue add (OOMKilled, image pulls, Flux, Services without endpoints,
unavailable Deployments, the k3s unit, the metrics API, cert-manager Certificates).
Each finding names the actions that answer it, by their registry ids.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from tui.store import State, Store
from tui.store.host import DISK_FULL_PERCENT, MEMORY_FULL_PERCENT
from tui.store.units import fmt_bytes, human_duration

NODE_NOT_READY_FOR = 120.0  # seconds
CRASHLOOP_RESTARTS = 3  # more than this many
DEPLOYMENT_UNAVAILABLE_FOR = 60.0  # a rollout in progress is not an incident
API_ERROR_RATE = 0.10


class Severity(IntEnum):
    WARNING = 1
    CRITICAL = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Subject:
    """What a finding is about, and what its actions act on."""

    kind: str  # node | pod | deployment | service | host | cluster | a Flux kind | Certificate
    name: str = ""
    namespace: str = ""
    pod: str = ""  # for pod actions on a deployment's finding: its worst pod
    path: str = ""  # Flux: the object's API path

    def __str__(self) -> str:
        if self.kind == "cluster":
            return "cluster"
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


@dataclass(frozen=True)
class Finding:
    rule: str  # stable id of the rule: node-not-ready, pod-crashloop...
    title: str
    severity: Severity
    subject: Subject
    evidence: str  # the numbers and messages that triggered it
    actions: tuple[str, ...]  # action ids, the most useful first
    section: str  # the runbook's section (the French guide's heading)
    since: float | None = None  # when the condition began, where the object says
    hold: float = 0.0  # seconds it must last before it is a finding

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}"


# -- the rules ------------------------------------------------------------------------
def _pods_by_owner(pods: Iterable[Any], store: Store) -> dict[tuple[str, str, str], list[Any]]:
    """Pods grouped by what an operator acts on: their Deployment, else themselves."""
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for pod in pods:
        dep = store.deployment_of(pod)
        key = ("deployment", pod.namespace, dep.name) if dep else ("pod", pod.namespace, pod.name)
        groups.setdefault(key, []).append(pod)
    return groups


def _pod_subject(key: tuple[str, str, str], pods: list[Any]) -> Subject:
    kind, ns, name = key
    return Subject(kind, name, ns, pod=pods[0].name)


def _names(pods: list[Any], limit: int = 3) -> str:
    shown = ", ".join(p.name for p in pods[:limit])
    return shown + (f" and {len(pods) - limit} more" if len(pods) > limit else "")


def node_rules(store: Store, now: float) -> list[Finding]:
    out = []
    for node in store.nodes.values():
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


def pod_rules(store: Store, now: float) -> list[Finding]:
    crash, oom, pull = [], [], []
    for pod in store.pods.values():
        if pod.restarts == 0 and pod.healthy:
            continue  # no restart, no last termination; nothing waiting: most pods
        reasons = {c.reason for c in pod.containers}
        if pod.restarts > CRASHLOOP_RESTARTS and (
            "CrashLoopBackOff" in reasons or pod.status == "CrashLoopBackOff"
        ):
            crash.append(pod)
        if any(c.last_reason == "OOMKilled" or c.reason == "OOMKilled" for c in pod.containers):
            oom.append(pod)
        if reasons & {"ImagePullBackOff", "ErrImagePull"} or pod.status in (
            "ImagePullBackOff",
            "ErrImagePull",
        ):
            pull.append(pod)
    out = []
    for key, pods in _pods_by_owner(crash, store).items():
        pods.sort(key=lambda p: -p.restarts)
        worst = pods[0]
        last = f", last {worst.last_termination}" if worst.last_termination else ""
        out.append(
            Finding(
                "pod-crashloop",
                "Pod crash-looping",
                Severity.CRITICAL,
                _pod_subject(key, pods),
                f"{len(pods)} pod(s) in CrashLoopBackOff ({_names(pods)}), "
                f"{worst.restarts} restarts{last}",
                ("pod.logs-previous", "deployment.restart", "pod.describe"),
                "Pods Crash/Restart Loop",
            )
        )
    for key, pods in _pods_by_owner(oom, store).items():
        limits = ""
        dep = store.deployment(key[1], key[2]) if key[0] == "deployment" else None
        if dep is not None:
            limits = ", ".join(
                f"{name} limit {lim.get('memory', 'none')}" for name, _req, lim in dep.containers
            )
        out.append(
            Finding(
                "oomkilled",
                "OOMKilled",
                Severity.CRITICAL
                if any(p.restarts > CRASHLOOP_RESTARTS for p in pods)
                else Severity.WARNING,
                _pod_subject(key, pods),
                f"{len(pods)} pod(s) last terminated OOMKilled ({_names(pods)})"
                + (f"; {limits}" if limits else ""),
                ("deployment.set-resources", "pod.logs-previous"),
                "High Memory Usage",
            )
        )
    for key, pods in _pods_by_owner(pull, store).items():
        msg = next((c.message for p in pods for c in p.containers if c.message), "")
        out.append(
            Finding(
                "image-pull",
                "Image cannot be pulled",
                Severity.WARNING,
                _pod_subject(key, pods),
                f"{len(pods)} pod(s) in {pods[0].status} ({_names(pods)})"
                + (f": {msg}" if msg else ""),
                ("pod.describe",),
                "Image Automation Issues",
            )
        )
    return out


def deployment_rules(store: Store, now: float) -> list[Finding]:
    out = []
    for dep in store.deployments.values():
        if dep.replicas == 0 or dep.paused:
            continue
        missing = max(dep.unavailable, dep.replicas - dep.available)
        if missing <= 0:
            continue
        out.append(
            Finding(
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
        )
    return out


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
                ("pod.describe", "endpoints.recreate"),
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
                Subject(o.kind, o.name, o.namespace, path=_flux_path(store, o)),
                f"{state} ({o.reason}): {o.message}" if o.reason else f"{state}: {o.message}",
                actions,
                "SOPS Decryption Failed" if o.sops_failure else "Reconciliation Failed",
            )
        )
    return out


def _flux_path(store: Store, o: Any) -> str:
    template = store.flux_paths.get(o.kind, "")
    return template.format(namespace=o.namespace, name=o.name) if template else ""


def host_rules(store: Store, now: float) -> list[Finding]:
    out = []
    for view in store.hosts.values():
        subject = Subject("host", view.name)
        state = view.status.state
        if not state.ok and state is not State.CONNECTING:
            out.append(
                Finding(
                    "host-unreachable",
                    "Host not reachable",
                    Severity.WARNING,
                    subject,
                    f"{state.value}: {view.status.message}",
                    (),
                    "Cluster Unresponsive",
                    since=view.status.since,
                )
            )
            continue
        s = view.sample
        if s is None or not state.ok:
            continue
        full = sorted(s.disk_full, key=lambda f: -f.percent)
        if full:
            out.append(
                Finding(
                    "disk-full",
                    "Disk almost full",
                    Severity.CRITICAL,
                    subject,
                    "; ".join(f"{f.mount} {f.percent}% of {fmt_bytes(f.size)}" for f in full)
                    + f" (threshold {DISK_FULL_PERCENT}%)",
                    ("host.disk-report", "host.journal-vacuum", "host.image-prune"),
                    "Disk Space Full",
                )
            )
        if s.memory_full:
            top = ", ".join(f"{p.name} {p.memory:.0f}%" for p in s.top_memory[:3])
            out.append(
                Finding(
                    "memory-full",
                    "Memory exhausted",
                    Severity.CRITICAL,
                    subject,
                    f"{s.memory.used_percent:.0f}% of {fmt_bytes(s.memory.total)} used"
                    f" (threshold {MEMORY_FULL_PERCENT}%); top: {top}",
                    ("host.drop-caches", "pod.delete"),
                    "High Memory Usage",
                )
            )
        k3s = s.services.k3s
        if k3s is not None and k3s.active != "active":
            out.append(
                Finding(
                    "k3s-not-active",
                    "k3s not active",
                    Severity.CRITICAL,
                    subject,
                    f"{k3s.name} is {k3s.active} ({k3s.sub})",
                    ("host.service-status", "host.journal-tail", "host.service-restart"),
                    "Node NotReady",
                )
            )
    return out


def api_host(store: Store) -> Any:
    """The host that runs the API server, where the console knows it: this machine when
    the server's address is loopback or this machine's; else a host reached at that
    address; else the host of a control-plane node ([hosts])."""
    api = store.api_server
    if api is None:
        return None
    views = list(store.hosts.values())
    if api.local:
        return next((v for v in views if v.target == "local"), None)
    for v in views:
        if api.host and api.host in (v.address, v.name):
            return v
    nodes = sorted(store.nodes.values(), key=lambda n: n.name)
    for node in nodes:
        if node.internal_ip == api.host and store.host_of_node(node.name):
            return store.host_of_node(node.name)
    for node in nodes:
        if {"control-plane", "master"} & set(node.roles) and store.host_of_node(node.name):
            return store.host_of_node(node.name)
    return None


def api_rules(store: Store, now: float) -> list[Finding]:
    """The API server does not answer: the cluster's panes are frozen as last seen, and
    the answer is on the host that runs it (k3s's unit and journal)."""
    down = [
        store.status[k] for k in ("pods", "nodes") if store.status[k].state is State.UNREACHABLE
    ]
    if not down or store.api_server is None:
        return []
    view = api_host(store)
    subject = Subject("host", view.name) if view is not None else Subject("cluster")
    where = f" (runs on host {view.name})" if view is not None else ""
    since = min(s.since for s in down)
    return [
        Finding(
            "api-unreachable",
            "Kubernetes API unreachable",
            Severity.CRITICAL,
            subject,
            f"{store.api_server.url}{where}: {down[0].message}; the cluster's panes show "
            "rows as last seen",
            ("host.service-status", "host.journal-tail"),
            "Node NotReady",
            since=since,
        )
    ]


def cluster_rules(store: Store, now: float) -> list[Finding]:
    out = []
    ms = store.metrics_status
    if ms.state in (State.ABSENT, State.FORBIDDEN, State.UNAUTHORIZED, State.ERROR):
        out.append(
            Finding(
                "metrics-unavailable",
                "Metrics API unavailable",
                Severity.WARNING,
                Subject("cluster"),
                f"metrics.k8s.io {ms.state.value}: {ms.message}",
                (),
                "High CPU Usage",
            )
        )
    for cert in store.objects.get("certificates", {}).values():
        if cert.ready == "True":
            continue
        out.append(
            Finding(
                "certificate-not-ready",
                "Certificate not ready",
                Severity.WARNING,
                Subject("Certificate", cert.name, cert.namespace),
                f"Ready={cert.ready}: {cert.message}",
                (),
                "Service/Ingress Inaccessible",
            )
        )
    rate = store.api_error_rate
    if rate is not None and rate > API_ERROR_RATE:
        out.append(
            Finding(
                "api-error-rate",
                "API error rate",
                Severity.CRITICAL,
                Subject("cluster"),
                f"{rate:.1%} of requests failed over 5 minutes (threshold {API_ERROR_RATE:.0%})",
                ("pod.logs",),
                "API Gateway 502/503 Errors",
            )
        )
    return out


RULES = (
    api_rules,
    node_rules,
    pod_rules,
    deployment_rules,
    service_rules,
    flux_rules,
    host_rules,
    cluster_rules,
)


def evaluate(store: Store, now: float | None = None) -> list[Finding]:
    """Every rule on the store as it is now (holds not applied: see Tracker / due())."""
    now = time.time() if now is None else now
    return [f for rule in RULES for f in rule(store, now)]


def due(finding: Finding, first_observed: float, now: float) -> bool:
    """A finding counts once its condition has lasted its hold."""
    start = finding.since if finding.since is not None else first_observed
    return now - start >= finding.hold


def ordered(findings: Iterable[Finding], first_seen: dict[str, float]) -> list[Finding]:
    """Critical first, then the longest-standing first (the oldest problem is often the cause)."""
    return sorted(
        findings,
        key=lambda f: (-f.severity, first_seen.get(f.key, 0.0), f.rule, str(f.subject)),
    )


# -- the timeline ---------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineEntry:
    at: float
    event: str  # seen | cleared
    finding: Finding
    first_seen: float

    def as_json(self) -> dict[str, Any]:
        f = self.finding
        return {
            "event": f"finding-{self.event}",
            "time": self.at,
            "first_seen": self.first_seen,
            "key": f.key,
            "rule": f.rule,
            "title": f.title,
            "severity": f.severity.label,
            "subject": str(f.subject),
            "evidence": f.evidence,
            "actions": list(f.actions),
            "section": f.section,
        }


@dataclass
class Tracker:
    """Successive evaluations -> the active findings and what changed (seen, cleared)."""

    observed: dict[str, float] = field(default_factory=dict)  # key -> first time the rule fired
    active: dict[str, Finding] = field(default_factory=dict)
    first_seen: dict[str, float] = field(default_factory=dict)  # active key -> when it began
    timeline: list[TimelineEntry] = field(default_factory=list)
    max_timeline: int = 1000

    def update(self, findings: Iterable[Finding], now: float) -> list[TimelineEntry]:
        current = {f.key: f for f in findings}
        changes = []
        for key in list(self.observed):
            if key not in current:
                del self.observed[key]
        for key, f in current.items():
            first = self.observed.setdefault(key, now)
            if key in self.active:
                self.active[key] = f  # fresher evidence
            elif due(f, first, now):
                began = f.since if f.since is not None and f.since < now else first
                self.active[key] = f
                self.first_seen[key] = began
                changes.append(TimelineEntry(now, "seen", f, began))
        for key in list(self.active):
            if key not in current:
                f = self.active.pop(key)
                changes.append(TimelineEntry(now, "cleared", f, self.first_seen.pop(key, now)))
        self.timeline.extend(changes)
        del self.timeline[: -self.max_timeline]
        return changes

    def findings(self) -> list[Finding]:
        return ordered(self.active.values(), self.first_seen)

    def cleared(self) -> list[TimelineEntry]:
        """Findings that cleared, newest first."""
        return [e for e in reversed(self.timeline) if e.event == "cleared"]
