"""The pure parts of the fleet: matching exporters to nodes, what a host view keeps from
two sources, the node-exporter answers parsed, the config's [prometheus] and [hosts]
default, and the command line's --prometheus and --context given again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.test_cli import one_line_error, run
from tui.config import ConfigError, load_settings
from tui.sources.hosts import node_target
from tui.sources.nodeexporter import build_exporters, build_history
from tui.store import KindStatus, State
from tui.store.fleet import Exporter, Fleet, NodeMetrics, apply_node_metrics, match
from tui.store.host import HostSample, HostUpdate, HostView, Memory
from tui.store.models import parse_node


def node(name: str, ip: str = "") -> object:
    status = {"addresses": [{"type": "InternalIP", "address": ip}]} if ip else {}
    return parse_node({"metadata": {"name": name, "uid": name}, "status": status})


def sample(at: float, cpu: float = 10.0) -> HostSample:
    return HostSample(at, cpu, (cpu,), (0.5, 0.4, 0.3), 1, Memory(100, 50, 0, 0), (), (), ())


def test_an_exporter_matches_by_nodename_first_then_by_internal_ip() -> None:
    a = Exporter("10.0.0.1:9100", "other-name", None)
    b = Exporter("10.0.0.9:9100", "worker-b", None)
    v6 = Exporter("[fd00::3]:9100", "", None)
    nodes = [node("worker-a", "10.0.0.1"), node("worker-b", "10.0.0.2"), node("c", "fd00::3")]
    found = match(nodes, [a, b, v6])  # type: ignore[arg-type]
    assert found == {"worker-a": a, "worker-b": b, "c": v6}
    assert match([node("lonely", "10.0.0.7")], [a]) == {}  # type: ignore[list-item]


def test_node_views_say_why_they_have_no_figures_and_prometheus_down_keeps_the_gap() -> None:
    hosts: dict[str, HostView] = {}
    nodes = {n.name: n for n in (node("a", "10.0.0.1"), node("b", "10.0.0.2"))}  # type: ignore[attr-defined]
    fleet = Fleet()
    live = KindStatus(State.LIVE)
    ch = NodeMetrics("http://p", live, (Exporter("10.0.0.1:9100", "", sample(time.time())),))
    apply_node_metrics(hosts, nodes, fleet, ch)  # type: ignore[arg-type]
    assert hosts["a"].figures_from == "prometheus" and hosts["a"].status.state is State.LIVE
    assert hosts["b"].status.state is State.ABSENT and "nodename=b" in hosts["b"].status.message
    down = NodeMetrics("http://p", KindStatus(State.UNREACHABLE, "cannot reach http://p"))
    apply_node_metrics(hosts, nodes, fleet, down)  # type: ignore[arg-type]
    assert hosts["a"].figures is None and hosts["a"].gaps == 1
    assert fleet.status is not None and fleet.status.state is State.UNREACHABLE


def test_prometheus_figures_win_and_ssh_is_the_fallback() -> None:
    now = time.time()
    view = HostView("a", "root@10.0.0.1")
    view.apply(HostUpdate("a", KindStatus(State.LIVE), sample(now + 1, cpu=50)))
    assert view.figures_from == "ssh" and view.figures is not None
    view.apply_metrics(KindStatus(State.LIVE), sample(now + 2, cpu=20))
    assert view.figures_from == "prometheus" and view.figures.cpu == 20  # type: ignore[union-attr]
    view.apply(HostUpdate("a", KindStatus(State.LIVE), sample(now + 3, cpu=90)))
    assert [p.cpu for p in view.history] == [50, 20]  # one source per chart
    view.apply_metrics(KindStatus(State.ERROR, "HTTP 500"), None)
    assert view.figures_from == "ssh" and view.figures.cpu == 90  # type: ignore[union-attr]


def test_a_charts_history_keeps_one_point_a_step_the_highest_and_its_gaps() -> None:
    """A chart 40 columns wide gets a point every 2 columns, not 300: the highest of each
    step, so a one-sample spike still shows; a gap still splits the line."""
    base = (time.time() // 60) * 60 + 120  # after the gap's own time (now)
    view = HostView("a", "root@10.0.0.1")
    for i, cpu in enumerate([10, 95, 20, 30, 40, 50]):
        view.apply(HostUpdate("a", KindStatus(State.LIVE), sample(base + i, cpu=cpu)))
    view.apply(HostUpdate("a", KindStatus(State.UNREACHABLE, "gone"), None))
    view.apply(HostUpdate("a", KindStatus(State.LIVE), sample(base + 9, cpu=70)))
    assert view.segments("cpu") == [
        ([base + i for i in range(6)], [10, 95, 20, 30, 40, 50]),
        ([base + 9], [70]),
    ]
    assert view.segments("cpu", 3.0) == [([base + 1, base + 5], [95, 50]), ([base + 9], [70])]


def test_node_exporter_answers_become_samples_df_style() -> None:
    def vec(metric: dict[str, str], value: str) -> dict[str, object]:
        return {"metric": {"instance": "n:9100", **metric}, "value": [1.0, value]}

    def result(*entries: dict[str, object]) -> dict[str, object]:
        return {"result": list(entries)}

    answers = {
        "uname": result(vec({"nodename": "n1"}, "1")),
        "cpu": result(vec({"cpu": "0"}, "0.75"), vec({"cpu": "1"}, "0.25")),
        "load": result(*(vec({"__name__": f"node_load{m}"}, "1.5") for m in (1, 5, 15))),
        "memory": result(
            vec({"__name__": "node_memory_MemTotal_bytes"}, "1000"),
            vec({"__name__": "node_memory_MemAvailable_bytes"}, "250"),
        ),
        "fs": result(
            vec({"__name__": "node_filesystem_size_bytes", "mountpoint": "/"}, "100"),
            vec({"__name__": "node_filesystem_free_bytes", "mountpoint": "/"}, "10"),
            vec({"__name__": "node_filesystem_avail_bytes", "mountpoint": "/"}, "5"),
        ),
        "net": result(vec({"dir": "rx"}, "2048"), vec({"dir": "tx"}, "NaN")),
        "down": result(),
    }
    exporters, down = build_exporters(answers, 5.0)
    (e,) = exporters
    assert e.nodename == "n1" and not down
    s = e.sample
    assert s is not None and s.per_core == (25.0, 75.0) and s.cpu == 50.0 and s.cores == 2
    assert s.memory.used_percent == 75.0 and s.load == (1.5, 1.5, 1.5)
    assert s.filesystems[0].percent == 95  # used 90 / (used 90 + avail 5), as df rounds
    assert s.net_rx == 2048 and s.net_tx == 0.0
    partial, _ = build_exporters({"uname": answers["uname"]}, 5.0)
    assert partial[0].sample is None  # scraped, but not rated yet
    history = build_history(
        {
            name: {"result": [{"metric": {"instance": "n:9100"}, "values": [[1, "1"], [2, "2"]]}]}
            for name in ("cpu", "memory", "load")
        }
    )
    assert [p.at for p in history["n:9100"]] == [1.0, 2.0]


def test_config_prometheus_table_and_hosts_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[prometheus]\nurl = "http://p:9090"\n[hosts]\n'
        'default = "root@{address}"\n"vps-1" = "local"\n'
    )
    s = load_settings(path)
    assert s.prometheus_url == "http://p:9090" and s.hosts_default == "root@{address}"
    assert s.hosts == {"vps-1": "local"}
    assert node_target(s.hosts_default, "w1", "10.0.0.5") == "root@10.0.0.5"
    assert node_target("{name}.nodes", "w1", "") == "w1.nodes"
    path.write_text('[hosts]\ndefault = "root@{ip}"\n')
    with pytest.raises(ConfigError, match=r"takes \{address\} and \{name\} only"):
        load_settings(path)
    path.write_text('[prometheus]\nuri = "x"\n')
    with pytest.raises(ConfigError, match=r"\[prometheus\] takes url, query, username"):
        load_settings(path)


def test_cli_prometheus_and_contexts_are_in_the_help() -> None:
    out = " ".join(run("--help").stdout.split())
    assert "--prometheus URL" in out and "again to watch more clusters" in out
    assert "--demo" in one_line_error(run("--demo", "--context", "a", "--context", "b"))


def test_with_no_host_chosen_the_pane_shows_the_first_nodes_whatever_order_they_came() -> None:
    """Prometheus's hosts are named after their nodes as the nodes are listed: a host
    renamed moved to the end, and which host the pane showed first depended on timing."""
    from tui.store import Store, Upsert
    from widgets.hostmetrics import HostMetricsPane

    store = Store()
    for name in ("worker-b", "vps-6227e9e1", "worker-c"):
        store.add_host(name, name)
    pane = HostMetricsPane(store)
    assert pane.host is store.hosts["worker-b"]  # no nodes listed: the first that came
    store.apply([Upsert("nodes", node(n)) for n in ("worker-c", "vps-6227e9e1", "worker-b")])
    assert pane.host is store.hosts["vps-6227e9e1"]  # the nodes pane's first
    assert [v.name for v in pane.ordered()] == ["vps-6227e9e1", "worker-b", "worker-c"]
    assert pane.select("worker-c") and pane.host is store.hosts["worker-c"]
