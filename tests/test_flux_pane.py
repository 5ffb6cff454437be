"""The Flux pane as the operator sees it, on the demo's Flux."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_app, until
from tests.test_app import SIZE, lines, screen_text, title
from tui.demo.flux import seed_flux
from tui.demo.state import Cluster


async def test_the_failing_kustomization_is_first_with_its_sops_message(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    seed_flux(small_cluster, "2.4")
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "Flux 11 / 1 not ready" in title(app, "#flux"))
        await until(pilot, lambda: "apps" in lines(app.query_one("#flux-table"))[1])
        first = lines(app.query_one("#flux-table"))[1]
        assert first.split()[:3] == ["Kustomization", "flux-system", "apps"]
        assert "SOPS: decryption failed for 'Secret.v1.[noGrp]/" in first
        text = screen_text(app, "#flux")
        assert "ImagePolicy" in text and "api-gateway:1.8.2" in text


async def test_no_flux_and_a_forbidden_kind_are_said(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "Flux is not installed on this cluster" in title(app, "#flux"))
    seed_flux(small_cluster, "2.7")
    small_cluster.fail("helmreleases", 403)
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "HelmRelease forbidden" in title(app, "#flux"))
        await until(pilot, lambda: "Kustomization" in screen_text(app, "#flux-table"))
