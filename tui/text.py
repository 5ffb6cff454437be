"""Text from the cluster, logs and hosts is data: make it inert before display.

No Textual here; Rich's markup escaping is used by the callers that build markup.
"""

from __future__ import annotations

import re

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte escapes,
# and the 8-bit C1 forms of CSI/OSC.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]          # CSI
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?   # OSC, terminated by BEL or ST (or cut)
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?  # DCS, SOS, PM, APC
    | \x1b[@-Z\\-_]                  # other Fe escapes
    | \x9b[0-?]*[ -/]*[@-~]          # 8-bit CSI
    | \x9d[^\x07\x9c]*(?:\x07|\x9c)? # 8-bit OSC
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

MAX_FIELD = 4096


def strip_controls(text: str, *, keep_newlines: bool = False, limit: int = MAX_FIELD) -> str:
    """Remove terminal escape sequences and control characters.

    Tabs become a space; newlines become a space unless ``keep_newlines``.
    Text longer than ``limit`` characters is cut with an ellipsis.
    """
    if len(text) <= limit and text.isprintable():
        # Nothing to do, found at C speed: escapes, controls, tabs and newlines are all
        # unprintable. Most of a list's strings (29 a pod) take this path.
        return text
    if len(text) > limit * 4:
        text = text[: limit * 4]
    text = _ESCAPES.sub("", text)
    text = text.replace("\t", " ").replace("\r\n", "\n")
    if keep_newlines:
        text = "\n".join(_CONTROLS.sub("", line) for line in text.split("\n"))
    else:
        text = _CONTROLS.sub("", text.replace("\n", " "))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def clean(value: object, limit: int = MAX_FIELD) -> str:
    """Any value from the cluster as one line of inert text."""
    if type(value) is str and len(value) <= limit and value.isprintable():
        return value
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return strip_controls(value, limit=limit)
