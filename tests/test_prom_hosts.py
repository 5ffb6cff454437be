"""Every node's figures from a real Prometheus (Debian's) scraping a real node-exporter on
127.0.0.1, matched to the emulator's nodes; and what the pane says when it fails."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import fixtures as fx
from tests.conftest import make_app, until
from tests.prom import Prometheus, installed
from tests.test_app import SIZE, screen_text, title
from tui.demo.state import Cluster
from tui.sources.nodeexporter import HISTORY, QUERIES
from tui.sources.prometheus import DEFAULT_QUERY
from tui.store.units import fmt_bytes
from widgets.hostmetrics import HostMetricsPane

IP_ONLY = ("", "10.0.0.1")  # matched by its instance: its nodename is this machine's
NAME_ONLY = ("worker-b", "192.0.2.50")  # matched by nodename: no node has that address


def need_prometheus() -> None:
    if not installed():
        pytest.skip("prometheus / prometheus-node-exporter not installed (make test installs them)")


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    need_prometheus()
    p = Prometheus(tmp_path_factory.mktemp("prom"), [IP_ONLY, NAME_ONLY], scrape=0.5).start()
    try:
        p.wait_ready(kept=5)  # some history for the charts to begin with
        yield p
    finally:
        p.stop()


def three_nodes(cluster: Cluster) -> None:
    cluster.put("Node", fx.node("vps-6227e9e1", ip="10.0.0.1"))
    cluster.put("Node", fx.node("worker-b", ip="10.0.0.2"))
    cluster.put("Node", fx.node("worker-c", ip="10.0.0.3"))


async def test_every_node_from_one_prometheus_in_a_few_batched_queries(
    cluster: Cluster, kubeconfig: Path, prom: Prometheus
) -> None:
    three_nodes(cluster)
    before = len(prom.queries())
    started = time.time()
    app = make_app(kubeconfig, prometheus_url=prom.url, host_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "prometheus" in screen_text(app, "#host-summary"), 20)
        await until(pilot, lambda: len(app.store.hosts) == 3, 10)
        await until(pilot, lambda: "worker-c" in screen_text(app, "#nodes-table"))
        # the node with the InternalIP in `instance`, and the one with its nodename: named
        # at the hosts' next refresh after the nodes are listed (the exporter's own name,
        # this machine's, until then)
        names = ("vps-6227e9e1", "worker-b", "worker-c")
        await until(
            pilot,
            lambda: all(n in screen_text(app, "#host-summary") for n in names),
            10,
            "the three nodes named in the host summary",
        )
        text = screen_text(app, "#host-summary")
        assert "From figures prometheus 10.0.0.1:9100" in text
        # the figures are the exporter's: memory total as node_memory_MemTotal_bytes says
        total = float(prom.query("node_memory_MemTotal_bytes")[0]["value"][1])  # type: ignore[index]
        assert f"of {fmt_bytes(int(total))}" in text
        assert "Load" in text and "cores" in text and "Disk /" in text
        assert "prometheus live" in title(app, "#hostmetrics")
        await pilot.press("h")  # the next host, as the operator moves
        await until(
            pilot, lambda: "prometheus 192.0.2.50:9100" in screen_text(app, "#host-summary")
        )
        await pilot.press("h")
        await until(
            pilot,
            lambda: (
                "no node-exporter in Prometheus for worker-c: none has nodename=worker-c"
                " or instance 10.0.0.3" in " ".join(screen_text(app, "#host-summary").split())
            ),
        )
        feed = next(f for f in app.session.feeds if type(f).__name__ == "NodeExporterFeed")
        await until(pilot, lambda: feed.refreshes >= 4, 10)
        # the charts begin with the last minutes Prometheus kept (query_range), then live
        view = app.store.hosts["vps-6227e9e1"]
        assert view.history[0].at < started and view.gaps == 0
        assert [p.at for p in view.history] == sorted(p.at for p in view.history)
        assert len([p for p in view.history if p.at > started]) >= 2
    # what Prometheus received: the same fixed queries whatever the number of nodes
    asked = prom.queries()[before:]
    console = [q for q in asked if q in QUERIES.values() or q in HISTORY.values()]
    assert set(QUERIES.values()) <= set(console)
    others = {DEFAULT_QUERY, "node_memory_MemTotal_bytes"}  # the error rate; this test's
    assert not [q for q in asked if q not in console and q not in others]
    assert not any(node in q for q in asked for node in ("vps-6227e9e1", "worker-b", "10.0.0"))


async def test_processes_from_ssh_and_figures_from_prometheus_on_one_row(
    cluster: Cluster, kubeconfig: Path, prom: Prometheus, sshd: object
) -> None:
    """[hosts] default gives each node an SSH target: figures stay Prometheus's, the top
    processes and systemd come over SSH; an explicit entry wins; a node deleted takes its
    host with it."""
    from tests.sshd import Sshd

    assert isinstance(sshd, Sshd)
    cluster.put("Node", fx.node("vps-6227e9e1", ip="10.0.0.1"))  # explicit: this machine
    cluster.put("Node", fx.node("worker-b", ip="127.0.0.1"))  # derived: the sshd
    cluster.put("Node", fx.node("worker-d", ip="127.0.0.1"))
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.sources.client import Kube
    from tui.sources.hosts import build_hosts

    settings = Settings(
        kubeconfig=str(kubeconfig),
        prometheus_url=prom.url,
        host_interval=0.5,
        hosts={"vps-6227e9e1": "local"},
        hosts_default=f"root@{{address}}:{sshd.port}",
        ssh_key=str(sshd.client_key),
        known_hosts=str(sshd.known_hosts),
    )
    kube = Kube.from_kubeconfig(settings.kubeconfig, None)
    app = IncidentApp(settings, kube, hosts=build_hosts(settings))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(HostMetricsPane)
        await until(pilot, lambda: len(app.store.hosts) == 3, 20)
        await until(pilot, lambda: "worker-d" in screen_text(app, "#nodes-table"))
        assert app.store.hosts["vps-6227e9e1"].target == "local"
        assert app.store.hosts["worker-b"].target == f"root@127.0.0.1:{sshd.port}"
        pane.select("worker-b")
        b = app.store.hosts["worker-b"]
        await until(pilot, lambda: b.sample is not None and b.sample.top_cpu, 30)
        await until(
            pilot, lambda: "prometheus 192.0.2.50:9100" in screen_text(app, "#host-summary"), 20
        )
        text = screen_text(app, "#host-summary")
        assert "processes ssh" in text
        assert app.store.hosts["worker-b"].figures_from == "prometheus"
        pane.select("vps-6227e9e1")
        await until(pilot, lambda: "processes psutil" in screen_text(app, "#host-summary"))
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        subprocess.run(
            ["kubectl", "delete", "node", "worker-d"], env=env, check=True, capture_output=True
        )
        await until(pilot, lambda: "worker-d" not in app.store.hosts, 15)
        assert app.session.host_manager is not None
        assert "worker-d" not in app.session.host_manager.hosts


async def test_prometheus_down_or_answering_errors_is_a_state_not_a_crash(
    cluster: Cluster, kubeconfig: Path, prom: Prometheus
) -> None:
    """The module's Prometheus is stopped here: this test comes last in the file."""
    three_nodes(cluster)
    app = make_app(kubeconfig, prometheus_url=prom.url, host_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "prometheus live" in title(app, "#hostmetrics"), 20)
        prom.stop_prometheus()
        await until(pilot, lambda: "prometheus unreachable" in title(app, "#hostmetrics"), 20)
        text = screen_text(app, "#host-summary")
        assert f"cannot reach {prom.url}" in text
        await until(
            pilot, lambda: "Prometheus unavailable" in screen_text(app, "#findings-table"), 15
        )
        # one finding for Prometheus, none per node
        assert not [f for f in app.session.findings() if f.rule == "exporter-down"]
        assert app.is_running  # and the cluster's panes still live
        assert "worker-c" in screen_text(app, "#nodes-table")
    # a server that answers, with errors: a URL that is not Prometheus's API
    bad = make_app(kubeconfig, prometheus_url=kubeconfig_server(kubeconfig) + "/nope")
    async with bad.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "prometheus error" in title(bad, "#hostmetrics"), 20)
        found = await until(
            pilot,
            lambda: [f for f in bad.session.findings() if f.rule == "prometheus-unavailable"],
            15,
        )
        assert "HTTP 404" in found[0].evidence


def kubeconfig_server(path: Path) -> str:
    import yaml

    doc = yaml.safe_load(path.read_text())
    return str(doc["clusters"][0]["cluster"]["server"])
