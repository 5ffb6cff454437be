"""The pod rules' groups kept from pass to pass (tui.triage.podgroups): after any run of
changes they give the findings a pass from nothing gives."""

from __future__ import annotations

import random
import time
from typing import Any

from tests import fixtures as fx
from tui.store import Delete, Replace, Store, Upsert, parse_deployment, parse_replicaset
from tui.store.pods import parse_pod
from tui.triage import evaluate, folded
from tui.triage.findings import Pending
from tui.triage.workloads import CRASH, OOM, PULL, _group_pending, _which, pod_rules

NOW = time.time()
NAMESPACES = ("default", "shop")


def dep(ns: str, name: str) -> Any:
    return parse_deployment({"metadata": {"name": name, "namespace": ns, "uid": f"d-{ns}-{name}"}})


def rs(ns: str, name: str, owner: str) -> Any:
    meta = {"name": name, "namespace": ns, "uid": f"rs-{ns}-{name}"}
    meta["ownerReferences"] = [{"kind": "Deployment", "name": owner, "controller": True}]
    return parse_replicaset({"metadata": meta})


def pod(rng: random.Random, ns: str, i: int) -> Any:
    trouble = rng.choice(["", "", "CrashLoopBackOff", "ImagePullBackOff", "oom"])
    obj = fx.pod(
        f"p-{i}",
        ns,
        restarts=rng.choice([0, 2, 4, 9]),
        waiting=trouble if trouble and trouble != "oom" else None,
        last_terminated="OOMKilled" if trouble == "oom" or rng.random() < 0.2 else None,
        owner=("ReplicaSet", rng.choice(["web-1", "api-1", "gone-1"])) if i % 5 else None,
    )
    obj["metadata"]["uid"] = f"{ns}-{i}"
    return parse_pod(obj)


def shown(findings: list[Any]) -> list[tuple[str, str, str, str]]:
    return sorted((f.key, f.title, f.severity.label, f.evidence) for f in findings)


def from_nothing(s: Store) -> list[Pending]:
    """Every troubled pod grouped by its Deployment (else itself), for each pod rule."""
    groups: dict[Any, list[Any]] = {}
    for p in s.troubled.values():
        d = s.deployment_of(p)
        key = ("deployment", p.namespace, d.name) if d else ("pod", p.namespace, p.name)
        for bit in (CRASH, OOM, PULL):
            if _which(p) & bit:
                groups.setdefault((bit, key), []).append(p)
    return [_group_pending(s, g, pods) for g, pods in groups.items()]


def test_kept_groups_give_what_groups_made_from_nothing_give() -> None:
    rng = random.Random(27)
    s = Store()
    s.apply([Upsert("deployments", dep(ns, n)) for ns in NAMESPACES for n in ("web", "api")])
    s.apply(
        [Upsert("replicasets", rs(ns, f"{n}-1", n)) for ns in NAMESPACES for n in ("web", "api")]
    )
    s.apply([Replace("pods", tuple(pod(rng, ns, i) for ns in NAMESPACES for i in range(40)))])
    for step in range(300):
        roll = rng.random()
        ns, i = rng.choice(NAMESPACES), rng.randrange(50)
        if roll < 0.75:
            s.apply([Upsert("pods", pod(rng, ns, i))])
        elif roll < 0.85:
            s.apply([Delete("pods", f"{ns}-{i}")])
        elif roll < 0.9:  # a relist: most pods the same objects
            kept = {u: p for u, p in s.pods.items() if rng.random() < 0.9}
            s.apply([Replace("pods", (*kept.values(), pod(rng, ns, i)))])
        elif roll < 0.95:  # a ReplicaSet now owned by the other Deployment
            s.apply([Upsert("replicasets", rs(ns, "web-1", rng.choice(["web", "api"])))])
        else:  # a Deployment gone, or back
            gone = f"d-{ns}-api" in s.deployments
            s.apply(
                [
                    Delete("deployments", f"d-{ns}-api")
                    if gone
                    else Upsert("deployments", dep(ns, "api"))
                ]
            )
        kept = evaluate(s, NOW)  # the store's kept groups read its news: then a new one
        fresh = from_nothing(s)
        for most in (4, 50):  # folded, and not: the kept groups' ranks pick the same first
            got = folded(pod_rules(s, NOW), most)
            assert shown(got) == shown(folded(fresh, most)), (step, most)
    assert any(f.rule == "pod-crashloop" for f in kept)
