"""Provenance: which Flux object applies an object, from which source, and when it
re-applies (what `flux trace` and `flux events --for` show).

Provenance is read as `flux trace` reads it: the object's labels
`kustomize.toolkit.fluxcd.io/name|namespace` (else `helm.toolkit.fluxcd.io/...`), else
its controller ownerReference walked up (Pod -> ReplicaSet -> Deployment...) and the
owner's labels. Then the Kustomization or HelmRelease, then its source. Every read is a
GET through the action's client; nothing here changes anything.

A Kustomization re-applies its manifests every `interval` and undoes manual changes to
the fields it manages (Flux's FAQ names the rollout restart's annotation too): see
actions/gitops.py for what the console does about it. No Textual here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from actions.base import Context, Request, Target
from actions.kubernetes import ApiFailure, deployment_path, pod_path, send
from tui.store.flux import FluxObject, parse_flux
from tui.store.meta import (
    flux_manager,
)
from tui.store.units import human_duration, parse_time

OWNER_PATHS = {  # the kinds an ownerReference walk goes through, and where each lives
    "ReplicaSet": "/apis/apps/v1/namespaces/{ns}/replicasets/{name}",
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
    "StatefulSet": "/apis/apps/v1/namespaces/{ns}/statefulsets/{name}",
    "DaemonSet": "/apis/apps/v1/namespaces/{ns}/daemonsets/{name}",
    "Job": "/apis/batch/v1/namespaces/{ns}/jobs/{name}",
    "CronJob": "/apis/batch/v1/namespaces/{ns}/cronjobs/{name}",
}
FLUX_PATHS = {  # when discovery has not said (the versions of Flux 2.7)
    "Kustomization": "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/{ns}/kustomizations/{name}",
    "HelmRelease": "/apis/helm.toolkit.fluxcd.io/v2/namespaces/{ns}/helmreleases/{name}",
    "GitRepository": "/apis/source.toolkit.fluxcd.io/v1/namespaces/{ns}/gitrepositories/{name}",
    "OCIRepository": "/apis/source.toolkit.fluxcd.io/v1/namespaces/{ns}/ocirepositories/{name}",
    "HelmRepository": "/apis/source.toolkit.fluxcd.io/v1/namespaces/{ns}/helmrepositories/{name}",
    "HelmChart": "/apis/source.toolkit.fluxcd.io/v1/namespaces/{ns}/helmcharts/{name}",
    "Bucket": "/apis/source.toolkit.fluxcd.io/v1/namespaces/{ns}/buckets/{name}",
}
API_VERSIONS = {"deployment": ("apps/v1", "Deployment"), "pod": ("v1", "Pod")}
MAX_HOPS = 5
MAX_EVENTS = 30
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
WAYS = ("suspend", "annotate", "anyway")


def parse_go_duration(text: str) -> float | None:
    """Flux's intervals are Go durations: "5m", "1h30m", "10s" -> seconds."""
    text = text.strip()
    if not text or _DURATION.sub("", text):
        return None
    total = sum(float(n) * _UNIT[u] for n, u in _DURATION.findall(text))
    return total if total > 0 else None


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock_time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S UTC")


@dataclass(frozen=True)
class Link:
    """One object of the chain, the object itself first, the one Flux applied last."""

    kind: str
    namespace: str
    name: str
    path: str
    api_version: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else self.kind


@dataclass(frozen=True)
class TraceEvent:
    at: float | None
    about: str  # Kind/name
    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class Trace:
    chain: tuple[Link, ...]
    manager_ref: tuple[str, str, str] = ("", "", "")  # from the labels: kind, ns, name
    manager: FluxObject | None = None
    manager_path: str = ""
    source: FluxObject | None = None
    source_path: str = ""
    events: tuple[TraceEvent, ...] = ()
    problem: str = ""  # why the trace stopped short of the source, if it did

    @property
    def managed(self) -> Link | None:
        """The object Flux applied (the one carrying the labels), when Flux manages it."""
        return self.chain[-1] if self.manager_ref[0] and self.chain else None

    @property
    def manager_name(self) -> str:
        kind, ns, name = self.manager_ref
        return f"{kind} {ns}/{name}" if kind else ""


