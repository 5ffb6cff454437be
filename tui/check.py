"""`incident-console check`: the runbook's rules once, without a screen, for cron.

It lists every kind (as the console does, through the same feeds), waits a bounded
time for each first complete list, samples the hosts once, evaluates the rules and
prints the findings. Exit codes: 0 healthy, 1 warnings, 2 a critical finding, 3 the
cluster could not be evaluated (unreachable, unauthorized, forbidden pods or nodes).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.config import Settings
from tui.record import IncidentStore, cluster_of, seen_of, store_path
from tui.record.recorder import listed
from tui.session import Session
from tui.sources.client import Kube, NoCluster, connect
from tui.sources.host import Host
from tui.store import State
from tui.triage import Finding, Severity, due, evaluate, ordered

EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_UNKNOWN = 0, 1, 2, 3
CORE = ("pods", "nodes")  # without these, no verdict


@dataclass
class Result:
    findings: list[Finding]
    not_evaluated: dict[str, tuple[str, str]] = field(default_factory=dict)  # what: state, why
    context: str = ""
    server: str = ""
    alerts: list[dict[str, Any]] = field(default_factory=list)  # what Alertmanager fires
    observed: list[str] = field(default_factory=list)  # every finding's key, due or not yet

    @property
    def exit_code(self) -> int:
        # A critical finding is a verdict even when the cluster could not be read: the
        # API unreachable is one, and so is a full disk seen with the hosts only.
        if any(f.severity is Severity.CRITICAL for f in self.findings):
            return EXIT_CRITICAL
        if any(k in self.not_evaluated for k in CORE):
            return EXIT_UNKNOWN
        return EXIT_WARNING if self.findings else EXIT_OK

    @property
    def verdict(self) -> str:
        return {0: "healthy", 1: "warning", 2: "critical", 3: "unknown"}[self.exit_code]


def settle(session: Session, timeout: float) -> None:
    """Wait until every feed listed once or failed, and every host sampled or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.drain()
        listed_once = listed(session.list_watches(), session.store.status)
        if session.discovered.is_set() and listed_once and _hosts_settled(session):
            break
        session.buffer.wait(0.1)
    session.drain()


def _hosts_settled(session: Session) -> bool:
    return all(
        v.figures is not None
        or v.status.state in (State.REFUSED, State.UNREACHABLE, State.ERROR, State.ABSENT)
        for v in session.store.hosts.values()
    )


def collect(kube: Kube, settings: Settings, hosts: list[Host], timeout: float) -> Result:
    """The console's own session, run until every feed listed once (or the timeout),
    the pollers asked once and the hosts sampled once."""
    session = Session(settings, kube, hosts=hosts)
    try:
        session.start(poll=False)
        settle(session, timeout)
        feeds = list(session.list_watches())
    finally:
        session.stop()
    store = session.store
    now = time.time()
    # one look, no history: a hold counts only where the object says when it began
    every = evaluate(store, now, settings.gitops_critical_after)
    findings = [f for f in every if f.since is None or due(f, now, now)]
    not_evaluated = {}
    for f in feeds:
        kind = f.spec.name
        status = store.status.get(kind)
        if f.lists == 0:
            state = status.state.value if status else "connecting"
            why = (
                status.message
                if status and status.message
                else f"no complete list within {timeout:g}s"
            )
            not_evaluated[kind] = (state, why)
    if isinstance(kube, NoCluster):
        for kind in CORE:
            not_evaluated[kind] = (State.NO_CLUSTER.value, kube.reason)
    for view in store.hosts.values():
        if view.figures is None:
            not_evaluated[f"host/{view.name}"] = (
                view.status.state.value,
                view.status.message or f"no sample within {timeout:g}s",
            )
    alerts = [
        {
            "name": a.name,
            "severity": a.severity,
            "state": "silenced" if a.silenced_by else ("inhibited" if a.inhibited_by else "firing"),
            "labels": a.label,
            "summary": a.summary,
            "starts_at": a.starts_at,
            "fingerprint": a.fingerprint,
        }
        for a in store.alerts
    ]
    return Result(
        ordered(findings, {}),
        not_evaluated,
        kube.info.context,
        kube.info.server,
        alerts,
        [f.key for f in every],
    )


