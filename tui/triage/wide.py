"""The wider triage (as k8sgpt's default analyzers look): StatefulSets and DaemonSets
with fewer ready pods than wanted (for over 2 minutes), PersistentVolumeClaims Pending
(with the provisioner's last word), Jobs failed, CronJobs suspended or never scheduled,
Strimzi's Kafka, KafkaTopic and KafkaUser not Ready. Each with what answers it. Pure."""

from __future__ import annotations

from tui.store import State, Store
from tui.store.things import Thing
from tui.store.units import human_duration
from tui.triage.cron import previous_run
from tui.triage.findings import Finding, Severity, Subject

UNAVAILABLE_FOR = 120.0  # a rollout in progress is not an incident
NEVER_SCHEDULED_AFTER = 86400.0
MISSED_AFTER = 300.0  # a run this late is missed (the controller starts runs in seconds)


def _things(store: Store, plural: str) -> list[Thing]:
    return [t for t in store.objects.get(f"triage/{plural}", {}).values() if isinstance(t, Thing)]


def _last_event(store: Store, kind: str, namespace: str, name: str) -> str:
    about = [
        e
        for e in store.events.values()
        if e.object_kind == kind and e.object_namespace == namespace and e.object_name == name
    ]
    newest = max(about, key=lambda e: e.last_seen or 0.0, default=None)
    return f"{newest.reason}: {newest.message}" if newest is not None else ""


def wide_rules(store: Store, now: float) -> list[Finding]:
    out: list[Finding] = []
    for plural in ("statefulsets", "daemonsets"):
        for t in _things(store, plural):
            if t.ready >= t.desired:
                continue
            out.append(
                Finding(
                    "workload-unavailable",
                    f"{t.kind} unavailable",
                    Severity.WARNING,
                    Subject(t.kind, t.name, t.namespace),
                    f"{t.ready}/{t.desired} pods ready",
                    ("pod.describe", "pod.logs-previous"),
                    "Pod CrashLoopBackOff",
                    hold=UNAVAILABLE_FOR,
                )
            )
    for t in _things(store, "persistentvolumeclaims"):
        if t.phase != "Pending":
            continue
        said = _last_event(store, "PersistentVolumeClaim", t.namespace, t.name)
        out.append(
            Finding(
                "pvc-pending",
                "PersistentVolumeClaim Pending",
                Severity.WARNING,
                Subject("PersistentVolumeClaim", t.name, t.namespace),
                "Pending: " + (said or "no event from the provisioner yet"),
                ("host.disk-report",),
                "Disk Space Issues",
                hold=60.0,
            )
        )
    for t in _things(store, "jobs"):
        if t.failed:
            out.append(
                Finding(
                    "job-failed",
                    "Job failed",
                    Severity.WARNING,
                    Subject("Job", t.name, t.namespace),
                    f"Failed: {t.message or 'no message'}",
                    ("pod.logs-previous", "pod.describe"),
                    "Pod CrashLoopBackOff",
                )
            )
    for t in _things(store, "cronjobs"):
        age = now - (t.created or now)
        due = previous_run(t.schedule, now - MISSED_AFTER) if t.schedule else None
        if t.suspended:
            why = "spec.suspend: true: no Job is made until it is resumed"
        elif due is not None and (t.created or 0) < due and (t.last_schedule or 0) < due:
            last = (
                f"last at {human_duration(now - t.last_schedule)} ago"
                if t.last_schedule
                else "never run"
            )
            why = f"missed its schedule {t.schedule!r} ({human_duration(now - due)} ago; {last})"
        elif t.last_schedule is None and age > NEVER_SCHEDULED_AFTER:
            why = f"never scheduled in the {human_duration(age)} since it was made"
        else:
            continue
        out.append(
            Finding(
                "cronjob-not-running",
                "CronJob suspended" if t.suspended else "CronJob missed its schedule",
                Severity.WARNING,
                Subject("CronJob", t.name, t.namespace),
                why,
                (),
                "Reconciliation Failed",
            )
        )
    if store.status["services"].state is State.LIVE:  # a Service is missing, not unlisted
        for t in _things(store, "ingresses"):
            for ns, svc in t.refs:
                if store.find("services", ns, svc) is None:
                    out.append(
                        Finding(
                            "ingress-backend-missing",
                            "Ingress backend missing",
                            Severity.WARNING,
                            Subject("Ingress", t.name, t.namespace),
                            f"it routes to Service {ns}/{svc}, which does not exist",
                            ("pod.describe",),
                            "Service/Ingress Inaccessible",
                        )
                    )
    if store.status.get("triage/secrets", None) is not None and (
        store.status["triage/secrets"].state is State.LIVE
    ):  # listed (by name only): a TLS Secret missing is missing, not unlisted
        secrets = {(t.namespace, t.name) for t in _things(store, "secrets")}
        for t in _things(store, "ingresses"):
            for name in t.secrets:
                if (t.namespace, name) not in secrets:
                    out.append(
                        Finding(
                            "ingress-tls-missing",
                            "Ingress TLS Secret missing",
                            Severity.WARNING,
                            Subject("Ingress", t.name, t.namespace),
                            f"its TLS Secret {t.namespace}/{name} does not exist: HTTPS is"
                            " served with the ingress controller's default certificate",
                            (),
                            "Service/Ingress Inaccessible",
                        )
                    )
    for plural in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
        for t in _things(store, plural):
            for ns, svc in t.refs:
                found = store.backends(ns, svc)
                if found is not None and found[0]:
                    continue
                out.append(
                    Finding(
                        "webhook-no-endpoints",
                        "Admission webhook without endpoints",
                        Severity.CRITICAL,
                        Subject(t.kind, t.name),
                        f"its Service {ns}/{svc} has no ready endpoint: the API server refuses"
                        " what it admits (cert-manager's webhook: every Certificate)",
                        ("pod.describe", "deployment.restart"),
                        "Service/Ingress Inaccessible",
                        hold=60.0,
                    )
                )
    for plural in ("kafkas", "kafkatopics", "kafkausers"):
        for t in _things(store, plural):
            if t.condition == "True":
                continue
            out.append(
                Finding(
                    "strimzi-not-ready",
                    f"{t.kind} not Ready",
                    Severity.WARNING,
                    Subject(t.kind, t.name, t.namespace),
                    f"Ready={t.condition}: {t.message or 'no message'}",
                    ("flux.reconcile-with-source",),
                    "Kafka Consumer Lag",
                )
            )
    return out
