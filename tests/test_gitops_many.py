"""GitOps-safe remediation of several objects at once: the emergency scale-down traces
each Deployment it stops, and the Kustomization they share is suspended once, first."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_app, mutations, until
from tests.test_app import SIZE
from tests.test_gitops import flat, text_of
from tests.test_kubectl import kubectl
from tui.demo.cluster import DemoCluster
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.tail import TailScreen


async def test_the_emergency_scale_down_of_flux_managed_deployments_suspends_their_manager(
    flux_demo: DemoCluster, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    """Several objects at once: each traced; the Kustomization they share suspended once."""
    app = make_app(
        kubeconfig,
        audit_log=str(audit),
        emergency_non_critical=["default/api-enrichment", "default/api-generation"],
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.deployment("default", "api-generation") is not None)
        await until(pilot, lambda: any(o.name == "apps" for o in app.store.flux_objects()))
        app.flow.start("emergency.scale-down")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 15)
        await until(pilot, lambda: "choose the way" in text_of(app))
        said = flat(text_of(app))
        assert "Deployment default/api-enrichment is applied by Flux: Kustomization" in said
        assert "Deployment default/api-generation is applied by Flux: Kustomization" in said
        assert "▶ 1 Suspend Kustomization apps first" in said
        await pilot.press(*"test", "enter")  # the context's name: a dangerous action
        await until(pilot, lambda: isinstance(app.screen, TailScreen))
        replicas = "jsonpath={.spec.replicas}"
        await until(
            pilot,
            lambda: (
                kubectl(kubeconfig, "get", "deployment", "api-generation", "-o", replicas) == "0"
            ),
            20,
        )
    suspended = kubectl(
        kubeconfig, "get", "kustomization", "apps", "-n", "flux-system", "-o",
        "jsonpath={.spec.suspend}",
    )  # fmt: skip
    assert suspended == "true"
    kinds = [r.path.split("/")[-2] for r in mutations(cluster)]
    assert kinds[0] == "kustomizations" and kinds.count("kustomizations") == 1
