"""What the panes put first, fold and say, as pure functions over the store."""

from __future__ import annotations

import time

from tests import fixtures as fx
from tui.store import (
    KindStatus,
    MetricsUpdate,
    State,
    Store,
    Upsert,
    Usage,
    parse_event,
    parse_node,
    parse_pod,
)
from widgets.events import fold_events
from widgets.nodes import node_status
from widgets.pods import pod_cells, select_pods


def store_with(*pods: dict[str, object]) -> Store:
    s = Store()
    s.apply([Upsert("pods", parse_pod(p)) for p in pods])  # type: ignore[arg-type]
    return s


def test_trouble_first_even_among_thousands_of_healthy_pods() -> None:
    healthy = [fx.pod(f"aaa-{i:05d}", namespace="aaa") for i in range(3000)]
    s = store_with(
        *healthy,
        fx.pod("zzz-pending", namespace="zzz", phase="Pending", waiting="ContainerCreating"),
        fx.pod("zzz-crash", namespace="zzz", waiting="CrashLoopBackOff", restarts=9),
        fx.pod("zzz-notready", namespace="zzz", ready=False),
    )
    names = [p.name for p in select_pods(s)[:4]]
    assert names == ["zzz-crash", "zzz-pending", "zzz-notready", "aaa-00000"]


def test_filter_words_and_unhealthy_toggle() -> None:
    s = store_with(
        fx.pod("api-gateway-1", waiting="CrashLoopBackOff"),
        fx.pod("api-gateway-2"),
        fx.pod("coredns-1", namespace="kube-system"),
    )
    assert [p.name for p in select_pods(s, text="gateway crash")] == ["api-gateway-1"]
    assert [p.name for p in select_pods(s, text="KUBE-SYSTEM")] == ["coredns-1"]
    assert [p.name for p in select_pods(s, unhealthy_only=True)] == ["api-gateway-1"]


def test_sort_by_restarts_and_reverse() -> None:
    s = store_with(fx.pod("a", restarts=1), fx.pod("b", restarts=9), fx.pod("c", restarts=4))
    assert [p.name for p in select_pods(s, sort="restarts")] == ["b", "c", "a"]
    assert [p.name for p in select_pods(s, sort="restarts", reverse=True)] == ["a", "c", "b"]


def test_metrics_column_says_why_when_absent() -> None:
    s = store_with(fx.pod("a"))
    pod = next(iter(s.pods.values()))
    s.apply([MetricsUpdate(KindStatus(State.FORBIDDEN, "metrics forbidden"))])
    cells, _ = pod_cells(pod, s, time.time())
    assert cells[6] == "forbidden" and cells[7] == "forbidden"
    s.apply([MetricsUpdate(KindStatus(State.LIVE), {("default", "a"): Usage(250, 300 * 2**20)})])
    cells, _ = pod_cells(pod, s, time.time())
    assert (cells[6], cells[7]) == ("250m", "300Mi")


def test_events_newest_first_and_repeats_folded() -> None:
    evs = [
        parse_event(fx.event("e1", reason="BackOff", count=3, last_seen=50)),
        parse_event(fx.event("e2", reason="BackOff", count=4, last_seen=5)),
        parse_event(
            fx.event("e3", reason="Pulled", etype="Normal", message="pulled", last_seen=20)
        ),
    ]
    folded = fold_events(evs)
    assert [(f.reason, f.count) for f in folded] == [("BackOff", 7), ("Pulled", 1)]
    assert [f.reason for f in fold_events(evs, warnings_only=True)] == ["BackOff"]


def test_node_not_ready_says_for_how_long() -> None:
    now = time.time()
    assert node_status(parse_node(fx.node(ready="False", since=180)), now) == "NotReady 3m"
    assert node_status(parse_node(fx.node(ready="Unknown", since=30)), now) == "Unknown 30s"
    assert node_status(parse_node(fx.node()), now) == "Ready"
