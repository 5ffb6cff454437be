"""Waiting for a Flux reconcile as the flux CLI does: poll every 2 s until
status.lastHandledReconcileAt is the value requested and the object is Current and Ready,
with the controller's log lines for the object shown meanwhile."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from actions.base import Context, Emit, Outcome, Request, Target
from actions.kubernetes import ApiFailure, send
from tui.store.flux import FluxObject, controller_of, parse_flux

POLL = 2.0  # seconds between two looks, as the flux CLI
TIMEOUT = 300.0  # its default --timeout


def current(o: FluxObject) -> tuple[bool, str]:
    """kstatus 'Current' as the flux CLI waits for it, and why not."""
    if o.observed_generation and o.generation and o.observed_generation != o.generation:
        return False, f"observedGeneration {o.observed_generation} != generation {o.generation}"
    if o.reconciling:
        return False, "Reconciling"
    if o.stalled:
        return False, "Stalled"
    return True, ""


def controller_lines(raw: list[tuple[bytes | str, str]], target: Target) -> list[str]:
    """The controller's JSON log lines about one object, as short readable lines."""
    import orjson

    out = []
    for line, kind in raw:
        if kind:
            continue
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        payload = text.partition(" ")[2]  # after the timestamp the kubelet adds
        try:
            entry = orjson.loads(payload)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(entry, dict):
            continue
        if entry.get("name") != target.name or entry.get("namespace") != target.namespace:
            continue
        error = f": {entry['error']}" if entry.get("error") else ""
        level, msg = entry.get("level", "?"), entry.get("msg", "")
        out.append(f"  {controller_of(target.kind)} [{level}] {msg}{error}")
    return out


@contextlib.contextmanager
def controller_logs(ctx: Context, target: Target) -> Iterator[Any]:
    """The manager container of the object's controller, followed into a LineBuffer for
    as long as the block runs: the stream's thread is this block's, stopped and joined
    when it ends."""
    from tui.sources.client import Kube
    from tui.sources.logs import LineBuffer, LogRequest, PodLogStream

    buffer = LineBuffer()
    client = ctx.client
    names: list[str] = []
    if isinstance(client, Kube):
        try:
            pods = client.json(
                "GET",
                "/api/v1/namespaces/flux-system/pods",
                query={"labelSelector": f"app={controller_of(target.kind)}"},
            )
            names = [p["metadata"]["name"] for p in pods.get("items") or [] if p.get("metadata")]
        except Exception:
            names = []  # no controller logs is no reason to fail the reconcile
    if not names or not isinstance(client, Kube):
        yield buffer
        return
    stream = PodLogStream(
        client, LogRequest("flux-system", names[0], "manager", tail_lines=0), buffer
    )
    thread = threading.Thread(target=stream.run, name="flux-controller-log")
    thread.start()
    try:
        yield buffer
    finally:
        stream.stop()
        thread.join(5)


def wait_reconciled(
    ctx: Context,
    target: Target,
    requested: str,
    emit: Emit,
    stop: threading.Event,
    timeout: float = TIMEOUT,
    poll: float = POLL,
    logs: Any = None,
) -> Outcome:
    """Poll until handled, Current and Ready, saying the conditions as they change and
    the controller's lines about the object (from `logs`, a LineBuffer) as they come."""

    def controller_said() -> None:
        if logs is not None:
            for line in controller_lines(logs.drain()[0], target):
                emit(line)

    start = time.monotonic()
    last = ""
    while not stop.is_set():
        controller_said()
        try:
            o = parse_flux(send(ctx, Request("GET", target.path)))
        except ApiFailure as e:
            emit(f"✖ {e}")
            return Outcome(False, str(e))
        handled = o.last_handled == requested
        ok, why = current(o)
        conds = " ".join(f"{c.type}={c.status}" for c in o.conditions)
        state = f"handled={'yes' if handled else 'no'}  {conds}  {why}"
        if state != last:  # the wait, said when the conditions change
            emit(f"{time.monotonic() - start:5.1f}s  {state}")
            last = state
        if handled and ok:
            stop.wait(0.5)  # the controller logs as it reports: give its lines a moment
            controller_said()
            if o.ready == "True":
                msg = f"{target.kind} {target.namespace}/{target.name} reconciled: {o.message}"
                emit(f"✔ {msg}")
                return Outcome(True, msg)
            if o.ready == "False":
                emit(f"✖ {o.message}")
                return Outcome(False, o.message)
        if time.monotonic() - start > timeout:
            reason = why or o.message
            msg = (
                f"timed out after {timeout:.0f}s waiting for {target.kind} {target.name}: {reason}"
            )
            emit(f"✖ {msg}")
            return Outcome(False, msg)
        stop.wait(poll)
    return Outcome(False, "stopped waiting (the request was made)")
