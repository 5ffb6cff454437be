"""Alertmanager's silences, from an alert's finding: `alert.silence` (matchers from the
alert's labels, a duration and a comment, createdBy the operator) and
`alert.expire-silence` (the silences that mute it). They change Alertmanager, not the
cluster: confirmed and audited like any mutation (the silence's id in the outcome), gone
in read-only mode. Alertmanager has no dry run: the confirmation shows the exact request."""

from __future__ import annotations

import shlex
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson

from actions.audit import local_user
from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Target
from actions.provenance import parse_go_duration
from tui.sources.alertmanager import AlertmanagerError, am_request
from tui.store.alerts import Alert

LONGEST = 7 * 86400.0  # a silence longer than a week is a forgotten one


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def alert_of(ctx: Context, target: Target) -> Alert | None:
    alerts = getattr(ctx.store, "alerts", ()) if ctx.store is not None else ()
    return next((a for a in alerts if a.fingerprint == target.path), None)


class AlertAction(Action):
    target_kind = "alert"

    def external(self, ctx: Context, method: str, path: str, body: Any = None) -> str:
        where = str(ctx.alertmanager) if ctx.alertmanager is not None else "(no Alertmanager)"
        text = f"{method} {where.rstrip('/')}{path}"
        if body is not None:
            text += "\n" + orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
        return text

    def send(self, ctx: Context, plan: Plan, emit: Emit) -> list[Any]:
        answers = []
        for method, path, body in plan.data["calls"]:
            emit(f"→ {method} {path}")
            answers.append(am_request(ctx.alertmanager, method, path, body))
            emit("✔ accepted by Alertmanager")
        return answers


class Silence(AlertAction):
    mitigates = False
    id = "alert.silence"
    title = "Silence the alert (Alertmanager)"
    description = "A silence matching the alert's labels, for a duration, with a comment"
    params = ("duration", "comment")

    def defaults(self, ctx: Context, target: Target) -> JSON:
        return {"duration": "2h", "comment": ""}

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        words = ["amtool", "silence", "add", "LABEL=VALUE..."]
        words += [f"--duration={params.get('duration', 'DURATION')}"]
        return shlex.join([*words, f"--comment={params.get('comment', 'COMMENT')}"])

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        alert, now = alert_of(ctx, target), ctx.clock()
        duration = str(params.get("duration", "")).strip()
        seconds = parse_go_duration(duration)
        comment = " ".join(str(params.get("comment", "")).split())[:500]
        refusal = ""
        if ctx.alertmanager is None:
            refusal = "no Alertmanager configured: --alertmanager URL or [alertmanager] url"
        elif alert is None:
            refusal = f"{target.name} is no longer in Alertmanager"
        elif seconds is None or seconds > LONGEST:
            refusal = f"duration {duration!r}: a Go duration up to 168h (2h, 30m, 1h30m)"
        elif not comment:
            refusal = "a comment is needed: say why (Alertmanager keeps it with the silence)"
        labels = alert.labels if alert is not None else ()
        body = {
            "matchers": [
                {"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in labels
            ],
            "startsAt": iso(now),
            "endsAt": iso(now + (seconds or 0)),
            "createdBy": local_user(),
            "comment": comment,
        }
        path = "/api/v2/silences"
        name = alert.name if alert is not None else target.name
        plan = self.make_plan(
            ctx,
            target,
            params,
            (),
            f"Alertmanager stops notifying {name} ({target.name}) for {duration} (until"
            f" {iso(now + (seconds or 0))}); the alert stays listed here, dimmed.",
            refusal=refusal,
            data={
                "calls": [("POST", path, body)],
                "external": self.external(ctx, "POST", path, body),
            },
        )
        words = ["amtool", "silence", "add", *(f"{k}={v}" for k, v in labels)]
        words += [f"--duration={duration}", f"--comment={comment}"]
        return replace(plan, equivalent=shlex.join(words))

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        try:
            (answer,) = self.send(ctx, plan, emit)
        except AlertmanagerError as e:
            emit(f"✖ {e}")
            return Outcome(False, str(e))
        silence = (answer or {}).get("silenceID", "?")
        return Outcome(True, f"silence {silence} until {plan.data['calls'][0][2]['endsAt']}")


class ExpireSilence(AlertAction):
    mitigates = False
    id = "alert.expire-silence"
    title = "Expire the alert's silence (Alertmanager)"
    description = "End the silences that mute the alert now: it notifies again"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return "amtool silence expire SILENCE-ID"

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        alert = alert_of(ctx, target)
        ids = alert.silenced_by if alert is not None else ()
        refusal = "" if ids else f"{target.name} is not silenced"
        if ctx.alertmanager is None:
            refusal = "no Alertmanager configured: --alertmanager URL or [alertmanager] url"
        calls = [("DELETE", f"/api/v2/silence/{i}", None) for i in ids]
        text = "\n".join(self.external(ctx, m, p) for m, p, _ in calls)
        plan: Plan = Plan(
            self.id,
            self.title,
            target,
            ctx.context,
            (),
            shlex.join(["amtool", "silence", "expire", *ids]),
            f"The silence(s) {', '.join(ids) or '-'} end now: {target.name} notifies again.",
            refusal=refusal,
            data={"calls": calls, "external": text},
        )
        return plan

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        try:
            self.send(ctx, plan, emit)
        except AlertmanagerError as e:
            emit(f"✖ {e}")
            return Outcome(False, str(e))
        return Outcome(True, f"expired {len(plan.data['calls'])} silence(s)")


ACTIONS: list[Action] = [Silence(), ExpireSilence()]
