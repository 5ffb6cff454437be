"""Wider triage (issue 25), the other kinds: StatefulSets, DaemonSets, Jobs, CronJobs,
claims, Ingresses, webhooks, Strimzi's kinds, a HelmRelease; each rule fires on its
broken case and not on a healthy one; the pod rules read only the troubled pods."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests import fixtures as fx
from tests.test_triage_wide import by_rule
from tui.store import PARSERS, ChangeBuffer, Replace, Store
from tui.triage import evaluate

NOW = time.time()


def things(plural: str, kind: str, *objs: dict[str, Any]) -> Store:
    from tui.store.things import parser

    s = Store()
    s.apply([Replace(f"triage/{plural}", tuple(parser(kind)(o) for o in objs))])
    return s


def meta(name: str, ns: str = "default", age: float = 3600) -> dict[str, Any]:
    from datetime import UTC, datetime

    made = datetime.fromtimestamp(NOW - age, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"name": name, "namespace": ns, "uid": f"u-{name}", "creationTimestamp": made}


@pytest.mark.parametrize(
    ("plural", "kind", "broken", "healthy"),
    [
        (
            "statefulsets",
            "StatefulSet",
            {"spec": {"replicas": 3}, "status": {"readyReplicas": 1}},
            {"spec": {"replicas": 3}, "status": {"readyReplicas": 3}},
        ),
        (
            "daemonsets",
            "DaemonSet",
            {"status": {"desiredNumberScheduled": 2, "numberReady": 1}},
            {"status": {"desiredNumberScheduled": 2, "numberReady": 2}},
        ),
        (
            "jobs",
            "Job",
            {"status": {"conditions": [{"type": "Failed", "status": "True",
                                        "message": "BackoffLimitExceeded"}]}},
            {"status": {"conditions": [{"type": "Complete", "status": "True"}]}},
        ),
        (
            "cronjobs",
            "CronJob",
            {"spec": {"suspend": True}, "status": {}},
            {"spec": {"suspend": False}, "status": {"lastScheduleTime": "2026-12-06T00:00:00Z"}},
        ),
        (
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            {"status": {"phase": "Pending"}},
            {"status": {"phase": "Bound"}},
        ),
        (
            "kafkatopics",
            "KafkaTopic",
            {"status": {"conditions": [{"type": "Ready", "status": "False",
                                        "message": "Number of partitions cannot be decreased"}]}},
            {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        ),
        (
            "kafkas",
            "Kafka",
            {"status": {"conditions": [{"type": "Ready", "status": "False", "message": "y"}]}},
            {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        ),
        (
            "kafkausers",
            "KafkaUser",
            {"status": {"conditions": [{"type": "Ready", "status": "False", "message": "x"}]}},
            {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        ),
    ],
)  # fmt: skip
def test_each_wider_rule_fires_on_its_broken_case_and_not_on_a_healthy_one(
    plural: str, kind: str, broken: dict[str, Any], healthy: dict[str, Any]
) -> None:
    from tui.triage.wide import wide_rules

    found = wide_rules(things(plural, kind, {"metadata": meta("bad"), **broken}), NOW)
    assert [f.subject.name for f in found] == ["bad"], found
    assert found[0].subject.kind == kind and found[0].evidence
    assert wide_rules(things(plural, kind, {"metadata": meta("good"), **healthy}), NOW) == []


def test_a_cronjob_never_scheduled_in_a_day_and_a_pending_claims_event() -> None:
    from tui.store import Upsert
    from tui.triage.wide import wide_rules

    s = things("cronjobs", "CronJob", {"metadata": meta("nightly", age=3 * 86400), "status": {}})
    (f,) = wide_rules(s, NOW)
    assert f.title == "CronJob missed its schedule" and "never scheduled" in f.evidence
    young = things("cronjobs", "CronJob", {"metadata": meta("new", age=600), "status": {}})
    assert wide_rules(young, NOW) == []
    s = things("persistentvolumeclaims", "PersistentVolumeClaim",
               {"metadata": meta("data-0", "kafka"), "status": {"phase": "Pending"}})  # fmt: skip
    event = fx.event("pvc.1", count=3)
    event["involvedObject"] = {"kind": "PersistentVolumeClaim", "name": "data-0",
                               "namespace": "kafka"}  # fmt: skip
    event["metadata"]["namespace"] = "kafka"
    event["reason"], event["message"] = "ProvisioningFailed", "no storage class local-path"
    s.apply([Upsert("events", PARSERS["events"](event))])
    (claim,) = wide_rules(s, NOW)
    assert "ProvisioningFailed: no storage class local-path" in claim.evidence


def test_the_demos_broken_topic_is_a_finding_in_check(tmp_path: Any) -> None:
    """Issue 25: the demo's KafkaTopic not Ready was no finding, in the console or check."""
    import json
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "tui", "check", "--demo", "--json", "--no-hosts"],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "strimzi-not-ready"]
    assert [f["subject"]["name"] for f in found] == ["enrichments"]
    assert "Number of partitions cannot be decreased" in found[0]["evidence"]


