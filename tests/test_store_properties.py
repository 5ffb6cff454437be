"""Malformed objects from a server (missing status, wrong types, nulls, huge strings)
never make the parsers raise: the console keeps working on whatever it gets."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests import fixtures as fx
from tui.store import PARSERS, Store, Upsert
from tui.store.flux import get_all_row, parse_flux
from tui.triage import evaluate
from widgets.events import fold_events
from widgets.findings import Row, detail_text, row_cells
from widgets.flux import flux_detail
from widgets.nodes import node_cells
from widgets.pods import pod_cells, pod_detail, select_pods

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.text(min_size=5000, max_size=6000, alphabet="x[]\x1b\n"),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
KEYS = [
    "metadata",
    "spec",
    "status",
    "containerStatuses",
    "state",
    "lastState",
    "conditions",
    "involvedObject",
    "series",
    "labels",
    "ownerReferences",
    "containers",
    "nodeInfo",
]


@st.composite
def mangled(draw: Any) -> dict[str, Any]:
    """A real-looking object with some fields replaced by anything at all."""
    base = draw(
        st.sampled_from(
            [
                fx.pod("p-1", waiting="CrashLoopBackOff", last_terminated="OOMKilled"),
                fx.node(),
                fx.event("e-1"),
            ]
        )
    )
    for _ in range(draw(st.integers(0, 6))):
        path = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3))
        cur: Any = base
        for key in path[:-1]:
            nxt = cur.get(key) if isinstance(cur, dict) else None
            if not isinstance(nxt, dict):
                break
            cur = nxt
        if isinstance(cur, dict):
            cur[path[-1]] = draw(json_values)
    return base


@settings(max_examples=200, deadline=None)
@given(obj=st.one_of(mangled(), st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6)))
def test_no_parser_raises_and_the_panes_can_show_the_result(obj: dict[str, Any]) -> None:
    store = Store()
    for kind, parse in PARSERS.items():
        item = parse(obj)
        store.apply([Upsert(kind, item)])
    get_all_row(parse_flux(obj))
    for pod in select_pods(store, text="p"):
        pod_cells(pod, store, 0.0)
        pod_detail(pod)
    for node in store.nodes.values():
        node_cells(node, store, 0.0)
    fold_events(list(store.events.values()))
    flux = parse_flux(obj)
    flux_detail(flux, store)
    for finding in evaluate(store, 0.0):  # the rules, and the findings pane's rows
        row = Row(finding.key, finding, 0.0)
        row_cells(row, 0.0)
        detail_text(row)