def flux_path(ctx: Context, kind: str, namespace: str, name: str) -> str:
    store_path = ""
    if ctx.store is not None and hasattr(ctx.store, "flux_path"):
        store_path = ctx.store.flux_path(kind, namespace, name)
    if store_path:
        return str(store_path)
    template = FLUX_PATHS.get(kind, "")
    return template.format(ns=namespace, name=name) if template else ""


def object_path(target: Target) -> str:
    if target.path:
        return target.path
    if target.kind == "pod":
        return pod_path(target.namespace, target.name)
    if target.kind == "deployment":
        return deployment_path(target.namespace, target.name)
    return ""


def _events(ctx: Context, kind: str, namespace: str, name: str) -> list[TraceEvent]:
    where = f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    selector = f"involvedObject.name={name},involvedObject.kind={kind}"
    try:
        got = ctx.client.json("GET", where, query={"fieldSelector": selector}, timeout=(5.0, 30.0))
    except Exception:
        return []  # events are a help, not the trace: a forbidden list leaves them out
    out = []
    for e in (got or {}).get("items") or []:
        if not isinstance(e, dict):
            continue
        at = (
            parse_time(e.get("lastTimestamp"))
            or parse_time(e.get("eventTime"))
            or parse_time((e.get("metadata") or {}).get("creationTimestamp"))
        )
        out.append(
            TraceEvent(
                at,
                f"{kind}/{name}",
                str(e.get("type", "")),
                str(e.get("reason", "")),
                str(e.get("message", "")),
            )
        )
    return out


def trace(ctx: Context, target: Target) -> Trace:
    """The object -> (owners) -> Kustomization/HelmRelease -> source, read from the API.
    Raises ApiFailure when the object itself cannot be read."""
    path = object_path(target)
    if not path:
        raise ApiFailure(f"no API path known for {target}")
    obj = send(ctx, Request("GET", path))
    kind = str(obj.get("kind") or API_VERSIONS.get(target.kind, ("", target.kind))[1])
    meta = obj.get("metadata") or {}
    ns0, name0 = str(meta.get("namespace", "")), str(meta.get("name", ""))
    chain = [Link(kind, ns0, name0, path, str(obj.get("apiVersion", "")))]
    manager = flux_manager(meta)
    problem = ""
    for _ in range(MAX_HOPS):
        if manager[0]:
            break
        ref = next(
            (
                r
                for r in meta.get("ownerReferences") or []
                if isinstance(r, dict) and r.get("controller")
            ),
            None,
        )
        if ref is None:
            break
        owner_kind, owner_name = str(ref.get("kind", "")), str(ref.get("name", ""))
        template = OWNER_PATHS.get(owner_kind)
        ns = chain[-1].namespace
        if template is None:  # a CRD's controller (StrimziPodSet...): say where the walk ends
            chain.append(Link(owner_kind, ns, owner_name, ""))
            break
        owner_path = template.format(ns=ns, name=owner_name)
        try:
            obj = send(ctx, Request("GET", owner_path))
        except ApiFailure as e:
            problem = f"cannot read {owner_kind} {ns}/{owner_name}: {e}"
            break
        meta = obj.get("metadata") or {}
        chain.append(Link(owner_kind, ns, owner_name, owner_path, str(obj.get("apiVersion", ""))))
        manager = flux_manager(meta)
    first = chain[0]
    events = _events(ctx, first.kind, first.namespace, first.name)
    if not manager[0]:
        return Trace(tuple(chain), events=_newest(events), problem=problem)
    m_kind, m_ns, m_name = manager
    m_path = flux_path(ctx, m_kind, m_ns, m_name)
    try:
        managing = parse_flux({"kind": m_kind, **send(ctx, Request("GET", m_path))})
    except ApiFailure as e:
        problem = f"cannot read {m_kind} {m_ns}/{m_name}: {e}"
        return Trace(tuple(chain), manager, None, m_path, events=_newest(events), problem=problem)
    events += _events(ctx, m_kind, m_ns, m_name)
    source, s_path = None, ""
    if managing.source_kind:
        s_kind, s_ns, s_name = (
            managing.source_kind,
            managing.source_namespace,
            managing.source_name,
        )
        s_path = flux_path(ctx, s_kind, s_ns, s_name)
        try:
            source = parse_flux({"kind": s_kind, **send(ctx, Request("GET", s_path))})
            events += _events(ctx, s_kind, s_ns, s_name)
        except ApiFailure as e:
            problem = f"cannot read {s_kind} {s_ns}/{s_name}: {e}"
    return Trace(tuple(chain), manager, managing, m_path, source, s_path, _newest(events), problem)


