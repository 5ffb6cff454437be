"""One registry feeds the key bindings, the palette, the help and `actions --json`.

Each family adds its actions as one module: import it in `MODULES` below.
"""

from __future__ import annotations

import importlib

from actions.base import Action

MODULES = (
    "actions.pods",
    "actions.deployments",
    "actions.emergency",
    "actions.kubernetes",
    "actions.flux",
    "actions.host",
    "actions.hostcare",
    "actions.resources",
    "actions.gitops",
    "actions.alerts",
    "actions.record",
    "actions.backup",
    "actions.monitoring",
    "actions.probeset",
    "actions.forward",
)

_REGISTRY: dict[str, Action] = {}


def _load() -> dict[str, Action]:
    if not _REGISTRY:
        for name in MODULES:
            for action in importlib.import_module(name).ACTIONS:
                if action.id in _REGISTRY:
                    raise ValueError(f"action id {action.id} registered twice")
                _REGISTRY[action.id] = action
    return _REGISTRY


def offered(action_id: str, read_only: bool) -> bool:
    """The one place that says what read-only mode removes: every mutation. An id that
    is no action (a pane's key) is always offered."""
    action = _load().get(action_id)
    return action is None or not (read_only and action.mutating)


def all_actions(read_only: bool = False) -> list[Action]:
    """Every action; in read-only mode only those that change nothing."""
    return [a for a in _load().values() if offered(a.id, read_only)]


def get(action_id: str) -> Action:
    return _load()[action_id]


def find(action_id: str) -> Action | None:
    """The action, or None for an id no action has (a way's step: flux.disable-reconcile)."""
    return _load().get(action_id)


def print_actions(as_json: bool, read_only: bool) -> int:
    """The registry, as a table or JSON; in read-only mode mutations are unavailable."""
    import sys

    import orjson

    rows = []
    for action in all_actions():
        row = action.describe()
        row["available"] = not (read_only and action.mutating)
        rows.append(row)
    if as_json:
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    width = max(len(r["id"]) for r in rows)
    print(f"{'ID':{width}}  {'KEY':6}  {'TARGET':10}  D  TITLE")
    for r in rows:
        mark = "D" if r["dangerous"] else " "
        title = r["title"] + ("" if r["available"] else "  (unavailable: read-only)")
        print(f"{r['id']:{width}}  {r['key']:6}  {r['target']:10}  {mark}  {title}")
        print(f"{'':{width}}  {'':6}  {'':10}     $ {r['equivalent']}")
    return 0
