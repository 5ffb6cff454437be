"""The other workloads and claims the wider triage reads (StatefulSets, DaemonSets, Jobs,
CronJobs, PersistentVolumeClaims, Strimzi's Kafka, KafkaTopic and KafkaUser): one small
model for all, the facts its rule needs, parsed once per change. Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tui.store.meta import JSON, Object, _d, _i, _l, _s, parse_meta
from tui.store.units import parse_time


@dataclass(frozen=True, slots=True)
class Thing(Object):
    kind: str  # StatefulSet | DaemonSet | Job | CronJob | PersistentVolumeClaim | Kafka...
    desired: int = 0  # replicas wanted (StatefulSet), pods scheduled to run (DaemonSet)
    ready: int = 0
    condition: str = ""  # the Ready condition's status (Strimzi), "" when none
    message: str = ""  # why: the condition's or the status's message
    phase: str = ""  # PersistentVolumeClaim
    failed: bool = False  # Job: condition Failed=True
    suspended: bool = False  # CronJob
    last_schedule: float | None = None  # CronJob
    schedule: str = ""  # CronJob: spec.schedule
    refs: tuple[tuple[str, str], ...] = ()  # Ingress backends, webhooks' Services: (ns, name)
    secrets: tuple[str, ...] = ()  # an Ingress's TLS Secrets (in its namespace)


def _condition(status: JSON, kind: str) -> tuple[str, str]:
    for c in _l(status, "conditions"):
        if isinstance(c, dict) and c.get("type") == kind:
            return _s(c, "status", 16), _s(c, "message", 1024) or _s(c, "reason", 128)
    return "", ""


def parser(kind: str) -> Callable[[JSON], Thing]:
    def parse(obj: JSON) -> Thing:
        m = parse_meta(obj)
        spec, status = _d(obj, "spec"), _d(obj, "status")
        ready, message = _condition(status, "Ready")
        failed, why = _condition(status, "Failed")
        identity = m.identity
        if kind == "StatefulSet":
            wanted = _i(spec, "replicas") if "replicas" in spec else 1
            return Thing(*identity, kind=kind, desired=wanted, ready=_i(status, "readyReplicas"))
        if kind == "DaemonSet":
            return Thing(
                *identity,
                kind=kind,
                desired=_i(status, "desiredNumberScheduled"),
                ready=_i(status, "numberReady"),
            )
        if kind == "Job":
            return Thing(*identity, kind=kind, failed=failed == "True", message=why)
        if kind == "CronJob":
            return Thing(
                *identity,
                kind=kind,
                suspended=spec.get("suspend") is True,
                last_schedule=parse_time(status.get("lastScheduleTime")),
                schedule=_s(spec, "schedule", 128),
            )
        if kind == "PersistentVolumeClaim":
            return Thing(*identity, kind=kind, phase=_s(status, "phase", 32))
        if kind == "Ingress":
            paths = [
                p
                for r in _l(spec, "rules")
                for p in _l(_d(r, "http"), "paths")
                if isinstance(r, dict) and isinstance(p, dict)
            ]
            backends = [_d(p, "backend") for p in paths] + [_d(spec, "defaultBackend")]
            names = {_s(_d(b, "service"), "name", 253) for b in backends} - {""}
            tls = {_s(t, "secretName", 253) for t in _l(spec, "tls")} - {""}
            return Thing(
                *identity,
                kind=kind,
                refs=tuple((m.namespace, n) for n in sorted(names)),
                secrets=tuple(sorted(tls)),
            )
        if kind.endswith("WebhookConfiguration"):
            services = [_d(_d(w, "clientConfig"), "service") for w in _l(obj, "webhooks")]
            refs = {(_s(v, "namespace", 253), _s(v, "name", 253)) for v in services if v}
            return Thing(*identity, kind=kind, refs=tuple(sorted(refs)))
        return Thing(
            *identity, kind=kind, condition=ready or "Unknown", message=message
        )  # Strimzi's kinds

    return parse
