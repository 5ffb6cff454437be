"""A custom resource's Table, as the API server makes it from the CRD's
additionalPrinterColumns: the emulator's own JSONPath (the subset printer columns use)
and the server's cell rules (a date as an age)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.demo.units import epoch, human_duration

Obj = dict[str, Any]
Column = tuple[str, str, int]  # name, type, priority


def _path_steps(path: str) -> list[str]:
    """A printer column's JSONPath (`.a.b`, `.a[?(@.type=="Ready")].status`, `\\.` escaped
    dots) as steps."""
    steps, word, i = [], "", 0
    text = path.strip().strip("{}")
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            word += text[i + 1]
            i += 2
            continue
        if ch == ".":
            if word:
                steps.append(word)
            word = ""
        elif ch == "[":
            if word:
                steps.append(word)
            end = text.index("]", i)
            steps.append(text[i : end + 1])
            word, i = "", end
        else:
            word += ch
        i += 1
    if word:
        steps.append(word)
    return steps


def json_path(obj: Any, path: str) -> Any:
    """The value a CRD printer column shows; None where the path finds nothing."""
    value = obj
    for step in _path_steps(path):
        if step.startswith("[?(@."):  # [?(@.type=="Ready")]
            key, _, want = step[5:-2].partition("==")
            want = want.strip("\"'")
            value = next(
                (x for x in value or [] if isinstance(x, dict) and str(x.get(key)) == want), None
            )
        elif step.startswith("["):
            try:
                value = (value or [])[int(step[1:-1])]
            except (ValueError, IndexError, TypeError):
                return None
        elif isinstance(value, dict):
            value = value.get(step)
        else:
            return None
        if value is None:
            return None
    return value


def _cell(kind: str, value: Any, now: float) -> Any:
    """As the API server's CRD table convertor: a date as an age, the rest as it is."""
    if value is None:
        return None
    if kind == "date":
        t = epoch(value)
        return "<invalid>" if t is None else human_duration(now - t)
    if kind == "integer":
        return int(value) if isinstance(value, int | float) else value
    return value if kind in ("number", "boolean") else str(value)


def crd_printer(
    columns: tuple[tuple[str, str, str, int], ...],
) -> tuple[list[Column], Callable[[Obj, float], list[Any]]]:
    """A custom resource's Table: Name, then its CRD's additionalPrinterColumns (Name and
    Age where it declares none)."""
    if not columns:
        columns = (("Age", "date", ".metadata.creationTimestamp", 0),)

    def printer(obj: Obj, now: float) -> list[Any]:
        name = (obj.get("metadata") or {}).get("name", "")
        return [name, *(_cell(t, json_path(obj, p), now) for _, t, p, _ in columns)]

    return [("Name", "string", 0), *((n, t, prio) for n, t, _, prio in columns)], printer