def _newest(events: list[TraceEvent]) -> tuple[TraceEvent, ...]:
    return tuple(sorted(events, key=lambda e: -(e.at or 0.0))[:MAX_EVENTS])


# -- when Flux comes back -----------------------------------------------------------------
def next_reconcile(o: FluxObject, now: float) -> float | None:
    """When the object's next periodic reconcile is due: its interval counted from the
    last one it handled (status.lastHandledReconcileAt), else from its Ready transition."""
    every = parse_go_duration(o.interval)
    base = parse_time(o.last_handled) or o.ready_since
    if every is None or base is None:
        return None
    if now < base:
        return base + every
    return base + (int((now - base) // every) + 1) * every


def revert_text(o: FluxObject, now: float) -> str:
    """What Flux will do to a manual change of an object it applies, and when."""
    name = f"{o.kind} {o.namespace}/{o.name}"
    if o.suspended:
        return (
            f"{name} is suspended: Flux leaves the change alone until it is resumed; its first "
            "reconcile after that reverts it."
        )
    due = next_reconcile(o, now)
    when = (
        f"next reconcile expected at {clock_time(due)} (in {human_duration(max(due - now, 0))})"
        if due is not None
        else f"within its interval ({o.interval or 'unknown'})"
    )
    if o.kind == "HelmRelease" and o.drift_detection != "enabled":
        return (
            f"helm-controller overwrites the change at {name}'s next upgrade (a new chart or "
            f"values; drift detection is {o.drift_detection or 'disabled'}); {when}."
        )
    return (
        f"Flux re-applies {name} every {o.interval or '?'}: changes made by hand are REVERTED"
        f"\nat its next reconcile; {when}."
    )


# -- the trace, as text ------------------------------------------------------------------
@dataclass
class _Lines:
    out: list[str] = field(default_factory=list)

    def add(self, label: str, value: str) -> None:
        self.out.append(f"{label + ':':<16} {value}")


def trace_lines(t: Trace, now: float) -> list[str]:
    """`flux trace`'s layout: the object, what manages it, its source; then the events
    of the three, newest first (`flux events --for`)."""
    w = _Lines()
    first = t.chain[0]
    w.add("Object", f"{first.kind}/{first.name}")
    if first.namespace:
        w.add("Namespace", first.namespace)
    for link in t.chain[1:]:
        w.add("Owned by", f"{link.kind}/{link.name}")
    if not t.manager_ref[0]:
        w.add(
            "Status", "Not managed by Flux (no kustomize/helm toolkit labels on it or its owners)"
        )
    else:
        w.add("Status", f"Managed by Flux ({t.managed} carries {t.manager_ref[0]}'s labels)")
        w.out.append("---")
        m = t.manager
        kind, ns, name = t.manager_ref
        w.add(kind, name)
        w.add("Namespace", ns)
        if m is not None:
            if m.path:
                w.add("Path", m.path)
            w.add("Revision", m.full_revision or "(none applied)")
            w.add("Interval", m.interval or "?")
            w.add("Suspended", "yes" if m.suspended else "no")
            w.add("Ready", f"{m.ready}" + (f" ({m.reason})" if m.reason else ""))
            w.add("Message", m.message or "-")
            w.add("Drift", " ".join(revert_text(m, now).split()))
        s = t.source
        if s is not None:
            w.out.append("---")
            w.add(s.kind, s.name)
            w.add("Namespace", s.namespace)
            w.add("URL", s.url or "-")
            w.add("Revision", s.full_revision or "-")
            w.add("Ready", f"{s.ready}" + (f" ({s.reason})" if s.reason else ""))
            w.add("Message", s.message or "-")
    if t.problem:
        w.add("Problem", t.problem)
    w.out += ["", "Events (newest first)"]
    if not t.events:
        w.out.append("  (none)")
    for e in t.events:
        ago = human_duration(now - e.at) + " ago" if e.at else "?"
        w.out.append(f"  {ago:>10}  {e.about:<36} {e.type:<8} {e.reason:<24} {e.message}")
    return w.out
