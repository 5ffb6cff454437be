"""Flux objects read as `flux get all -A` prints them (the CLI's rules, our fixtures)."""

from __future__ import annotations

from typing import Any

from tui.store.flux import get_all_row, parse_flux, truncate_hex

SHA = "696f056df216eea4f9401adbee0ff744d4df390f"


def obj(
    kind: str,
    name: str,
    *,
    status: dict[str, Any] | None = None,
    spec: dict[str, Any] | None = None,
    version: str = "v1",
) -> dict[str, Any]:
    group = {
        "GitRepository": "source",
        "HelmRepository": "source",
        "OCIRepository": "source",
        "Kustomization": "kustomize",
        "HelmRelease": "helm",
    }.get(kind, "image")
    return {
        "apiVersion": f"{group}.toolkit.fluxcd.io/{version}",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "flux-system",
            "uid": f"uid-{kind}-{name}",
            "generation": 2,
        },
        "spec": spec or {},
        "status": status or {},
    }


def ready(status: str, message: str, reason: str = "Succeeded") -> dict[str, Any]:
    return {
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": "2026-11-28T10:00:00Z",
    }


def test_source_row_shortens_the_revision_like_the_cli() -> None:
    o = parse_flux(
        obj(
            "GitRepository",
            "flux-system",
            status={
                "artifact": {"revision": f"main@sha1:{SHA}"},
                "conditions": [ready("True", f"stored artifact for revision 'main@sha1:{SHA}'")],
            },
        )
    )
    assert get_all_row(o) == (
        "flux-system",
        "gitrepository/flux-system",
        "main@sha1:696f056d",
        "False",
        "True",
        f"stored artifact for revision 'main@sha1:{SHA}'",
    )
    assert truncate_hex("sha256:" + "a" * 64) == "sha256:aaaaaaaa"


def test_kustomization_takes_last_applied_revision_and_flags_sops() -> None:
    message = (
        "decryption failed for 'Secret.v1.[noGrp]/kafka-credentials': cannot get sops data key: "
        "no identity matched any of the recipients"
    )
    o = parse_flux(
        obj(
            "Kustomization",
            "apps",
            status={
                "lastAppliedRevision": f"main@sha1:{SHA}",
                "lastAttemptedRevision": f"main@sha1:{SHA}",
                "conditions": [ready("False", message, "BuildFailed")],
            },
        )
    )
    assert get_all_row(o)[2:5] == ("main@sha1:696f056d", "False", "False")
    assert o.failing and o.sops_failure and o.reason == "BuildFailed"


def test_no_ready_condition_is_waiting_but_an_oci_helm_repository_is_no_failure() -> None:
    waiting = parse_flux(
        obj(
            "HelmRelease",
            "strimzi",
            spec={"chart": {"spec": {"sourceRef": {"kind": "HelmRepository", "name": "strimzi"}}}},
        )
    )
    assert get_all_row(waiting)[4:] == ("False", "waiting to be reconciled")
    assert waiting.source_kind == "HelmRepository" and waiting.source_name == "strimzi"
    oci = parse_flux(obj("HelmRepository", "ghcr", spec={"type": "oci"}))
    assert not oci.failing and get_all_row(oci)[4] == "True"


def test_suspended_stalled_and_reconciling() -> None:
    o = parse_flux(
        obj(
            "Kustomization",
            "infra",
            spec={"suspend": True},
            status={
                "conditions": [
                    ready("False", "stalled"),
                    {"type": "Stalled", "status": "True", "reason": "x"},
                    {"type": "Reconciling", "status": "True", "reason": "Progressing"},
                ]
            },
        )
    )
    assert o.suspended and o.stalled and o.reconciling
    assert get_all_row(o)[3] == "True"


