"""The K3s datastore's backups and their restore, on the K3s server host (the runbook's
"Data Recovery"): the same rules as actions/host.py, argv lists of fixed words; the data
directory comes from the config ([backup] k3s_data_dir, an absolute path) and names are
checked against a strict pattern; both reach the shell as arguments ($1, $2), never code.

- `host.datastore-backup`: with embedded etcd, `k3s etcd-snapshot save`; otherwise
  (SQLite through kine) a consistent online copy of server/db/state.db (SQLite's backup
  API) and the server token beside it. Then where it wrote, and how big.
- `host.datastore-backups`: the snapshots, listed (read-only); `host.datastore-prune`
  keeps the newest N.
- `host.datastore-restore`: stop k3s, restore the chosen snapshot (`k3s server
  --cluster-reset --cluster-reset-restore-path`, or the copy put back with the live
  database kept aside), start k3s, then reconcile the Flux source and Kustomizations
  (`flux reconcile source git flux-system --with-source`, `flux reconcile kustomization
  apps`): each step shown as it runs, the audit line holding every command and request.
"""

from __future__ import annotations

import re
import shlex
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target
from actions.flux import annotate, rfc3339_nano
from actions.gitops import Way
from actions.host import HostAction, Step, host_units
from actions.kubernetes import ApiFailure, send

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
KEEP = re.compile(r"^[1-9][0-9]{0,3}$")
DATA_DIR = re.compile(r"^/[A-Za-z0-9._/-]{1,200}$")
PREFIX = "incident-console"
API_BACK = 180.0  # seconds to wait for the API after k3s starts again

# One line each: a spare SSH shell takes its command as one line of input.
SAVE = (
    'set -e; d="$1"; n="$2"; db="$d/server/db"; '
    'if [ -d "$db/etcd" ]; then exec k3s etcd-snapshot save --data-dir "$d" --name "$n"; fi; '
    'out="$db/snapshots"; f="$out/$n.db"; mkdir -p "$out"; umask 077; '
    "if command -v python3 >/dev/null 2>&1; then "
    "python3 -c 'import sqlite3,sys; s=sqlite3.connect(sys.argv[1]); d=sqlite3.connect("
    'sys.argv[2]); s.backup(d); d.execute("PRAGMA journal_mode=DELETE"); d.close()\''
    ' "$db/state.db" "$f"; '
    'else sqlite3 "$db/state.db" ".backup $f"; fi; '
    'cp "$d/server/token" "$f.token"; chmod 600 "$f" "$f.token"; '
    'echo "SQLite datastore copied to $f (the server token beside it: $f.token)"'
)
LIST = (
    'd="$1"; if [ -d "$d/server/db/etcd" ]; then exec k3s etcd-snapshot ls --data-dir "$d"; fi; '
    'ls -l "$d/server/db/snapshots"'
)
PRUNE = (
    'd="$1"; keep="$2"; '
    'if [ -d "$d/server/db/etcd" ]; then exec k3s etcd-snapshot prune --data-dir "$d"'
    f' --name {PREFIX} --snapshot-retention "$keep"; fi; '
    'cd "$d/server/db/snapshots" || exit 1; '
    'ls -1 -- *.db 2>/dev/null | sort -r | tail -n +"$((keep + 1))" | while IFS= read -r f; do '
    'rm -f -- "$f" "$f.token"; echo "removed $f"; done'
)
RESTORE = (
    'set -e; d="$1"; s="$2"; db="$d/server/db"; snap="$db/snapshots/$s"; '
    'test -f "$snap" || { echo "no snapshot $snap" >&2; exit 1; }; '
    'if [ -d "$db/etcd" ]; then exec k3s server --data-dir "$d" --cluster-reset'
    ' --cluster-reset-restore-path="$snap"; fi; '
    'aside="$db/state.db.before-restore-$(date +%Y%m%d%H%M%S)"; '
    'mv "$db/state.db" "$aside"; rm -f "$db/state.db-wal" "$db/state.db-shm"; '
    'cp "$snap" "$db/state.db"; echo "restored $snap; the database it replaced: $aside"; '
    'if [ -f "$snap.token" ] && ! cmp -s "$snap.token" "$d/server/token"; then '
    'echo "the server token differs from the snapshot\'s: $snap.token"; fi'
)