def as_json(result: Result) -> dict[str, Any]:
    return {
        "status": result.verdict,
        "exit_code": result.exit_code,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "context": result.context,
        "server": result.server,
        "findings": [
            {
                "severity": f.severity.label,
                "rule": f.rule,
                "title": f.title,
                "subject": {
                    "kind": f.subject.kind,
                    "namespace": f.subject.namespace,
                    "name": f.subject.name,
                },
                "evidence": f.evidence,
                "since": f.since,
                "actions": list(f.actions),
                "runbook_section": f.section,
            }
            for f in result.findings
        ],
        "not_evaluated": [
            {"what": what, "state": state, "message": why}
            for what, (state, why) in result.not_evaluated.items()
        ],
        "alerts": result.alerts,
    }


def print_table(result: Result, out: Any = sys.stdout) -> None:
    rows = [
        (f.severity.label, f.title, str(f.subject), f.evidence.replace("\n", " "))
        for f in result.findings
    ]
    if rows:
        widths = [
            max(len(r[i]) for r in [("SEVERITY", "FINDING", "SUBJECT", ""), *rows])
            for i in range(3)
        ]
        head = ("SEVERITY", "FINDING", "SUBJECT")
        out.write("  ".join(f"{h:{w}}" for h, w in zip(head, widths, strict=True)))
        out.write("  EVIDENCE\n")
        for r in rows:
            out.write(f"{r[0]:{widths[0]}}  {r[1]:{widths[1]}}  {r[2]:{widths[2]}}  {r[3]}\n")
    for what, (state, why) in result.not_evaluated.items():
        out.write(f"not evaluated: {what}: {state}" + (f": {why}" if why else "") + "\n")
    critical = sum(1 for f in result.findings if f.severity is Severity.CRITICAL)
    warnings = len(result.findings) - critical
    where = (
        f"context {result.context} · {result.server}"
        if result.context or result.server
        else "no cluster connected"
    )
    out.write(f"{result.verdict}: {critical} critical, {warnings} warning(s) · {where}\n")


def check_command(settings: Settings, json_out: bool, timeout: float) -> int:
    """One evaluation, no screen. Anything that prevents it is exit 3 with one line."""
    import orjson

    from tui.sources.client import KubeConfigError
    from tui.sources.hosts import build_hosts

    try:
        kube = connect(settings)
        hosts = build_hosts(settings)
    except (KubeConfigError, ValueError) as e:
        print(f"incident-console: {e}", file=sys.stderr)
        return EXIT_UNKNOWN
    if isinstance(kube, NoCluster) and not hosts:
        print(f"incident-console: {kube.reason}; and no host to check", file=sys.stderr)
        return EXIT_UNKNOWN
    result = collect(kube, settings, hosts, timeout)
    kube.close()
    record(result, settings)
    try:
        if json_out:
            text = orjson.dumps(as_json(result), option=orjson.OPT_INDENT_2).decode()
            sys.stdout.write(text + "\n")
        else:
            print_table(result)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return result.exit_code


def record(result: Result, settings: Settings) -> None:
    """The look into the incident store, as the console's would be: run from cron, the
    history builds without a screen open. A look that could not read the pods or nodes
    closes nothing. A store that cannot be written is one line; the verdict stands."""
    path = store_path(settings)
    try:
        store = IncidentStore(path)
        try:
            cluster = cluster_of(settings, result.context, result.server)
            observed = set(result.observed)
            if any(k in result.not_evaluated for k in CORE):
                observed |= {f["key"] for f in store.open_findings(cluster)}
            for c in store.sync(
                cluster,
                seen_of(result.findings, {}),
                time.time(),
                observed,
                result.server,
                result.context,
            ):
                print(f"incident-console: incident #{c.incident} {c.what}: {c.title}",
                      file=sys.stderr)  # fmt: skip
        finally:
            store.close()
    except (OSError, sqlite3.Error) as e:
        print(f"incident-console: not recorded: the incident store {path}: {e}", file=sys.stderr)
