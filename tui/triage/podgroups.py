"""The troubled pods grouped by what an operator acts on (their Deployment, else the
pod), for each pod rule, kept from one pass of the rules to the next.

A large incident has thousands of troubled pods, and a pass of the rules every second
grouped them all again and made a pending finding for each of thousands of groups:
20-40 ms of the screen's thread at 10,000 troubled pods, what most keys typed then
waited behind. Here a pass reads the pods that changed since the last one (the store
notes them: Troubled.news; after a list, the pods that did not change are the same
objects), moves them between groups, and makes again the pending findings of the groups
they left or joined. What decides a pod's group (the ReplicaSets' owners, the
Deployments there are) changing makes every group again. One PodGroups per store: it
takes the store's news.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tui.store import Store

Key = tuple[str, str, str]  # ("deployment" | "pod", namespace, name)
Group = tuple[int, Key]  # (the rule's bit, the group's key)
Owners = tuple[frozenset[tuple[str, str, str]], frozenset[tuple[str, str]]]


class PodGroups:
    def __init__(self, which: Callable[[Any], int], bits: tuple[int, ...]) -> None:
        self.which, self.bits = which, bits
        self.seen: dict[str, tuple[Any, tuple[Group, ...]]] = {}  # uid -> (pod, its groups)
        self.groups: dict[Group, dict[str, Any]] = {}  # the pods, in the order they came
        self.made: dict[Group, Any] = {}  # each group's pending finding
        self.owners: Owners | None = None
        self._owners_at: tuple[int, int] = (-1, -1)  # the kinds' versions they were read at

    def update(self, store: Store, make: Callable[[Group, list[Any]], Any]) -> list[Any]:
        """Each group's pending finding (`make(group, its pods)` for those that changed)."""
        at = (store.versions.get("replicasets", 0), store.versions.get("deployments", 0))
        if at != self._owners_at:
            self._owners_at, owners = at, _owners(store)
            if owners != self.owners:  # a pod may belong to another Deployment now
                self.owners = owners
                self.seen, self.groups, self.made = {}, {}, {}
        troubled, seen, groups = store.troubled, self.seen, self.groups
        changed: set[Group] = set()
        if troubled.whole or not self.seen:  # after a list: any pod may have changed
            troubled.whole = False
            news: Iterable[str] = troubled.keys() | seen.keys()
        else:
            news = troubled.news
        troubled.news = set()
        memo: dict[Key, Key] = {}
        for uid in news:
            pod = troubled.get(uid)
            hit = seen.get(uid)
            if pod is None:  # healthy again, or gone
                if hit is not None:
                    changed.update(self._leave(uid, ()))
                continue
            if hit is not None and hit[0] is pod:
                continue  # a list's pods, most of them: as they were at the last pass
            which = self.which(pod)
            key = _key(pod, store, memo)
            now = tuple((bit, key) for bit in self.bits if which & bit)
            if hit is not None:
                changed.update(self._leave(uid, now))
            seen[uid] = (pod, now)
            for group in now:
                groups.setdefault(group, {})[uid] = pod  # in place if it was there
                changed.add(group)
        for group in changed:
            pods = groups.get(group)
            if pods:
                self.made[group] = make(group, list(pods.values()))
            else:
                groups.pop(group, None)
                self.made.pop(group, None)
        return list(self.made.values())

    def _leave(self, uid: str, staying: tuple[Group, ...]) -> list[Group]:
        """The groups a pod leaves (all but `staying`), which change with it."""
        _pod, was = self.seen.pop(uid)
        for group in was:
            if group not in staying:
                self.groups.get(group, {}).pop(uid, None)
        return list(was)


def _owners(store: Store) -> Owners:
    """What decides which Deployment a pod belongs to: each ReplicaSet's owner, and
    which Deployments there are (their status changes often; these seldom do)."""
    sets = store.named("replicasets")
    deployments = store.named("deployments")
    return (
        frozenset((ns, name, rs.owner or "") for (ns, name), rs in sets.items()),
        frozenset(deployments),
    )


def _key(pod: Any, store: Store, memo: dict[Key, Key]) -> Key:
    """The pod's Deployment, else the pod itself (a ReplicaSet's pods share theirs)."""
    owner = (pod.namespace, pod.owner_kind, pod.owner_name)
    key = memo.get(owner)
    if key is None:
        dep = store.deployment_of(pod)
        key = ("deployment", pod.namespace, dep.name) if dep else ("", "", "")
        memo[owner] = key
    return key if key[0] else ("pod", pod.namespace, pod.name)
