"""The emulator's own arithmetic, written from Kubernetes' sources, not from the client's.

The console parses quantities, times and versions in `tui.store.units` and
`tui.sources.flux`; if the emulator borrowed those functions, a bug in them would be
made on both sides of every integration test and no test could see it. So the server
side has its own, written after apimachinery's `resource.Quantity`, `duration.
HumanDuration` and `version.CompareKubeAwareVersionStrings`.
"""

from __future__ import annotations

import re
from datetime import datetime

_QUANTITY = re.compile(
    r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$"
)
_FACTOR = {
    None: 1.0,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}
_KUBE_VERSION = re.compile(r"^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$")


def quantity(value: object) -> float:
    """A resource quantity as a number ("250m" -> 0.25, "1Gi" -> 1073741824); 0 if not one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    m = _QUANTITY.match(value.strip()) if isinstance(value, str) else None
    if m is None:
        return 0.0
    try:
        return float(m.group(1)) * _FACTOR[m.group(2)]
    except ValueError:
        return 0.0


def version_order(version: str) -> tuple[int, int, int, str]:
    """Sort key, highest first when reversed: GA, then beta, then alpha; within each the
    larger major then the larger minor; versions that are not Kubernetes-like last, by
    name (as the API server orders a group's versions)."""
    m = _KUBE_VERSION.match(version)
    if m is None:
        return (-1, 0, 0, "".join(chr(0x10FFFF - ord(c)) for c in version))
    stage = {None: 3, "beta": 2, "alpha": 1}[m.group(2)]
    return (stage, int(m.group(1)), int(m.group(3) or 0), "")


def epoch(value: object) -> float | None:
    """An RFC 3339 timestamp as seconds since the epoch."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration, as the server's printers use it."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"
