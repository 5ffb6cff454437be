"""The optional feeds, each watched where the cluster serves it: cert-manager's
Certificates and the wider triage's kinds (Secrets by name only)."""

from __future__ import annotations

from typing import Any

import urllib3

from tui.sources.client import ApiError, Kube
from tui.sources.kube import KindSpec, MetadataDecoder

CERTIFICATES = KindSpec("certificates", "cert-manager.io", "v1", "certificates", True)
ENDPOINTSLICES = KindSpec("endpointslices", "discovery.k8s.io", "v1", "endpointslices", True)

# The wider triage's kinds, each watched where served (store keys "triage/<plural>").
TRIAGE = (
    ("apps", "v1", "statefulsets", "StatefulSet"),
    ("apps", "v1", "daemonsets", "DaemonSet"),
    ("batch", "v1", "jobs", "Job"),
    ("batch", "v1", "cronjobs", "CronJob"),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("kafka.strimzi.io", "v1beta2", "kafkas", "Kafka"),
    ("kafka.strimzi.io", "v1beta2", "kafkatopics", "KafkaTopic"),
    ("kafka.strimzi.io", "v1beta2", "kafkausers", "KafkaUser"),
    ("networking.k8s.io", "v1", "ingresses", "Ingress"),
    ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "Validating"),
    ("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "Mutating"),
    ("", "v1", "secrets", "Secret"),  # their names only (an Ingress's TLS Secret)
)


def optional_kinds(kube: Kube) -> list[tuple[KindSpec, Any]]:
    """The optional feeds the cluster serves, each with its parser: cert-manager's
    Certificates and the wider triage's kinds."""
    from tui.store.models import parse_certificate
    from tui.store.things import parser

    wanted = [(CERTIFICATES, parse_certificate)] + [
        (
            KindSpec(f"triage/{plural}", group, version, plural, "webhook" not in plural),
            MetadataDecoder(parser(kind))
            if kind == "Secret"
            else parser(kind if "webhook" not in plural else f"{kind}WebhookConfiguration"),
        )
        for group, version, plural, kind in TRIAGE
    ]
    groups: dict[str, set[str]] = {}
    out = []
    for spec, parse in wanted:
        key = f"{spec.group}/{spec.version}"
        if key not in groups:
            groups[key] = served_names(kube, spec)
        if spec.plural in groups[key]:
            out.append((spec, parse))
    return out


def served_names(kube: Kube, spec: KindSpec) -> set[str]:
    where = f"/apis/{spec.group}/{spec.version}" if spec.group else f"/api/{spec.version}"
    try:
        body = kube.json("GET", where)
    except (ApiError, OSError, urllib3.exceptions.HTTPError):
        return set()
    return {str(r.get("name")) for r in body.get("resources") or [] if isinstance(r, dict)}


def served(kube: Kube, spec: KindSpec) -> KindSpec | None:
    """The kind, where the cluster serves it (the optional feeds)."""
    return spec if spec.plural in served_names(kube, spec) else None