def test_an_ingress_to_a_missing_service_and_a_webhook_without_endpoints() -> None:
    from tui.store import KindStatus, State, StatusChange
    from tui.store.things import parser
    from tui.triage.wide import wide_rules

    ingress = {
        "metadata": meta("kafka-ui", "kafka"),
        "spec": {"rules": [{"http": {"paths": [{"backend": {"service": {"name": "kafka-ui"}}}]}}]},
    }
    webhook = {
        "metadata": {"name": "cert-manager-webhook", "uid": "w"},
        "webhooks": [
            {"clientConfig": {"service": {"namespace": "cert-manager", "name": "cm-webhook"}}}
        ],
    }
    s = Store()
    s.apply(
        [
            Replace("triage/ingresses", (parser("Ingress")(ingress),)),
            Replace(
                "triage/validatingwebhookconfigurations",
                (parser("ValidatingWebhookConfiguration")(webhook),),
            ),
            Replace("services", ()),
            StatusChange("services", KindStatus(State.LIVE)),
        ]
    )
    found = {f.rule: f for f in wide_rules(s, NOW)}
    assert (
        "Service kafka/kafka-ui, which does not exist" in found["ingress-backend-missing"].evidence
    )
    hook = found["webhook-no-endpoints"]
    assert hook.severity.label == "critical" and "cert-manager/cm-webhook" in hook.evidence
    # healthy: the Service is there, and the webhook's has a ready address
    svc = {
        "metadata": {"name": "kafka-ui", "namespace": "kafka", "uid": "s"},
        "spec": {"selector": {"app": "kafka-ui"}, "ports": [{"port": 80}]},
    }
    ready = {
        "metadata": {"name": "cm-webhook", "namespace": "cert-manager", "uid": "e"},
        "subsets": [{"addresses": [{"ip": "10.42.0.9"}]}],
    }
    s.apply(
        [
            Replace("endpoints", (PARSERS["endpoints"](ready),)),
            Replace("services", (PARSERS["services"](svc),)),
        ]
    )
    rules = {f.rule for f in wide_rules(s, NOW)}
    assert "webhook-no-endpoints" not in rules and "ingress-backend-missing" not in rules


def test_an_ingress_whose_tls_secret_is_missing_once_the_secrets_names_are_listed() -> None:
    from tui.store import KindStatus, State, StatusChange
    from tui.store.things import parser
    from tui.triage.wide import wide_rules

    ingress = {
        "metadata": meta("api-gateway"),
        "spec": {"tls": [{"secretName": "api-gateway-tls", "hosts": ["api.example.com"]}]},
    }
    s = Store()
    s.apply([Replace("triage/ingresses", (parser("Ingress")(ingress),))])
    assert wide_rules(s, NOW) == []  # the Secrets not listed (forbidden, not yet): no verdict
    s.apply([Replace("triage/secrets", ()), StatusChange("triage/secrets", KindStatus(State.LIVE))])
    (f,) = wide_rules(s, NOW)
    assert f.rule == "ingress-tls-missing" and "default/api-gateway-tls" in f.evidence
    secret = {"metadata": {**meta("api-gateway-tls")}}  # as PartialObjectMetadata: no data
    s.apply([Replace("triage/secrets", (parser("Secret")(secret),))])
    assert wide_rules(s, NOW) == []


