"""The incident record's actions: `incident.notify` (the summary to the incident channel,
through Apprise; confirmed and audited, gone in read-only mode: it speaks for the team)
and `incident.note` (a line of the operator's own, kept with the open incident)."""

from __future__ import annotations

import threading

from actions.audit import local_user
from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Target
from tui.record import IncidentStore, store_path
from tui.record.notify import Line, channel_names, send, summary

NOTE_MAX = 2000


class IncidentNotify(Action):
    mitigates = False
    id = "incident.notify"
    title = "Notify the incident channel"
    target_kind = "cluster"
    description = "The current summary (open findings, actions taken, who) to [notify] urls"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return "apprise -t TITLE -b BODY URL...  (the guide: post in #incidents)"

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        settings = ctx.settings
        urls = list(getattr(settings, "notify_urls", []) or [])
        findings = [Line(f.severity.label, f.title, str(f.subject)) for f in ctx.findings]
        title, body = summary(
            ctx.cluster or ctx.context,
            findings,
            ctx.incident,
            local_user(),
            ctx.clock(),
            getattr(settings, "status_page", ""),
        )
        names = channel_names(urls)
        channel = getattr(settings, "channel", "") or "the incident channel"
        refusal = "" if urls else "no channel configured: add [notify] urls to the config file"
        external = f"Apprise → channel(s) {', '.join(names) or '-'}\n{title}\n\n{body}"
        return self.make_plan(
            ctx,
            target,
            params,
            (),
            f"Post this summary to {channel}: {len(urls)} channel(s); their URLs are secrets,"
            " named here by their place and scheme.",
            refusal=refusal,
            data={
                "urls": urls,
                "title": title,
                "body": body,
                "external": external,
                "external_to": "Apprise",
            },
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        results = send(plan.data["urls"], plan.data["title"], plan.data["body"])
        for r in results:
            emit(f"{'✔' if r.ok else '✖'} channel {r.channel}" + (f": {r.why}" if r.why else ""))
        failed = [r.channel for r in results if not r.ok]
        if failed:
            return Outcome(False, f"not delivered to channel(s) {', '.join(failed)}")
        return Outcome(True, f"sent to {len(results)} channel(s)")


class IncidentNote(Action):
    id = "incident.note"
    title = "Add a note to the incident"
    target_kind = "cluster"
    mutating = False  # the console's own record, not the cluster
    params = ("note",)
    description = "A line of your own, kept with the open incident in the report"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return "(the incident's notes: incident-console report)"

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        text = " ".join(str(params.get("note", "")).split())[:NOTE_MAX]
        refusal = "" if text else "an empty note: nothing to keep"
        where = f"incident #{ctx.incident.id}" if ctx.incident is not None else "no open incident"
        return self.make_plan(
            ctx, target, params, (), f"Keep this note ({where}): {text}", refusal=refusal,
            data={"note": text},
        )  # fmt: skip

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        store = IncidentStore(store_path(ctx.settings))
        try:
            incident = store.add_note(
                ctx.cluster or ctx.context, ctx.clock(), local_user(), plan.data["note"]
            )
        finally:
            store.close()
        where = f"incident #{incident}" if incident is not None else "the record (no open incident)"
        return Outcome(True, f"noted in {where}")


ACTIONS: list[Action] = [IncidentNotify(), IncidentNote()]
