"""kubectl, an independent client, against the demo emulator: it keeps the emulator honest."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui.demo import start_demo
from tui.demo.objects import NODE

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")


@pytest.fixture(scope="module")
def demo_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("demo") / "kubeconfig"
    emulator, demo, path = start_demo(kubeconfig=path)
    yield path
    demo.stop()
    emulator.stop()


def kubectl(kubeconfig: Path, *args: str) -> str:
    assert KUBECTL is not None
    proc = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "--request-timeout=20s", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_get_pods_all_namespaces(demo_kubeconfig: Path) -> None:
    out = kubectl(demo_kubeconfig, "get", "pods", "-A")
    assert out.split("\n")[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    gateway = [line.split() for line in out.splitlines() if "api-gateway-" in line]
    assert all(row[2] == "0/1" for row in gateway)
    assert any(row[3] == "CrashLoopBackOff" for row in gateway)
    assert "mercurious-cluster-kafka-0" in out
    assert sum(1 for line in out.splitlines() if "api-gateway-" in line) == 3
    for ns in ("kube-system", "flux-system", "kafka", "monitoring", "cert-manager", "default"):
        assert ns in out


def test_get_nodes(demo_kubeconfig: Path) -> None:
    out = kubectl(demo_kubeconfig, "get", "nodes")
    assert out.splitlines()[1].split() == [
        NODE,
        "Ready",
        "control-plane,master",
        "212d",
        "v1.30.6+k3s1",
    ]


def test_get_events_all_namespaces(demo_kubeconfig: Path) -> None:
    out = kubectl(demo_kubeconfig, "get", "events", "-A")
    assert "LAST SEEN" in out.splitlines()[0]
    assert any("BackOff" in line and "pod/api-gateway-" in line for line in out.splitlines())


def test_selectors_names_json_and_logs(demo_kubeconfig: Path) -> None:
    names = kubectl(
        demo_kubeconfig, "get", "pods", "-n", "default", "-l", "app=api-gateway", "-o", "name"
    )
    pods = names.split()
    assert len(pods) == 3 and all(p.startswith("pod/api-gateway-") for p in pods)
    phases = kubectl(
        demo_kubeconfig, "get", "pods", "-A", "--field-selector=status.phase!=Running", "-o", "name"
    )
    assert "helm-install-traefik-crd" in phases and "api-gateway" not in phases
    previous = kubectl(demo_kubeconfig, "logs", "-n", "default", pods[0], "--previous")
    assert "OutOfMemoryError" in previous


def test_top_reads_metrics_api(demo_kubeconfig: Path) -> None:
    out = kubectl(demo_kubeconfig, "top", "nodes")
    assert NODE in out


def _pods(kubeconfig: Path, app: str) -> list[str]:
    return kubectl(
        kubeconfig, "get", "pods", "-n", "default", "-l", f"app={app}", "-o", "name"
    ).split()


def _wait(predicate: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_server_dry_run_changes_nothing(demo_kubeconfig: Path) -> None:
    pod = _pods(demo_kubeconfig, "api-enrichment")[0]
    out = kubectl(demo_kubeconfig, "delete", "-n", "default", pod, "--dry-run=server")
    assert "(server dry run)" in out
    assert _pods(demo_kubeconfig, "api-enrichment") == [pod]


def test_scale_and_rollout_restart_play_out_like_a_cluster(demo_kubeconfig: Path) -> None:
    kubectl(
        demo_kubeconfig, "scale", "deployment", "api-generation", "-n", "default", "--replicas=2"
    )
    _wait(lambda: len(_pods(demo_kubeconfig, "api-generation")) == 2, "a second pod")
    before = set(_pods(demo_kubeconfig, "api-generation"))
    kubectl(demo_kubeconfig, "rollout", "restart", "deployment", "api-generation", "-n", "default")
    template = kubectl(
        demo_kubeconfig,
        "get",
        "deployment",
        "api-generation",
        "-n",
        "default",
        "-o",
        "jsonpath={.spec.template.metadata.annotations}",
    )
    assert "kubectl.kubernetes.io/restartedAt" in template
    _wait(
        lambda: (
            not before & set(_pods(demo_kubeconfig, "api-generation"))
            and len(_pods(demo_kubeconfig, "api-generation")) == 2
        ),
        "the pods replaced",
    )


def test_deleted_pod_is_replaced_and_logs_are_served(demo_kubeconfig: Path) -> None:
    pod = _pods(demo_kubeconfig, "api-enrichment")[0]
    kubectl(demo_kubeconfig, "delete", "-n", "default", pod, "--wait=false")
    _wait(lambda: (p := _pods(demo_kubeconfig, "api-enrichment")) and pod not in p, "a replacement")
    new = _pods(demo_kubeconfig, "api-enrichment")[0]
    _wait(
        lambda: kubectl(demo_kubeconfig, "logs", "-n", "default", new, "--tail=1").strip(),
        "a log line",
    )


def test_the_demos_services_have_their_own_addresses_and_their_pods_age(
    demo_kubeconfig: Path,
) -> None:
    """Issue 28.9: api-enrichment and api-generation shared 10.43.14.49; Services were
    65 s old beside pods of 3 days."""
    out = kubectl(
        demo_kubeconfig,
        "get",
        "svc",
        "-n",
        "default",
        "-o",
        "jsonpath={range .items[*]}{.spec.clusterIP} {.metadata.creationTimestamp}{'\\n'}{end}",
    )
    rows = [line.split() for line in out.splitlines() if line.strip()]
    ips = [ip for ip, _ in rows]
    assert len(ips) == 4 and len(set(ips)) == 4  # the apps' three, and kubernetes
    from datetime import datetime

    for _, created in rows:
        age = time.time() - datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        assert age > 2 * 86400
