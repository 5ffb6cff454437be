"""The store's derived fields: what kubectl shows, from our own fixtures."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests import fixtures as fx
from tui.store import (
    Delete,
    KindStatus,
    Replace,
    State,
    StatusChange,
    Store,
    Upsert,
    parse_event,
    parse_node,
    parse_pod,
)
from tui.store.meta import share
from tui.store.pods import FAILING, HEALTHY, NOT_READY, PENDING
from tui.store.units import parse_time


@pytest.mark.parametrize(
    ("kw", "status", "attention"),
    [
        ({}, "Running", HEALTHY),
        ({"waiting": "CrashLoopBackOff", "restarts": 4}, "CrashLoopBackOff", FAILING),
        ({"waiting": "ImagePullBackOff"}, "ImagePullBackOff", FAILING),
        ({"waiting": "ErrImagePull"}, "ErrImagePull", FAILING),
        ({"terminated": "OOMKilled", "exit_code": 137}, "OOMKilled", FAILING),
        ({"terminated": "Completed", "phase": "Succeeded"}, "Completed", HEALTHY),
        ({"terminated": "", "exit_code": 3}, "ExitCode:3", FAILING),
        ({"phase": "Pending", "waiting": "ContainerCreating"}, "ContainerCreating", PENDING),
        ({"deleting": True}, "Terminating", NOT_READY),
        ({"phase": "Failed", "reason": "Evicted", "terminated": "Error"}, "Error", FAILING),
        ({"ready": False}, "Running", NOT_READY),
    ],
)
def test_pod_status_as_kubectl_shows_it(kw: dict[str, object], status: str, attention: int) -> None:
    p = parse_pod(fx.pod("p-1", **kw))  # type: ignore[arg-type]
    assert p.status == status
    assert p.attention == attention


def test_evicted_pod_without_container_statuses_reads_evicted() -> None:
    obj = fx.pod("p-1", phase="Failed", reason="Evicted")
    obj["status"]["containerStatuses"] = []
    p = parse_pod(obj)
    assert p.status == "Evicted"
    assert p.attention == FAILING


def test_ready_restarts_and_last_termination() -> None:
    obj = fx.pod(
        "gw-1",
        waiting="CrashLoopBackOff",
        restarts=6,
        last_terminated="OOMKilled",
        last_finished=42,
        containers=2,
    )
    obj["status"]["containerStatuses"][1]["state"] = {"running": {}}
    obj["status"]["containerStatuses"][1]["ready"] = True
    p = parse_pod(obj)
    assert (p.ready, p.total) == (1, 2)
    assert p.restarts == 12
    assert p.last_termination == "OOMKilled (137)"
    assert p.last_restart is not None
    assert 40 <= time.time() - p.last_restart <= 45


def test_init_container_failure_shows_init_status() -> None:
    obj = fx.pod("p-1", phase="Pending")
    obj["spec"]["initContainers"] = [{"name": "migrate"}]
    obj["status"]["initContainerStatuses"] = [
        {"name": "migrate", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
    ]
    p = parse_pod(obj)
    assert p.status == "Init:CrashLoopBackOff"
    assert p.attention == FAILING


def test_node_ready_pressure_roles_version() -> None:
    n = parse_node(fx.node(ready="False", since=300, pressures=("DiskPressure",)))
    assert n.ready == "False"
    assert n.pressures == ("DiskPressure",)
    assert n.roles == ("control-plane",)
    assert n.version == "v1.30.6+k3s1"
    assert n.ready_since is not None and 295 <= time.time() - n.ready_since <= 310
    assert not n.healthy


def test_event_last_seen_prefers_series_then_last_timestamp_then_event_time() -> None:
    with_series = parse_event(fx.event("e1", last_seen=500, series_last=5, count=9))
    assert with_series.count == 9
    assert with_series.last_seen is not None and time.time() - with_series.last_seen < 10
    plain = parse_event(fx.event("e2", last_seen=60))
    assert plain.last_seen is not None and 55 <= time.time() - plain.last_seen <= 65
    obj = fx.event("e3")
    obj["lastTimestamp"] = None
    obj["eventTime"] = "2026-01-02T03:04:05.123456Z"
    assert parse_event(obj).last_seen == pytest.approx(1767323045.123456)


def test_store_applies_upsert_delete_replace_and_status() -> None:
    s = Store()
    a, b = parse_pod(fx.pod("a")), parse_pod(fx.pod("b"))
    touched = s.apply([Upsert("pods", a), Upsert("pods", b)])
    assert touched == {"pods"} and set(s.pods) == {a.uid, b.uid}
    s.apply([Delete("pods", a.uid)])
    assert set(s.pods) == {b.uid}
    s.apply([Replace("pods", (a,))])
    assert set(s.pods) == {a.uid}, "a complete list replaces everything: no stale rows"
    s.apply([StatusChange("events", KindStatus(State.FORBIDDEN, "no", since=100.0))])
    assert s.status["events"].state is State.FORBIDDEN
    s.apply([StatusChange("events", KindStatus(State.FORBIDDEN, "still no", since=200.0))])
    assert s.status["events"] == KindStatus(State.FORBIDDEN, "still no", since=100.0)


def test_events_are_bounded_to_the_newest_and_the_rest_counted() -> None:
    s = Store(max_events=100)
    s.apply(
        [Upsert("events", parse_event(fx.event(f"e{i}", last_seen=1000 - i))) for i in range(150)]
    )
    assert len(s.events) == 100 and s.events_dropped == 50
    assert {e.name for e in s.events.values()} == {
        f"e{i}" for i in range(50, 150)
    }  # e0: the oldest


def test_deployment_of_pod_through_replicaset_naming() -> None:
    from tui.store import parse_deployment

    s = Store()
    dep = parse_deployment(
        {"metadata": {"name": "api-gateway", "namespace": "default", "uid": "d1"}, "spec": {}}
    )
    p = parse_pod(
        fx.pod(
            "api-gateway-5f7c9-abcde",
            labels={"app": "api-gateway", "pod-template-hash": "5f7c9"},
            owner=("ReplicaSet", "api-gateway-5f7c9"),
        )
    )
    s.apply([Upsert("deployments", dep), Upsert("pods", p)])
    assert s.deployment_of(p) == dep


def test_deployment_of_pod_follows_its_replicaset_as_they_change() -> None:
    """Looked up by name (the pod rules ask for every troubled pod each second), and the
    index follows every change of the ReplicaSets and Deployments."""
    from tui.store import parse_deployment, parse_replicaset

    def dep(name: str) -> Any:
        meta = {"name": name, "namespace": "default", "uid": f"d-{name}"}
        return parse_deployment({"metadata": meta, "spec": {}})

    def rs(owner: str) -> Any:
        meta = {"name": "web-1", "namespace": "default", "uid": "rs-1"}
        meta["ownerReferences"] = [{"kind": "Deployment", "name": owner, "controller": True}]
        return parse_replicaset({"metadata": meta, "spec": {}})

    s = Store()
    p = parse_pod(fx.pod("web-1-abcde", owner=("ReplicaSet", "web-1")))
    s.apply([Upsert("deployments", dep("web")), Upsert("deployments", dep("site"))])
    assert s.deployment_of(p) is None  # no ReplicaSet, no template hash
    s.apply([Upsert("replicasets", rs("web")), Upsert("pods", p)])
    assert s.deployment_of(p) == s.deployment("default", "web")
    s.apply([Upsert("replicasets", rs("site"))])
    assert s.deployment_of(p) == s.deployment("default", "site")
    s.apply([Delete("deployments", "d-site")])
    assert s.deployment_of(p) is None and s.deployment("default", "site") is None


def test_the_pods_pane_order_holds_through_a_list_and_a_change() -> None:
    """A list arrives sorted (trouble first) and the pane passes over it unsorted; a
    change that moves a pod moves it to its place."""
    from widgets.pods import select_pods

    names = ["d", "a", "c", "b"]
    s = Store()
    s.apply([Replace("pods", tuple(parse_pod(fx.pod(f"p-{n}")) for n in names))])
    assert [p.name for p in select_pods(s)] == ["p-a", "p-b", "p-c", "p-d"]
    assert [p.name for p in select_pods(s, reverse=True)] == ["p-d", "p-c", "p-b", "p-a"]
    s.apply([Upsert("pods", parse_pod(fx.pod("p-c", waiting="CrashLoopBackOff")))])
    assert [p.name for p in select_pods(s)] == ["p-c", "p-a", "p-b", "p-d"]


def test_a_count_too_big_for_a_float_is_zero() -> None:
    """1e999 in JSON reads as infinity: the parser says 0, it does not raise."""
    from tui.store import parse_deployment

    raw = {
        "metadata": {"name": "api", "namespace": "default", "uid": "u"},
        "spec": {"replicas": float("inf")},
        "status": {"readyReplicas": float("-inf")},
    }
    d = parse_deployment(raw)
    assert (d.replicas, d.ready) == (0, 0)


def test_pods_parsed_apart_share_the_values_they_have_in_common() -> None:
    """10,000 pods held 150,000 copies of the same few words (8 of their 21 MB), made
    again at every change: a value many pods have is one string for all of them."""
    docs = [
        json.loads(
            json.dumps(
                fx.pod(f"web-{i}", "shop", labels={"app": "web"}, owner=("ReplicaSet", "web-7d9f"))
            )
        )
        for i in range(2)
    ]
    a, b = (parse_pod(d) for d in docs)
    assert a.name != b.name and a.uid != b.uid
    for field in ("namespace", "node", "phase", "status", "owner_kind", "owner_name"):
        assert getattr(a, field) is getattr(b, field), field
    assert a.labels["app"] is b.labels["app"]
    assert a.containers[0].image is b.containers[0].image
    assert a.containers[0].name is b.containers[0].name


def test_a_changed_pod_keeps_what_did_not_change_from_the_one_held() -> None:
    """A pod's change is mostly a container's state: the new one holds the old one's
    name, labels, resources and unchanged containers (the soak's churn replaced them all
    and left its memory full of holes), and shows exactly what a fresh parse shows."""
    doc = fx.pod("web-1", "shop", labels={"app": "web", "tier": "front"}, containers=2)
    for c in doc["spec"]["containers"]:
        c["resources"] = {"requests": {"cpu": "100m"}, "limits": {"memory": "256Mi"}}
    was = parse_pod(json.loads(json.dumps(doc)))
    changed = json.loads(json.dumps(doc))
    changed["metadata"]["resourceVersion"] = "9999"
    changed["status"]["containerStatuses"][1]["restartCount"] = 3
    new = share(was, parse_pod(changed))
    assert new == parse_pod(json.loads(json.dumps(changed)))
    assert (new.restarts, new.containers[1].restarts, new.resource_version) == (3, 3, "9999")
    for field in ("uid", "name", "labels", "haystack", "order"):
        assert getattr(new, field) is getattr(was, field), field
    assert new.containers[0] is was.containers[0]
    assert new.containers[1] is not was.containers[1]
    assert new.containers[1].requests is was.containers[1].requests
    assert new.containers[1].limits is was.containers[1].limits
    assert share(None, new) is new and share(parse_node(fx.node("n1")), new) is new


def test_an_event_seen_once_holds_one_time_for_its_three() -> None:
    """Created, first and last seen are most often the same second: one float for them,
    not three equal ones (5,000 kept events, 100 new a second); a repeat keeps its own."""
    once = fx.event("once", last_seen=30)
    once["metadata"]["creationTimestamp"] = once["firstTimestamp"] = once["lastTimestamp"]
    ev = parse_event(once)
    assert ev.created == ev.first_seen == ev.last_seen == parse_time(once["lastTimestamp"])
    assert ev.first_seen is ev.created and ev.last_seen is ev.created
    again = fx.event("again", last_seen=30)
    seen = parse_event(again)
    assert seen.first_seen is seen.created
    assert seen.last_seen == parse_time(again["lastTimestamp"]) != seen.created


def test_the_pods_order_and_unhealthy_count_follow_every_change() -> None:
    """Kept as pods change (not sorted again at each key typed in the filter): after
    changes that move pods, namesakes, deletions and a relist, the order is the sort's
    and the count the pods'."""
    import random

    from tui.store.pods import Pod
    from widgets.pods import select_pods

    rnd = random.Random(7)
    names = [(f"ns-{rnd.randrange(4)}", f"p-{i:03d}") for i in range(60)]

    def parsed(ns: str, name: str, bad: bool, uid: str = "") -> Pod:
        obj = fx.pod(name, ns, waiting="CrashLoopBackOff" if bad else None)
        if uid:
            obj["metadata"]["uid"] = uid
        return parse_pod(obj)

    s = Store()
    s.apply([Replace("pods", tuple(parsed(ns, n, rnd.random() < 0.3) for ns, n in names))])

    def check() -> None:
        want, got = sorted(s.pods.values(), key=lambda p: p.order), select_pods(s)
        assert [p.order for p in got] == [p.order for p in want]  # namesakes: either first
        assert {p.uid for p in got} == set(s.pods)
        assert s.pod_counts() == (len(want), sum(1 for p in want if p.attention))

    check()
    for step in range(400):
        ns, name = rnd.choice(names)
        roll = rnd.random()
        if roll < 0.1:
            s.apply([Delete("pods", f"uid-{ns}-{name}")])
        elif roll < 0.15:  # a namesake with another uid, before the old one goes
            s.apply([Upsert("pods", parsed(ns, name, True, uid=f"again-{step}"))])
        else:
            s.apply([Upsert("pods", parsed(ns, name, rnd.random() < 0.5))])
        check()
    assert [p.name for p in select_pods(s, reverse=True)] == [
        p.name for p in reversed(select_pods(s))
    ]
    s.apply([Replace("pods", tuple(parsed(ns, n, False) for ns, n in names[:10]))])
    check()
    assert s.pod_counts() == (10, 0)
