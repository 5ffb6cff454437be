"""Fixtures: no user config or kubeconfig leaks in; a real emulator over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import fixtures as fx
from tui.config import Settings
from tui.demo.apiserver import Emulator
from tui.demo.state import Cluster


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the user's own config, state and kubeconfig out of every test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return home


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster()
    c.bookmark_interval = 0.5
    return c


@pytest.fixture
def emulator(cluster: Cluster) -> Iterator[Emulator]:
    emu = Emulator(cluster).start()
    yield emu
    emu.stop()


@pytest.fixture
def kubeconfig(emulator: Emulator, tmp_path: Path) -> Path:
    return emulator.write_kubeconfig(tmp_path / "kubeconfig", context="test")


@pytest.fixture
def small_cluster(cluster: Cluster) -> Cluster:
    """One node, a crash-looping pod, healthy pods, a warning event."""
    cluster.put("Node", fx.node())
    cluster.put(
        "Pod",
        fx.pod(
            "api-gateway-7d9f-abcde",
            waiting="CrashLoopBackOff",
            waiting_message="back-off 40s restarting failed container",
            restarts=5,
            last_terminated="OOMKilled",
        ),
    )
    for i in range(5):
        cluster.put("Pod", fx.pod(f"healthy-{i}", namespace="kube-system"))
    cluster.put("Event", fx.event("gw.1", count=7))
    return cluster


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Wait on a condition with a deadline (for threads, outside the app)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.02)


async def until(
    pilot: Any, predicate: Callable[[], Any], timeout: float = 10.0, what: str = ""
) -> Any:
    """Wait on a condition with a deadline inside run_test, letting the app run."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await pilot.pause(0.05)


def contexts_kubeconfig(path: Path, servers: dict[str, str]) -> Path:
    """A kubeconfig with a context per server (the first current), as a user's with
    several clusters."""
    import orjson

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": url}} for n, url in servers.items()],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in servers],
        "current-context": next(iter(servers)),
    }
    path.write_bytes(orjson.dumps(config))
    return path


def make_app(kubeconfig: Path, hosts: list[Any] | None = None, **settings: Any) -> Any:
    """The app factory tests use: a real kubeconfig, a deterministic config; no host
    is sampled unless the test gives some."""
    from tui.app import IncidentApp
    from tui.sources.client import Kube

    s = Settings(kubeconfig=str(kubeconfig), metrics_interval=0.5, **settings)
    kube = Kube.from_kubeconfig(s.kubeconfig, s.context)
    return IncidentApp(s, kube, watch_options={"read_timeout": 5.0}, hosts=hosts)


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Any]:
    """A real OpenSSH server on 127.0.0.1 (make test installs openssh-server)."""
    from tests.sshd import SSHD, Sshd

    if not Path(SSHD).exists():
        pytest.fail("sshd is not installed: `make test` installs openssh-server")
    server = Sshd(tmp_path / "sshd")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def k3s_sshd(tmp_path: Path) -> Iterator[Any]:
    """The same, as a k3s node: its systemctl reports k3s and containerd active."""
    from tests.sshd import Sshd

    server = Sshd(tmp_path / "sshd-k3s", units=("k3s", "containerd"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def demo(cluster: Cluster) -> Iterator[Any]:
    """The demo cluster's objects and controllers (restart, scale, delete play out)."""
    from tui.demo.cluster import DemoCluster

    d = DemoCluster(cluster)
    d.seed()
    d.start(interval=0.25)
    yield d
    d.stop()


def mutations(cluster: Cluster) -> list[Any]:
    """Requests that changed (or would have changed) the cluster: not GETs, not dry runs."""
    return [r for r in cluster.requests if r.mutating]


def dry_runs(cluster: Cluster) -> list[Any]:
    return [r for r in cluster.requests if r.method != "GET" and r.dry_run]


def audit_lines(path: Path) -> list[dict[str, Any]]:
    """The actions recorded in the audit log."""
    return [e for e in record_lines(path) if "action" in e]


def record_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of the audit log: the actions and the findings seen and cleared."""
    import orjson

    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.fixture
def flux_demo(cluster: Cluster) -> Iterator[Any]:
    """The demo's objects, its Flux (apps applies api-gateway), drift correction on."""
    from tui.demo.cluster import DemoCluster
    from tui.demo.flux import seed_flux

    d = DemoCluster(cluster, drift=True)
    d.seed()
    seed_flux(cluster, "2.7")
    d.start(interval=0.2)
    yield d
    d.stop()


@pytest.fixture
def audit(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"
