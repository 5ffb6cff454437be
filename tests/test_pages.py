"""A large list's pages parsed in a child process (tui.store.pages), through the real
client and the emulator: the same pods as parsed in the console's own process, and none
lost when the child is gone."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests import fixtures as fx
from tests.conftest import wait_for
from tests.test_kube_source import Feed, feeds  # noqa: F401  the fixture
from tui.demo.state import Cluster
from tui.sources.client import Kube
from tui.sources.paging import head
from tui.store.pages import PAGES, PageParser
from tui.store.pods import parse_pod


def troubled_pods(cluster: Cluster, n: int) -> None:
    for i in range(n):
        trouble = ("CrashLoopBackOff", "ImagePullBackOff", None)[i % 3]
        pod = fx.pod(
            f"p-{i:03d}",
            restarts=i % 7,
            waiting=trouble,
            last_terminated="OOMKilled" if i % 5 == 0 else None,
            owner=("ReplicaSet", "web-1") if i % 2 else None,
        )
        pod["metadata"]["labels"] = {"app": "web", "tier\x1b[31m": f"t{i % 4}"}
        cluster.put("Pod", pod)


def parsed_here(kubeconfig: Path) -> list[Any]:
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    try:
        items = kube.json("GET", "/api/v1/pods")["items"]
    finally:
        kube.close()
    return sorted((parse_pod(o) for o in items), key=lambda p: p.uid)


def listed(kubeconfig: Path, made: list[Feed], n: int) -> list[Any]:
    """The pods a feed listed, 10 a page, once it has all n."""
    feed = Feed(kubeconfig, "pods", page_size=10)
    made.append(feed)
    wait_for(lambda: len(feed.sync().pods) == n, what=f"{n} pods listed")
    return sorted(feed.store.pods.values(), key=lambda p: p.uid)


@pytest.fixture
def child() -> object:
    PAGES.start()
    assert PAGES.wait_ready(30), "the pages' child did not start"
    return PAGES


def test_a_large_lists_pages_parsed_in_the_child_are_the_pods_parsed_here(
    cluster: Cluster,
    kubeconfig: Path,
    feeds: list[Feed],  # noqa: F811
    child: object,
) -> None:
    troubled_pods(cluster, 60)
    before = PAGES.pages
    pods = listed(kubeconfig, feeds, 60)
    assert PAGES.pages - before == 6  # every page, by the child
    assert pods == parsed_here(kubeconfig)
    assert {p.status for p in pods} >= {"CrashLoopBackOff", "ImagePullBackOff", "Running"}
    assert all("\x1b" not in k for p in pods for k in p.labels)


def test_with_the_child_gone_mid_list_every_pod_is_parsed_here_and_the_next_list_starts_one(
    cluster: Cluster,
    kubeconfig: Path,
    feeds: list[Feed],  # noqa: F811
    child: object,
) -> None:
    troubled_pods(cluster, 40)
    proc = PAGES._proc
    assert proc is not None
    proc.kill()
    proc.wait(10)
    before = PAGES.pages
    assert listed(kubeconfig, feeds, 40) == parsed_here(kubeconfig)
    # the first page at least was parsed here; the list, large, started another child
    assert PAGES.pages - before < 4
    assert PAGES.wait_ready(30)
    before = PAGES.pages
    assert len(listed(kubeconfig, feeds, 40)) == 40
    assert PAGES.pages - before == 4


def test_a_page_the_child_cannot_decode_is_left_to_the_console_then_the_next_one_is_parsed(
    child: object,
) -> None:
    assert PAGES.claim()
    try:
        assert PAGES.send("pods", b'{"items": [')
        assert PAGES.send("pods", orjson.dumps({"items": [fx.pod("p-1")]}))
        assert PAGES.receive() is None  # the first: to be parsed here
        got = PAGES.receive()
        assert got is not None
        (pod,) = got
    finally:
        PAGES.release(answered=True)
    assert pod == parse_pod(fx.pod("p-1"))
    assert PAGES.alive


def test_a_child_that_stops_answering_is_killed_and_its_page_left_to_the_console() -> None:
    parser = PageParser(answer=0.5)
    parser.start()
    assert parser.wait_ready(30)
    proc = parser._proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGSTOP)
    assert parser.claim()
    assert parser.send("pods", orjson.dumps({"items": [fx.pod("p-1")]}))
    assert parser.receive() is None
    parser.release(answered=True)
    assert proc.wait(10) == -signal.SIGKILL
    assert not parser.alive and not parser.claim()  # until a large list starts another


def test_a_pages_metadata_is_read_from_its_head_and_only_where_it_comes_first() -> None:
    first = b'{"kind":"PodList","metadata":{"resourceVersion":"9","continue":"eyJ2Ijoi"},"items":[{'
    assert head(first + b'"metadata":{"name":"a"}}]}') == {
        "resourceVersion": "9",
        "continue": "eyJ2Ijoi",
    }
    tricky = orjson.dumps({"metadata": {"continue": 'a"items":[', "x": 1}, "items": []})
    assert head(tricky) == {"continue": 'a"items":[', "x": 1}
    assert head(b'{"items":[],"metadata":{"continue":"c"}}') is None  # decoded whole instead
    assert head(b'{"metadata":["not a map"],"items":[]}') is None
    assert head(b"<html>502 Bad Gateway</html>") is None


def test_a_tables_metadata_is_read_from_before_its_rows() -> None:
    table = b'{"kind":"Table","metadata":{"continue":"c2"},"columnDefinitions":[{"name":"Name"'
    table += b',"description":"the \\"rows\\": no"}],"rows":[{"cells":["a"]}]}'
    assert head(table) == {"continue": "c2"}
