"""The troubled pods grouped by what an operator acts on (their Deployment, else the
pod), for each pod rule, kept from one pass of the rules to the next.

A large incident has thousands of troubled pods, and a pass of the rules every second
grouped them all again and made a pending finding for each of thousands of groups:
20-40 ms of the screen's thread at 10,000 troubled pods, what most keys typed then
waited behind. Here a pass reads the pods that changed since the last one (the store
notes them: Troubled.news; after a list, the pods that did not change are the same
objects), moves them between groups, and ranks again the groups they left or joined.
Each group keeps only the text that ranks it: the first groups in that order (those
shown, and the few the fold of the rest names) are made into findings at each pass.
What decides a pod's group (the ReplicaSets' owners, the Deployments there are)
changing makes every group again. One PodGroups per store: it takes the store's news.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from tui.store import Store

Key = tuple[str, str, str]  # ("deployment" | "pod", namespace, name)
Group = tuple[int, Key]  # (the rule's bit, the group's key)
Owners = tuple[frozenset[tuple[str, str, str]], frozenset[tuple[str, str]]]


class PodGroups:
    """Kept lean: a large incident's 10,000 troubled pods each in a group of their own held
    11 MB of tuples and dicts here (the soak's RSS +4 MB): a pod seen is itself, its groups
    worked out again when it changes; a group of one pod is that pod's uid."""

    def __init__(self, which: Callable[[Any], int], bits: tuple[int, ...]) -> None:
        self.which, self.bits = which, bits
        self.seen: dict[str, Any] = {}  # uid -> the pod as the last pass saw it
        self.groups: dict[Group, str | dict[str, None]] = {}  # uids, in the order they came
        self.ranks: dict[Group, str] = {}  # each group's rank (findings.rank_text)
        self.owners: Owners | None = None
        self._owners_at: tuple[int, int] = (-1, -1)  # the kinds' versions they were read at

    def update(self, store: Store, rank: Callable[[Group, list[Any]], str]) -> None:
        """The groups as the store's troubled pods are now; `rank(group, its pods)` for
        those that changed."""
        at = (store.versions.get("replicasets", 0), store.versions.get("deployments", 0))
        if at != self._owners_at:
            self._owners_at, owners = at, _owners(store)
            if owners != self.owners:  # a pod may belong to another Deployment now
                self.owners = owners
                self.seen, self.groups, self.ranks = {}, {}, {}
        troubled, seen = store.troubled, self.seen
        changed: set[Group] = set()
        if troubled.whole or not seen:  # after a list: any pod may have changed
            troubled.whole = False
            news: Iterable[str] = troubled.keys() | seen.keys()
        else:
            news = troubled.news
        troubled.news = set()
        memo: dict[Key, Key] = {}
        for uid in news:
            pod, was = troubled.get(uid), seen.get(uid)
            if pod is was:
                continue  # a list's pods, most of them: as they were at the last pass
            now = self._groups_of(pod, store, memo) if pod is not None else ()
            if was is not None:
                for group in self._groups_of(was, store, memo):
                    changed.add(group)
                    if group not in now:
                        self._leave(group, uid)
            if pod is None:
                del seen[uid]
                continue
            seen[uid] = pod
            for group in now:
                self._join(group, uid)
                changed.add(group)
        for group in changed:
            if self.groups.get(group):
                self.ranks[group] = rank(group, self.pods(group, store))
            else:
                self.groups.pop(group, None)
                self.ranks.pop(group, None)

    def first(self, n: int) -> list[Group]:
        """The n first groups in rank order."""
        return [g for g, _ in heapq.nsmallest(n, self.ranks.items(), key=itemgetter(1))]

    def pods(self, group: Group, store: Store) -> list[Any]:
        members = self.groups[group]
        uids = (members,) if isinstance(members, str) else members
        return [store.troubled[u] for u in uids]

    def _groups_of(self, pod: Any, store: Store, memo: dict[Key, Key]) -> tuple[Group, ...]:
        which, key = self.which(pod), _key(pod, store, memo)
        return tuple((bit, key) for bit in self.bits if which & bit)

    def _join(self, group: Group, uid: str) -> None:
        members = self.groups.get(group)
        if members is None or members == uid:
            self.groups[group] = uid
        elif isinstance(members, str):
            self.groups[group] = {members: None, uid: None}
        else:
            members[uid] = None  # where it was if it was there

    def _leave(self, group: Group, uid: str) -> None:
        members = self.groups.get(group)
        if isinstance(members, dict):
            members.pop(uid, None)
            if len(members) == 1:
                self.groups[group] = next(iter(members))
        elif members == uid:
            self.groups[group] = {}  # empty: dropped at the pass's end


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
