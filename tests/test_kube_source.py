"""list+watch through a kubeconfig file and real HTTP against the emulator."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests import fixtures as fx
from tests.conftest import wait_for
from tui.demo.apiserver import Emulator
from tui.demo.state import Cluster
from tui.sources.client import Kube
from tui.sources.kube import KIND_SPECS, ListWatch
from tui.store import ChangeBuffer, State, Store


class Feed:
    """One ListWatch thread feeding a store, drained by the test."""

    def __init__(self, kubeconfig: Path, kind: str, **kw: object) -> None:
        self.kube = Kube.from_kubeconfig(str(kubeconfig), None)
        self.buffer = ChangeBuffer()
        self.store = Store()
        self.lw = ListWatch(self.kube, KIND_SPECS[kind], self.buffer, read_timeout=5.0, **kw)  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.lw.run, daemon=True)
        self.thread.start()

    def sync(self) -> Store:
        self.store.apply(self.buffer.drain())
        return self.store

    def stop(self) -> None:
        self.lw.stop()
        self.thread.join(5)
        self.kube.close()


@pytest.fixture
def feeds(kubeconfig: Path) -> Iterator[list[Feed]]:
    made: list[Feed] = []
    yield made
    for f in made:
        f.stop()


def list_requests(cluster: Cluster, path: str) -> list[dict[str, list[str]]]:
    return [
        r.query
        for r in cluster.requests
        if r.method == "GET" and r.path == path and "watch" not in r.query
    ]


def test_list_in_pages_then_watch_fills_the_store(
    cluster: Cluster, kubeconfig: Path, feeds: list[Feed]
) -> None:
    for i in range(23):
        cluster.put("Pod", fx.pod(f"p-{i:02d}"))
    feed = Feed(kubeconfig, "pods", page_size=10)
    feeds.append(feed)
    wait_for(lambda: len(feed.sync().pods) == 23, what="23 pods listed")
    pages = list_requests(cluster, "/api/v1/pods")
    assert [q.get("limit") for q in pages] == [["10"]] * 3
    assert "continue" not in pages[0] and all("continue" in q for q in pages[1:])
    wait_for(lambda: feed.sync().status["pods"].state is State.LIVE, what="live")
    # LIVE comes after the last page; the watch request follows it.
    wait_for(lambda: any("watch" in r.query for r in cluster.requests), what="the watch request")
    watch = [r.query for r in cluster.requests if "watch" in r.query]
    assert watch[0]["allowWatchBookmarks"] == ["true"]
    assert watch[0]["resourceVersion"][0].isdigit()

    cluster.put("Pod", fx.pod("p-new", waiting="CrashLoopBackOff"))
    cluster.remove("Pod", "default", "p-00")
    wait_for(
        lambda: (
            {p.name for p in feed.sync().pods.values()} >= {"p-new"}
            and "p-00" not in {p.name for p in feed.store.pods.values()}
        ),
        what="watch add and delete",
    )
    assert (
        next(p for p in feed.store.pods.values() if p.name == "p-new").status == "CrashLoopBackOff"
    )


def test_410_gone_relists_without_duplicates(
    cluster: Cluster, kubeconfig: Path, feeds: list[Feed]
) -> None:
    for i in range(5):
        cluster.put("Pod", fx.pod(f"p-{i}"))
    feed = Feed(kubeconfig, "pods")
    feeds.append(feed)
    wait_for(lambda: feed.sync().status["pods"].state is State.LIVE)
    cluster.put("Pod", fx.pod("p-after"))
    cluster.remove("Pod", "default", "p-0")
    cluster.expire()  # the watch reconnects from a compacted resourceVersion: 410 Gone
    wait_for(lambda: feed.lw.lists >= 2, what="a relist after 410")
    store = wait_for(lambda: feed.sync() if feed.store.status["pods"].state is State.LIVE else None)
    names = sorted(p.name for p in store.pods.values())
    assert names == ["p-1", "p-2", "p-3", "p-4", "p-after"]
    assert len(store.pods) == len(set(store.pods)) == 5


def test_403_is_forbidden_with_the_servers_message(
    cluster: Cluster, kubeconfig: Path, feeds: list[Feed]
) -> None:
    cluster.fail("events", 403)
    feed = Feed(kubeconfig, "events")
    feeds.append(feed)
    status = wait_for(
        lambda: (s := feed.sync().status["events"]).state is State.FORBIDDEN and s, what="forbidden"
    )
    assert 'cannot list resource "events"' in status.message


def test_unreachable_server_retries_then_recovers(
    cluster: Cluster, emulator: Emulator, kubeconfig: Path, feeds: list[Feed]
) -> None:
    cluster.put("Pod", fx.pod("before"))
    emulator.stop()
    feed = Feed(kubeconfig, "pods")
    feeds.append(feed)
    status = wait_for(lambda: (s := feed.sync().status["pods"]).state is State.UNREACHABLE and s)
    assert status.message.startswith(f"cannot reach {emulator.url}, retrying")
    emulator.start()
    wait_for(lambda: feed.sync().status["pods"].state is State.LIVE, timeout=20)
    assert [p.name for p in feed.store.pods.values()] == ["before"]


def test_after_an_outage_the_watch_resumes_where_it_stopped_without_listing_again(
    cluster: Cluster, emulator: Emulator, kubeconfig: Path, feeds: list[Feed]
) -> None:
    """As client-go does: the changes made while the server was away come as watch
    events from the last resourceVersion seen, and nothing is listed again."""
    for i in range(3):
        cluster.put("Pod", fx.pod(f"p-{i}"))
    feed = Feed(kubeconfig, "pods")
    feeds.append(feed)
    wait_for(lambda: feed.sync().status["pods"].state is State.LIVE, what="live")
    held = next(p for p in feed.store.pods.values() if p.name == "p-0")
    emulator.stop()
    wait_for(lambda: feed.sync().status["pods"].state is State.UNREACHABLE, what="unreachable")
    cluster.put("Pod", fx.pod("p-1", waiting="CrashLoopBackOff"))
    cluster.put("Pod", fx.pod("p-new"))
    cluster.remove("Pod", "default", "p-2")
    emulator.start()
    status = wait_for(
        lambda: (s := feed.sync().status["pods"]).state is State.LIVE and s, timeout=20
    )
    assert status.message == "watch resumed where it stopped"
    pods = wait_for(
        lambda: (
            (by := {p.name: p for p in feed.sync().pods.values()}).keys() == {"p-0", "p-1", "p-new"}
            and by
        ),
        what="the outage's changes",
    )
    assert pods["p-1"].status == "CrashLoopBackOff"
    assert pods["p-0"] is held
    assert feed.lw.lists == 1
    assert len(list_requests(cluster, "/api/v1/pods")) == 1


def test_a_relist_keeps_what_it_holds_and_takes_what_changed(
    cluster: Cluster, kubeconfig: Path, feeds: list[Feed]
) -> None:
    """After a 410, objects at the resourceVersion already held are kept, not
    parsed again (a relist built a second store beside the first: the soak's RSS steps)."""
    for i in range(3):
        cluster.put("Pod", fx.pod(f"p-{i}"))
    feed = Feed(kubeconfig, "pods")
    feeds.append(feed)
    wait_for(lambda: feed.sync().status["pods"].state is State.LIVE)
    before = {p.name: p for p in feed.sync().pods.values()}
    cluster.expire()  # the watch cannot go on: the feed lists again
    cluster.put("Pod", fx.pod("p-1", waiting="CrashLoopBackOff"))
    wait_for(lambda: feed.lw.lists >= 2, what="a relist after 410")
    after = wait_for(
        lambda: (
            {p.name: p for p in feed.sync().pods.values()}
            if feed.store.status["pods"].state is State.LIVE
            else None
        ),
        what="live again",
    )
    assert after["p-0"] is before["p-0"] and after["p-2"] is before["p-2"]
    assert after["p-1"].status == "CrashLoopBackOff"


def test_the_emulator_pages_a_namespace_in_order_with_what_came_and_went_between_pages(
    cluster: Cluster, kubeconfig: Path
) -> None:
    """Its pages come from keys kept in order (sorted again only when one comes or goes):
    what the console and kubectl page through must still be every object, once."""
    for ns in ("a", "b", "c"):
        for i in range(5):
            cluster.put("Pod", fx.pod(f"p-{i}", namespace=ns))
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    names, cont, pages = [], "", 0
    while True:
        resp = kube.open("GET", "/api/v1/namespaces/b/pods", query={"limit": 2, "continue": cont})
        doc = orjson.loads(resp.data)
        names += [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in doc["items"]]
        pages += 1
        if pages == 1:  # between pages: one comes after the cursor, one goes
            cluster.put("Pod", fx.pod("p-9", namespace="b"))
            cluster.remove("Pod", "b", "p-3")
        cont = doc["metadata"].get("continue", "")
        if not cont:
            break
    kube.close()
    assert names == ["b/p-0", "b/p-1", "b/p-2", "b/p-4", "b/p-9"]
    assert pages == 3