def data_dir(ctx: Context) -> str:
    return str(getattr(ctx.settings, "k3s_data_dir", "") or "/var/lib/rancher/k3s")


class DatastoreAction(HostAction):
    def server_refusal(self, ctx: Context, target: Target) -> str:
        """The datastore lives on a K3s server: say so when this host runs none."""
        if not DATA_DIR.match(data_dir(ctx)):
            return f"[backup] k3s_data_dir {data_dir(ctx)!r} is not a plain absolute path"
        units = host_units(ctx, target.name)
        if units and "k3s" not in units:
            return (
                f"{target.name} runs no k3s server (units: {', '.join(units)}): choose the server"
            )
        return ""

    def script(self, body: str, *args: str) -> tuple[str, ...]:
        return ("sh", "-c", body, "sh", *args)


class DatastoreBackup(DatastoreAction):
    mitigates = False
    id = "host.datastore-backup"
    title = "Back up the K3s datastore"
    guide = "k3s etcd-snapshot save (else a consistent copy of server/db and the token)"
    description = "k3s etcd-snapshot save, or a consistent SQLite copy plus the token"

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        stamp = datetime.fromtimestamp(ctx.clock(), UTC).strftime("%Y%m%d-%H%M%S")
        name = f"{PREFIX}-{stamp}"
        where = f"{data_dir(ctx)}/server/db/snapshots"
        return (
            Step(self.script(SAVE, data_dir(ctx), name), sudo=True, timeout=600),
            Step(("ls", "-l", where), role="info", timeout=30, sudo=True),
        ), self.server_refusal(ctx, target)

    def summary(self, target: Target, params: JSON) -> str:
        return (
            f"Snapshot the datastore on {target.name} (k3s keeps serving); then the snapshot"
            " directory, to see where it went and how big it is."
        )


class DatastoreBackups(DatastoreAction):
    id = "host.datastore-backups"
    title = "List the K3s datastore's backups"
    mutating = False
    guide = "k3s etcd-snapshot ls"
    description = "k3s etcd-snapshot ls, or the SQLite copies (read-only)"

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        step = Step(self.script(LIST, data_dir(ctx)), role="info", timeout=60, sudo=True)
        return (step,), self.server_refusal(ctx, target)


class DatastorePrune(DatastoreAction):
    mitigates = False
    id = "host.datastore-prune"
    title = "Prune the K3s datastore's backups"
    dangerous = True
    params = ("keep",)
    guide = f"k3s etcd-snapshot prune --name {PREFIX} --snapshot-retention N"
    description = "Keep the newest N snapshots, delete the older ones"

    def defaults(self, ctx: Context, target: Target) -> JSON:
        return {"keep": "5"}

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        keep = str(params.get("keep", "")).strip()
        refusal = "" if KEEP.match(keep) else f"keep {keep!r}: a number of snapshots (1-9999)"
        listing = Step(self.script(LIST, data_dir(ctx)), role="info", timeout=60, sudo=True)
        prune = Step(self.script(PRUNE, data_dir(ctx), keep or "0"), sudo=True, timeout=300)
        return (listing, prune, listing), refusal or self.server_refusal(ctx, target)