def test_image_kinds_have_the_clis_columns_in_both_api_versions() -> None:
    repo = parse_flux(
        obj(
            "ImageRepository",
            "api-gateway",
            status={
                "lastScanResult": {"scanTime": "2026-11-28T10:01:00Z", "tagCount": 12},
                "conditions": [ready("True", "successful scan: found 12 tags")],
            },
        )
    )
    assert get_all_row(repo)[2] == "2026-11-28T10:01:00Z"
    v1 = parse_flux(
        obj(
            "ImagePolicy",
            "api-gateway",
            status={
                "latestRef": {
                    "name": "registry.example.com/mercurious/api-gateway",
                    "tag": "1.8.2",
                },
                "conditions": [ready("True", "Latest image tag resolved to 1.8.2")],
            },
        )
    )
    v1beta2 = parse_flux(
        obj(
            "ImagePolicy",
            "api-gateway",
            version="v1beta2",
            status={
                "latestImage": "registry.example.com/mercurious/api-gateway:1.8.2",
                "conditions": [ready("True", "Latest image tag resolved to 1.8.2")],
            },
        )
    )
    for policy in (v1, v1beta2):
        assert get_all_row(policy)[2:5] == (
            "registry.example.com/mercurious/api-gateway",
            "1.8.2",
            "True",
        )
    run = parse_flux(
        obj(
            "ImageUpdateAutomation",
            "api-gateway",
            status={
                "lastAutomationRunTime": "2026-11-28T10:02:00Z",
                "conditions": [ready("True", "no updates made")],
            },
        )
    )
    assert get_all_row(run)[2] == "2026-11-28T10:02:00Z"


def test_failing_first_then_the_clis_kind_order() -> None:
    objs = [
        parse_flux(
            obj("Kustomization", "flux-system", status={"conditions": [ready("True", "ok")]})
        ),
        parse_flux(
            obj("GitRepository", "flux-system", status={"conditions": [ready("True", "ok")]})
        ),
        parse_flux(obj("Kustomization", "apps", status={"conditions": [ready("False", "boom")]})),
        parse_flux(obj("HelmRelease", "kps", status={"conditions": [ready("True", "ok")]})),
    ]
    ordered = [f"{o.kind}/{o.name}" for o in sorted(objs, key=lambda o: o.order)]
    assert ordered == [
        "Kustomization/apps",
        "GitRepository/flux-system",
        "HelmRelease/kps",
        "Kustomization/flux-system",
    ]


def test_malformed_flux_objects_do_not_raise() -> None:
    for bad in (
        {},
        {"status": {"conditions": [None, 3, {"type": None}]}},
        {"spec": {"suspend": "yes"}},
        {"metadata": {"generation": "x"}, "status": {"observedGeneration": None}},
    ):
        parse_flux(bad)


def test_the_detail_gives_conditions_source_chain_and_the_newest_event() -> None:
    from tests import fixtures as fx
    from tui.store import Store, Upsert, parse_event
    from widgets.flux import flux_detail

    store = Store()
    source = parse_flux(
        obj(
            "GitRepository",
            "flux-system",
            status={
                "artifact": {"revision": f"main@sha1:{SHA}"},
                "conditions": [ready("True", "stored")],
            },
        )
    )
    apps = parse_flux(
        obj(
            "Kustomization",
            "apps",
            spec={"sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
            status={"conditions": [ready("False", "decryption failed", "BuildFailed")]},
        )
    )
    event = fx.event(
        "apps.1",
        namespace="flux-system",
        reason="ReconciliationFailed",
        message="decryption failed",
        obj=("Kustomization", "apps"),
    )
    store.apply(
        [
            Upsert("flux/GitRepository", source),
            Upsert("flux/Kustomization", apps),
            Upsert("events", parse_event(event)),
        ]
    )
    detail = flux_detail(apps, store)
    assert "Ready=False(BuildFailed)" in detail
    assert "source GitRepository/flux-system/flux-system: Ready=True main@sha1:696f056d" in detail
    assert "last event Warning ReconciliationFailed: decryption failed" in detail
