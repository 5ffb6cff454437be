"""The embedded demo cluster: an API emulator on 127.0.0.1 seeded as the runbook's cluster."""

from __future__ import annotations

import os
from pathlib import Path

from tui.demo import clock
from tui.demo.apiserver import Emulator
from tui.demo.cluster import DemoCluster
from tui.demo.state import Cluster


def demo_kubeconfig_path() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "incident-console" / "demo-kubeconfig"


def start_demo(
    port: int = 0,
    kubeconfig: Path | None = None,
    scenario: bool = True,
    flux_release: str | None = "2.7",
    still_at: float | None = None,
    workers: int = 0,
    worker_ip: str = "10.0.1.{n}",
) -> tuple[Emulator, DemoCluster, Path]:
    """Start the emulator, seed it (with Flux unless flux_release is None), start its
    controllers; write a kubeconfig for it. `still_at`: the cluster held still at that
    second (its clock held, its chance seeded, no scenario): the snapshot scenes.
    `workers`: agent nodes besides the server, at `worker_ip` ({n} their number)."""
    from tui.demo.certmanager import seed_cert_manager
    from tui.demo.debugpods import seed_services
    from tui.demo.flux import seed_flux
    from tui.demo.monitoring import seed_dashboards
    from tui.demo.objects import NODE_IP
    from tui.demo.strimzi import seed_network, seed_strimzi

    if still_at is not None:
        clock.hold(still_at, seed=int(still_at))
        scenario = False
    emulator = Emulator(Cluster(), port=port).start()
    demo = DemoCluster(
        emulator.cluster, scenario=scenario, workers=workers, worker_ip=worker_ip, drift=scenario
    )
    demo.seed()
    if flux_release:
        seed_flux(emulator.cluster, flux_release)
    seed_cert_manager(emulator.cluster)
    seed_strimzi(emulator.cluster)
    seed_network(emulator.cluster)
    seed_dashboards(emulator.cluster)
    seed_services(emulator.cluster, NODE_IP)
    demo._endpoints()  # the Services seeded after the controllers' first pass
    if scenario:
        demo.start()
    path = emulator.write_kubeconfig(kubeconfig or demo_kubeconfig_path(), context="demo")
    return emulator, demo, path


__all__ = ["Cluster", "DemoCluster", "Emulator", "demo_kubeconfig_path", "start_demo"]