class DatastoreRestore(DatastoreAction):
    id = "host.datastore-restore"
    title = "Restore the K3s datastore from a snapshot"
    dangerous = True
    params = ("snapshot",)
    guide = "systemctl stop k3s; restore; systemctl start k3s; flux reconcile ..."
    description = "Stop k3s, restore a snapshot, start k3s, reconcile the Flux source and apps"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        snap = shlex.quote(str(params.get("snapshot", "SNAPSHOT")))
        return (
            f"systemctl stop k3s && k3s server --cluster-reset --cluster-reset-restore-path={snap}"
            " && systemctl start k3s && flux reconcile source git flux-system --with-source"
            " && flux reconcile kustomization apps"
        )

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        snap = str(params.get("snapshot", "")).strip()
        refusal = (
            ""
            if NAME.match(snap) and ".." not in snap
            else f"snapshot {snap!r}: a file name from host.datastore-backups"
        )
        return (
            Step(("systemctl", "stop", "k3s"), sudo=True, timeout=300),
            Step(self.script(RESTORE, data_dir(ctx), snap or "-"), sudo=True, timeout=900),
            Step(("systemctl", "start", "k3s"), sudo=True, timeout=300),
            Step(("systemctl", "is-active", "k3s"), role="info", timeout=30),
        ), refusal or self.server_refusal(ctx, target)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        plan = super().plan(ctx, target, params)
        requested = rfc3339_nano(ctx.clock())
        flux = [
            o
            for o in (ctx.store.flux_objects() if ctx.store is not None else [])
            if (o.kind == "GitRepository" and o.name == "flux-system") or o.kind == "Kustomization"
        ]
        flux.sort(key=lambda o: (o.kind != "GitRepository", o.name != "flux-system", o.name))
        requests = tuple(
            Request(
                "PATCH",
                ctx.store.flux_path(o.kind, o.namespace, o.name),
                annotate(requested),
                "application/merge-patch+json",
            )
            for o in flux
        )
        names = ", ".join(f"{o.kind} {o.namespace}/{o.name}" for o in flux) or "none known"
        summary = (
            f"Stop k3s on {target.name} (the API goes away), restore {params.get('snapshot')},"
            f" start k3s; then ask Flux to reconcile, in order: {names}. What changed since"
            " the snapshot is lost; Flux re-applies what Git holds."
        )
        # not plan.requests: no dry run of them (the API is likely down: that is why)
        external = "then, through the API once it is back:\n" + "\n".join(
            r.describe().splitlines()[0] for r in requests
        )
        data = {**plan.data, "flux": requests, "external": external}
        return replace(plan, summary=summary, data=data)

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        outcome = super().run(ctx, plan, emit, stop)
        if not outcome.ok:
            return outcome
        for request in plan.data["flux"]:
            emit(f"$ flux reconcile: PATCH {request.path}")
            if not self.send_when_back(ctx, request, emit, stop):
                return Outcome(False, f"restored, but Flux was not asked: {request.path}")
            emit("✔ accepted by the server")
        return Outcome(True, f"restored {plan.data['params'].get('snapshot')} on"
                             f" {plan.target.name}; Flux asked to reconcile")  # fmt: skip

    @staticmethod
    def send_when_back(ctx: Context, request: Request, emit: Emit, stop: threading.Event) -> bool:
        """The API returns some seconds after k3s starts: retried until it answers."""
        deadline = time.monotonic() + API_BACK
        said = False
        while not stop.is_set():
            try:
                send(ctx, request)
                return True
            except ApiFailure as e:
                if time.monotonic() > deadline:
                    emit(f"✖ {e}")
                    return False
                if not said:
                    emit(f"… the API is not back yet ({e}); trying again")
                    said = True
            stop.wait(2.0)
        return False


ACTIONS: list[Action] = [
    DatastoreBackup(),
    DatastoreBackups(),
    DatastorePrune(),
    DatastoreRestore(),
]


def backup_ways(ctx: Context, plan: Plan) -> list[Way]:
    """ "Back up first", where a change can lose state: a restart of k3s (its datastore)
    and a delete of a Prometheus pod of a StatefulSet (its TSDB)."""
    from actions.monitoring import PrometheusSnapshot

    params = plan.data.get("params") or {}
    if plan.action_id == "host.service-restart" and params.get("unit") == "k3s":
        first = DatastoreBackup().plan(ctx, plan.target, {})
        label = "Back up the datastore first (k3s etcd-snapshot save or the SQLite copy)"
        return [
            Way("backup", f"{label}, then restart", (first, plan), first.refusal),
            Way("anyway", "Restart without a backup", (plan,)),
        ]
    owner = str(plan.data.get("owner", ""))
    if (
        plan.action_id == "pod.delete"
        and owner.startswith("StatefulSet/")
        and plan.target.name.startswith("prometheus-")
    ):
        first = PrometheusSnapshot().plan(ctx, Target("cluster"), {})
        return [
            Way(
                "backup",
                "Snapshot Prometheus's TSDB first, then delete",
                (first, plan),
                first.refusal,
            ),
            Way("anyway", "Delete without a snapshot", (plan,)),
        ]
    return []
