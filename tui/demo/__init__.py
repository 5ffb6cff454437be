"""The embedded demo cluster: an API emulator on 127.0.0.1 seeded as the runbook's cluster."""

from __future__ import annotations

import os
from pathlib import Path

from tui.demo.apiserver import Cluster, Emulator
from tui.demo.cluster import DemoCluster


def demo_kubeconfig_path() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "incident-console" / "demo-kubeconfig"


def start_demo(
    port: int = 0, kubeconfig: Path | None = None, scenario: bool = True
) -> tuple[Emulator, DemoCluster, Path]:
    """Start the emulator, seed it, start its controllers; write a kubeconfig for it."""
    emulator = Emulator(Cluster(), port=port).start()
    demo = DemoCluster(emulator.cluster, scenario=scenario)
    demo.seed()
    if scenario:
        demo.start()
    path = emulator.write_kubeconfig(kubeconfig or demo_kubeconfig_path(), context="demo")
    return emulator, demo, path


__all__ = ["Cluster", "DemoCluster", "Emulator", "demo_kubeconfig_path", "start_demo"]
