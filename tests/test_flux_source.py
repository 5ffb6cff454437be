"""Flux kinds found by discovery and listed+watched over HTTP; versions never hard-coded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tui.demo.flux import seed_flux
from tui.demo.state import Cluster
from tui.sources.client import Kube
from tui.sources.flux import STATUS_KEY, discover, discover_status
from tui.sources.kube import ListWatch
from tui.store import ChangeBuffer, State, Store
from tui.store.flux import get_all_row, parse_flux


@pytest.fixture
def kube(kubeconfig: Path) -> Iterator[Kube]:
    k = Kube.from_kubeconfig(str(kubeconfig), None)
    yield k
    k.close()


@pytest.mark.parametrize(("release", "image_version"), [("2.4", "v1beta2"), ("2.7", "v1")])
def test_discovery_finds_each_release_s_versions(
    cluster: Cluster, kube: Kube, release: str, image_version: str
) -> None:
    seed_flux(cluster, release)
    kinds = {k.kind: k.spec for k in discover(kube)}
    assert kinds["ImagePolicy"].version == image_version
    assert (
        kinds["ImagePolicy"].path(None)
        == f"/apis/image.toolkit.fluxcd.io/{image_version}/imagepolicies"
    )
    assert kinds["Kustomization"].version == "v1" and kinds["HelmRelease"].version == "v2"
    assert list(kinds)[:3] == ["GitRepository", "OCIRepository", "HelmRepository"]


def test_no_flux_installed_is_said(cluster: Cluster, kube: Kube) -> None:
    buffer, store = ChangeBuffer(), Store()
    assert discover_status(kube, buffer) == []
    store.apply(buffer.drain())
    assert store.status[STATUS_KEY].state is State.ABSENT
    assert store.status[STATUS_KEY].message == "Flux is not installed"


@pytest.mark.parametrize("release", ["2.4", "2.7"])
def test_list_watch_fills_the_store_and_403_on_one_kind_leaves_the_rest(
    cluster: Cluster, kube: Kube, release: str
) -> None:
    seed_flux(cluster, release)
    cluster.fail("helmreleases", 403)
    buffer, store = ChangeBuffer(), Store()
    kinds = discover_status(kube, buffer)
    feeds = [ListWatch(kube, k.spec, buffer, parser=parse_flux, read_timeout=5.0) for k in kinds]
    threads = [threading.Thread(target=f.run, daemon=True) for f in feeds]
    for t in threads:
        t.start()
    try:
        wait_for(
            lambda: (
                store.apply(buffer.drain()) is not None
                and store.status.get("flux/HelmRelease") is not None
                and store.status["flux/HelmRelease"].state is State.FORBIDDEN
                and len(store.flux_objects()) == 9
            ),
            what="flux objects and a forbidden kind",
        )
        assert store.status["flux/Kustomization"].state is State.LIVE
        rows = {get_all_row(o)[1]: get_all_row(o) for o in store.flux_objects()}
        apps = rows["kustomization/apps"]
        assert apps[3:5] == ("False", "False") and apps[5].startswith(
            "decryption failed for 'Secret"
        )
        assert rows["imagepolicy/api-gateway"][2:5] == (
            "registry.example.com/mercurious/api-gateway",
            "1.8.2",
            "True",
        )
        assert rows["helmrepository/strimzi"][4] == "True"  # OCI, no Ready: no failure
        cluster.put(
            "Kustomization",
            {
                **cluster.get("Kustomization", "flux-system", "infrastructure"),
                "spec": {"suspend": True},
            },
        )
        wait_for(
            lambda: (
                store.apply(buffer.drain()) is not None
                and any(o.name == "infrastructure" and o.suspended for o in store.flux_objects())
            ),
            what="watch",
        )
    finally:
        for f in feeds:
            f.stop()
