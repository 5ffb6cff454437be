"""Label and field selectors as the API server parses them (the subset kubectl uses)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Matcher = Callable[[dict[str, Any]], bool]

_SET_RE = re.compile(r"^\s*(!?)([\w./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")


class SelectorError(ValueError):
    pass


def _split(selector: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def _requirement(term: str) -> tuple[str, str, frozenset[str]]:
    """One term of a label selector as (key, operator, values)."""
    for op in ("!=", "==", "="):
        if op in term:
            k, v = (x.strip() for x in term.split(op, 1))
            return k, "!=" if op == "!=" else "=", frozenset({v})
    m = _SET_RE.match(term)
    if not m:
        raise SelectorError(f"unable to parse requirement: {term!r}")
    neg, key, op, values = m.groups()
    if op:
        return key, op, frozenset(x.strip() for x in values.split(",") if x.strip())
    return key, "!exists" if neg else "exists", frozenset()


def _holds(labels: dict[str, str], key: str, op: str, values: frozenset[str]) -> bool:
    if op == "exists":
        return key in labels
    if op == "!exists":
        return key not in labels
    if op in ("=", "in"):
        return labels.get(key) in values
    return labels.get(key) not in values  # "!=" and "notin"


def label_matcher(selector: str) -> Matcher:
    reqs = [_requirement(t.strip()) for t in _split(selector or "") if t.strip()]

    def match(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(_holds(labels, k, op, vs) for k, op, vs in reqs)

    return match


def _field(obj: dict[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def field_matcher(selector: str) -> Matcher:
    tests: list[tuple[str, str, bool]] = []
    for term in _split(selector or ""):
        term = term.strip()
        if not term:
            continue
        for op in ("!=", "==", "="):
            if op in term:
                k, v = (x.strip() for x in term.split(op, 1))
                tests.append((k, v, op == "!="))
                break
        else:
            raise SelectorError(f"invalid field selector: {term!r}")

    def match(obj: dict[str, Any]) -> bool:
        return all((_field(obj, k) != v) if neg else (_field(obj, k) == v) for k, v, neg in tests)

    return match
