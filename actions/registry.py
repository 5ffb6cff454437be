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


def all_actions(read_only: bool = False) -> list[Action]:
    """Every action; in read-only mode only those that change nothing."""
    return [a for a in _load().values() if not (read_only and a.mutating)]


def get(action_id: str) -> Action:
    return _load()[action_id]