def test_the_secrets_are_listed_by_name_only(tmp_path: Any) -> None:
    """The server is asked for PartialObjectMetadata: a Secret's data never reaches us."""
    import orjson

    from tui.demo import start_demo
    from tui.sources.client import Kube
    from tui.sources.kube import KindSpec, ListWatch, MetadataDecoder
    from tui.store.things import parser

    emulator, _demo, path = start_demo(kubeconfig=tmp_path / "kc", scenario=False)
    try:
        kube = Kube.from_kubeconfig(str(path), None)
        spec = KindSpec("triage/secrets", "", "v1", "secrets", True)
        buffer = ChangeBuffer()
        ListWatch(kube, spec, buffer, parser=MetadataDecoder(parser("Secret")))._list()
        (listed,) = buffer.drain()
        names = {(t.namespace, t.name) for t in listed.objs}
        assert ("default", "api-gateway-tls") in names
        raw = kube.json(
            "GET",
            "/api/v1/secrets",
            accept=MetadataDecoder.accept,  # what the feed asks
        )
        assert all(set(item) == {"kind", "apiVersion", "metadata"} for item in raw["items"])
        assert "tls.key" not in orjson.dumps(raw).decode()
    finally:
        emulator.stop()


def test_the_pod_rules_read_only_the_pods_that_changed_into_trouble() -> None:
    """Incremental (issue 25/27): the store keeps the troubled pods as each pod changes;
    the pod rules read those, not 10,000 pods a second."""
    from tui.store import Delete, Upsert

    healthy = [fx.pod(f"p-{i}") for i in range(1000)]
    for i, p in enumerate(healthy):
        p["metadata"]["uid"] = f"u{i}"
    s = Store()
    s.apply([Replace("pods", tuple(PARSERS["pods"](p) for p in healthy))])
    assert s.troubled == {}
    crash = fx.pod("p-7", waiting="CrashLoopBackOff", restarts=6, last_terminated="OOMKilled")
    crash["metadata"]["uid"] = "u7"
    s.apply([Upsert("pods", PARSERS["pods"](crash))])
    assert list(s.troubled) == ["u7"]
    assert {f.rule for f in evaluate(s, NOW)} >= {"pod-crashloop", "oomkilled"}
    s.apply([Upsert("pods", PARSERS["pods"](healthy[7]))])  # healthy again
    assert s.troubled == {} and "pod-crashloop" not in {f.rule for f in evaluate(s, NOW)}
    s.apply([Upsert("pods", PARSERS["pods"](crash)), Delete("pods", "u7")])
    assert s.troubled == {}


def test_a_failed_helmrelease_is_a_finding_and_a_healthy_one_is_not() -> None:
    from tui.store import Upsert
    from tui.store.flux import parse_flux

    def release(status: str) -> Any:
        return parse_flux(
            {
                "kind": "HelmRelease",
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "metadata": {"name": "kube-prometheus-stack", "namespace": "monitoring",
                             "uid": "hr"},
                "spec": {"interval": "30m"},
                "status": {"conditions": [{"type": "Ready", "status": status,
                                           "reason": "UpgradeFailed",
                                           "message": "Helm upgrade failed: timed out"}]},
            }
        )  # fmt: skip

    s = Store()
    s.apply([Upsert("flux/HelmRelease", release("False"))])
    (f,) = by_rule(s)["flux-not-ready"]
    assert f.subject.kind == "HelmRelease" and "Helm upgrade failed" in f.evidence
    assert f.actions == ("flux.reconcile-with-source",)
    s.apply([Upsert("flux/HelmRelease", release("True"))])
    assert "flux-not-ready" not in by_rule(s)


def test_a_cronjob_that_missed_its_last_run() -> None:
    from datetime import UTC, datetime

    from tui.triage.cron import previous_run
    from tui.triage.wide import wide_rules

    now = datetime(2026, 12, 6, 21, 40, tzinfo=UTC).timestamp()
    assert (
        previous_run("*/15 * * * *", now) == datetime(2026, 12, 6, 21, 30, tzinfo=UTC).timestamp()
    )
    assert previous_run("0 3 * * 1", now) == datetime(2026, 11, 30, 3, 0, tzinfo=UTC).timestamp()
    assert previous_run("@daily", now) == datetime(2026, 12, 6, 0, 0, tzinfo=UTC).timestamp()
    assert previous_run("CRON_TZ=UTC 0 * * * *", now) is None  # unknown: no verdict

    def cron(last: str) -> Store:
        return things(
            "cronjobs",
            "CronJob",
            {
                "metadata": meta("backup", age=10 * 86400),
                "spec": {"schedule": "0 * * * *"},
                "status": {"lastScheduleTime": last},
            },
        )

    (f,) = wide_rules(cron("2026-12-06T18:00:00Z"), now)  # 19:00, 20:00, 21:00 missed
    assert "missed its schedule '0 * * * *'" in f.evidence
    assert wide_rules(cron("2026-12-06T21:00:00Z"), now) == []
