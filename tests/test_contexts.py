"""Several clusters at once (--context given again): each one's findings tagged with its
context; Enter on another cluster's finding goes there, and the one left is watched."""

from __future__ import annotations

from pathlib import Path

from tests import fixtures as fx
from tests.conftest import contexts_kubeconfig, make_app, until
from tests.test_app import SIZE, screen_text
from tests.test_cli import one_line_error, run
from tui.demo.apiserver import Emulator
from tui.demo.state import Cluster
from widgets.findings import FindingsPane


async def test_two_clusters_findings_tagged_and_enter_goes_to_the_other(tmp_path: Path) -> None:
    first, second = Cluster(), Cluster()
    first.put("Node", fx.node("one-node"))
    first.put("Pod", fx.pod("gw-1", waiting="CrashLoopBackOff", restarts=9))
    second.put("Node", fx.node("two-node", ready="False", since=900))
    second.put("Pod", fx.pod("only-in-second"))
    with Emulator(first) as one, Emulator(second) as two:
        path = contexts_kubeconfig(tmp_path / "kubeconfig", {"one": one.url, "two": two.url})
        app = make_app(path, contexts=["two"])
        async with app.run_test(size=SIZE) as pilot:
            table = "#findings-table"
            await until(pilot, lambda: "two: two-n" in screen_text(app, table), 20)
            await until(pilot, lambda: "one: gw-1" in screen_text(app, table), 20)
            title = screen_text(app, "#titlebar")
            assert " ONE " in title and "context one" in title and "also watching two" in title
            assert "gw-1" in screen_text(app, "#pods-table")  # the panes are one's
            keys = {f.key for f in app.session.findings()}
            assert any(k.startswith("two/node-not-ready") for k in keys), keys
            # Enter on two's finding: the console goes to two, and watches one
            pane = app.query_one(FindingsPane)
            finding = next(f for f in app.session.findings() if f.context == "two")
            pane.post_message(FindingsPane.Chosen(finding))
            await until(pilot, lambda: "only-in-second" in screen_text(app, "#pods-table"), 20)
            await until(pilot, lambda: "also watching one" in screen_text(app, "#titlebar"))
            assert " TWO " in screen_text(app, "#titlebar")
            await until(pilot, lambda: "one: gw-1" in screen_text(app, table), 20)
            assert app.session.kube.info.context == "two"
            assert list(app.session.watched) == ["one"]


def test_a_context_named_again_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    path = contexts_kubeconfig(tmp_path / "kubeconfig", {"one": "http://127.0.0.1:9"})
    line = one_line_error(run("--kubeconfig", str(path), "--context", "one", "--context", "prod"))
    assert "'prod'" in line and "contexts there: one" in line


async def test_switching_context_maps_the_new_clusters_nodes_to_hosts(tmp_path: Path) -> None:
    """[hosts] default derives hosts from the cluster's nodes: another context, other hosts
    (the explicit ones stay)."""
    first, second = Cluster(), Cluster()
    first.put("Node", fx.node("one-node", ip="127.0.0.1"))
    second.put("Node", fx.node("two-node", ip="127.0.0.1"))
    with Emulator(first) as one, Emulator(second) as two:
        path = contexts_kubeconfig(tmp_path / "kubeconfig", {"one": one.url, "two": two.url})
        app = make_app(path, hosts_default="root@{address}:9", known_hosts=str(tmp_path / "kh"))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "one-node" in app.store.hosts, 15)
            assert app.store.hosts["one-node"].target == "root@127.0.0.1:9"
            app.switch_context("two")
            await until(pilot, lambda: "two-node" in app.store.hosts, 15)
            assert "one-node" not in app.store.hosts
            assert app.session.host_manager is not None
            assert set(app.session.host_manager.hosts) == {"two-node"}
            await until(pilot, lambda: "two-node" in screen_text(app, "#host-summary"))
