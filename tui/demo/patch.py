"""Merge patch (RFC 7386) and strategic merge patch for the fields the console patches."""

from __future__ import annotations

import copy
from typing import Any

# Lists that strategic merge merges by a key instead of replacing.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "conditions": "type",
    "imagePullSecrets": "name",
}


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strategic_merge_patch(target: Any, patch: Any, key: str | None = None) -> Any:
    if isinstance(patch, list) and key in MERGE_KEYS and isinstance(target, list):
        mk = MERGE_KEYS[key]
        out = [copy.deepcopy(x) for x in target]
        for item in patch:
            if not isinstance(item, dict) or mk not in item:
                out.append(copy.deepcopy(item))
                continue
            if item.get("$patch") == "delete":
                out = [x for x in out if not (isinstance(x, dict) and x.get(mk) == item[mk])]
                continue
            for i, x in enumerate(out):
                if isinstance(x, dict) and x.get(mk) == item[mk]:
                    out[i] = strategic_merge_patch(x, item)
                    break
            else:
                out.append(copy.deepcopy(item))
        return out
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = strategic_merge_patch(merged.get(k), v, k)
    return merged
