"""`kubectl describe pod`, the parts an operator reads at 3 a.m., from raw API JSON. Pure."""

from __future__ import annotations

import time
from typing import Any

import yaml

from tui.store import parse_event
from tui.store.units import human_duration, parse_time
from tui.text import clean


def _ago(value: Any, now: float) -> str:
    t = parse_time(value)
    return f"{value} ({human_duration(now - t)} ago)" if t is not None else "-"


def _state(state: dict[str, Any], now: float) -> list[str]:
    if not isinstance(state, dict) or not state:
        return ["-"]
    kind, detail = next(iter(state.items()))
    if not isinstance(detail, dict):
        return [clean(kind)]
    out = [clean(kind.capitalize())]
    for key in ("reason", "message", "exitCode", "signal"):
        if key in detail:
            out.append(f"  {key}: {clean(detail[key], 1024)}")
    for key in ("startedAt", "finishedAt"):
        if key in detail:
            out.append(f"  {key}: {_ago(detail[key], now)}")
    return out


def describe_pod(
    pod: dict[str, Any], events: list[dict[str, Any]], now: float | None = None
) -> list[str]:
    now = time.time() if now is None else now
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    lines = [
        f"Name:         {clean(meta.get('name'))}",
        f"Namespace:    {clean(meta.get('namespace'))}",
        f"Node:         {clean(spec.get('nodeName')) or '<none>'}",
        f"Start Time:   {_ago(status.get('startTime'), now)}",
        f"Status:       {clean(status.get('phase'))}"
        + (f" ({clean(status.get('reason'))})" if status.get("reason") else ""),
        f"IP:           {clean(status.get('podIP')) or '<none>'}",
    ]
    owners = [
        f"{clean(o.get('kind'))}/{clean(o.get('name'))}" for o in meta.get("ownerReferences") or []
    ]
    lines.append(f"Controlled By: {', '.join(owners) or '<none>'}")
    labels = meta.get("labels") or {}
    lines.append(
        "Labels:       "
        + (", ".join(f"{clean(k)}={clean(v)}" for k, v in labels.items()) or "<none>")
    )
    lines.append("")
    lines.append("Conditions:")
    for c in status.get("conditions") or []:
        extra = f" ({clean(c.get('reason'))})" if c.get("reason") else ""
        lines.append(f"  {clean(c.get('type')):18} {clean(c.get('status'))}{extra}")
    statuses = {
        s.get("name"): s for s in status.get("containerStatuses") or [] if isinstance(s, dict)
    }
    lines.append("")
    lines.append("Containers:")
    for c in spec.get("containers") or []:
        name = c.get("name")
        cs = statuses.get(name) or {}
        lines.append(f"  {clean(name)}:")
        lines.append(f"    Image:          {clean(c.get('image'))}")
        state = _state(cs.get("state") or {}, now)
        lines.append(f"    State:          {state[0]}")
        lines.extend(f"                  {x}" for x in state[1:])
        last = cs.get("lastState") or {}
        if last:
            previous = _state(last, now)
            lines.append(f"    Last State:     {previous[0]}")
            lines.extend(f"                  {x}" for x in previous[1:])
        lines.append(f"    Ready:          {cs.get('ready', False)}")
        lines.append(f"    Restart Count:  {cs.get('restartCount', 0)}")
        res = c.get("resources") or {}
        for kind in ("limits", "requests"):
            values = res.get(kind) or {}
            text = ", ".join(f"{clean(k)}={clean(v)}" for k, v in values.items()) or "<none>"
            lines.append(f"    {kind.capitalize() + ':':15} {text}")
    return lines + event_lines(events, now)


def event_lines(events: list[dict[str, Any]], now: float) -> list[str]:
    """The Events block of `kubectl describe`, oldest first."""
    lines = ["", "Events:"]
    parsed = sorted((parse_event(e) for e in events), key=lambda e: e.last_seen or 0.0)
    if not parsed:
        lines.append("  <none>")
    for e in parsed:
        seen = human_duration(now - e.last_seen) if e.last_seen else "?"
        count = f" (x{e.count})" if e.count > 1 else ""
        lines.append(f"  {e.type:8} {e.reason:18} {seen:>7} ago{count}  {e.message}")
    return lines


def yaml_lines(obj: dict[str, Any]) -> list[str]:
    """`kubectl get -o yaml` of an object already redacted (Secret values, managedFields):
    every line inert; apiVersion, kind, metadata first, as kubectl prints them."""
    first = ("apiVersion", "kind", "metadata", "spec", "status")
    ordered = {k: obj[k] for k in first if k in obj} | {
        k: v for k, v in obj.items() if k not in first
    }
    text = yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False, width=140)
    return [clean(line, 4096) for line in text.splitlines()]


def describe_object(
    obj: dict[str, Any], events: list[dict[str, Any]], now: float | None = None
) -> list[str]:
    """Any kind, as `kubectl describe` opens: who it is, its conditions (status, reason,
    message, since), its spec and status (YAML), and its events."""
    now = time.time() if now is None else now
    meta = obj.get("metadata") or {}
    lines = [
        f"Name:         {clean(meta.get('name'))}",
        f"Namespace:    {clean(meta.get('namespace') or '<cluster>')}",
        f"Kind:         {clean(obj.get('kind'))} ({clean(obj.get('apiVersion'))})",
        f"Created:      {_ago(meta.get('creationTimestamp'), now)}",
        "Labels:       "
        + (
            ", ".join(f"{clean(k)}={clean(v)}" for k, v in (meta.get("labels") or {}).items())
            or "<none>"
        ),
    ]
    conditions = (obj.get("status") or {}).get("conditions") or []
    if conditions:
        lines += ["", "Conditions:", "  TYPE                 STATUS   REASON                SINCE"]
        for c in conditions:
            if not isinstance(c, dict):
                continue
            since = parse_time(c.get("lastTransitionTime"))
            ago = human_duration(now - since) if since is not None else "-"
            lines.append(
                f"  {clean(c.get('type'), 20):20} {clean(c.get('status'), 8):8} "
                f"{clean(c.get('reason'), 21):21} {ago}"
            )
            if c.get("message"):
                lines.append(f"    {clean(c.get('message'), 2048)}")
    for part in ("spec", "data", "status"):
        if obj.get(part):
            lines += ["", f"{part.capitalize()}:"]
            lines += ["  " + line for line in yaml_lines(obj[part])]
    return lines + event_lines(events, now)
