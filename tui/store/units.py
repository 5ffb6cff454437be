"""Quantities, timestamps and ages as kubectl prints them."""

from __future__ import annotations

from datetime import datetime

_BIN = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DEC = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_DEC.update({"P": 1e15, "E": 1e18})


def parse_quantity(value: object) -> float | None:
    """A Kubernetes quantity ("250m", "512Mi", "1.5", "1e3") as a float, None if malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    text = value.strip()
    for suffix, mult in _BIN.items():
        if text.endswith(suffix):
            return _num(text[: -len(suffix)], mult)
    if text[-1] in _DEC and not text[-1].isdigit():
        return _num(text[:-1], _DEC[text[-1]])
    return _num(text, 1.0)


def _num(text: str, mult: float) -> float | None:
    try:
        return float(text) * mult
    except ValueError:
        return None


def parse_time(value: object) -> float | None:
    """RFC 3339 (with or without fraction) to epoch seconds; None if absent or malformed."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration: 45s, 3m12s, 47m, 5h3m, 20h, 3d4h, 120d, 2y30d."""
    s = int(seconds)
    if s < 0:
        s = 0
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if h < 24 * 8:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if h < 24 * 365 * 2:
        return f"{d}d"
    y = d // 365
    if h < 24 * 365 * 8:
        return f"{y}y{d % 365}d" if d % 365 else f"{y}y"
    return f"{y}y"


def age(since: float | None, now: float) -> str:
    return "<unknown>" if since is None else human_duration(now - since)


def fmt_cpu(millicores: float | None) -> str:
    if millicores is None:
        return ""
    if millicores >= 10_000:
        return f"{millicores / 1000:.0f}"
    return f"{millicores:.0f}m"


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return ""
    for unit, mult in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n >= mult:
            return f"{n / mult:.0f}{unit}" if n / mult >= 10 else f"{n / mult:.1f}{unit}"
    return f"{n:.0f}"
