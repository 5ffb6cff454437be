"""The monitoring stack's backups (the runbook's "Backup procedures"):

- `monitoring.prometheus-snapshot`: Prometheus's TSDB snapshot API (POST
  /api/v1/admin/tsdb/snapshot, on when Prometheus runs with --web.enable-admin-api); the
  snapshot is written in Prometheus's own data directory, under snapshots/NAME. It changes
  Prometheus's disk: confirmed, audited, gone in read-only mode. Without the admin API it
  says so; the runbook's other way (a tar by exec in the pod) needs exec, which the
  console does not do yet.
- `monitoring.grafana-export`: the dashboard ConfigMaps (label grafana_dashboard, as
  kube-prometheus-stack's sidecar reads them) to a local YAML file, ready to apply again
  (server fields left out). ConfigMaps only: Secrets are never read. Read-only.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target, kubectl
from actions.kubernetes import ApiFailure, send
from tui.config import state_dir
from tui.sources.alertmanager import AlertmanagerError, am_request
from tui.sources.prometheus import endpoint_of

SNAPSHOT = "/api/v1/admin/tsdb/snapshot"
DASHBOARDS = "/api/v1/namespaces/monitoring/configmaps"
LABEL = "grafana_dashboard"
SERVER_FIELDS = ("resourceVersion", "uid", "managedFields", "creationTimestamp", "generation")


def backup_dir(ctx: Context) -> Path:
    where = getattr(ctx.settings, "backup_dir", None)
    return Path(where).expanduser() if where else state_dir() / "backups"


def stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y%m%d-%H%M%S")


class PrometheusSnapshot(Action):
    mitigates = False
    id = "monitoring.prometheus-snapshot"
    title = "Snapshot Prometheus's TSDB"
    target_kind = "cluster"
    description = "The TSDB snapshot API (admin API on); written in Prometheus's data dir"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return f"curl -XPOST PROMETHEUS{SNAPSHOT}"

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        ep = endpoint_of(ctx.settings) if ctx.settings is not None else None
        refusal = "" if ep else "no Prometheus configured: --prometheus URL or [prometheus] url"
        where = str(ep) if ep is not None else "(no Prometheus)"
        return self.make_plan(
            ctx,
            target,
            params,
            (),
            "Prometheus writes a snapshot of its TSDB under snapshots/ in its own data"
            " directory (hard links: little space at first); copy it off the node after.",
            refusal=refusal,
            data={"external": f"POST {where.rstrip('/')}{SNAPSHOT}", "external_to": "Prometheus"},
        )

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        ep = endpoint_of(ctx.settings)
        assert ep is not None
        emit(f"→ POST {SNAPSHOT}")
        try:
            answer = am_request(ep, "POST", SNAPSHOT, timeout=300.0) or {}
        except AlertmanagerError as e:
            text = str(e)
            if "HTTP 403" in text or "HTTP 404" in text or "disabled" in text:
                text += (
                    "; the admin API is off: start Prometheus with --web.enable-admin-api"
                    " (kube-prometheus-stack: prometheus.prometheusSpec.enableAdminAPI)"
                )
            emit(f"✖ {text}")
            return Outcome(False, text)
        name = (answer.get("data") or {}).get("name", "?") if isinstance(answer, dict) else "?"
        emit(f"✔ snapshot {name}")
        return Outcome(True, f"snapshot {name} in Prometheus's data directory, snapshots/{name}")


class GrafanaExport(Action):
    id = "monitoring.grafana-export"
    title = "Export Grafana's dashboards"
    target_kind = "cluster"
    mutating = False
    description = "The dashboard ConfigMaps (label grafana_dashboard) to a local YAML file"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(
            context, "get", "configmap", "-l", LABEL, "-o", "yaml", namespace="monitoring"
        )

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        path = (
            backup_dir(ctx)
            / f"grafana-dashboards-{ctx.context or 'cluster'}-{stamp(ctx.clock())}.yaml"
        )
        request = Request("GET", f"{DASHBOARDS}?labelSelector={LABEL}")
        return self.make_plan(
            ctx, target, params, (request,),
            f"Read the dashboard ConfigMaps of monitoring and write them to {path}.",
            data={"path": str(path)},
        )  # fmt: skip

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        try:
            listed = send(ctx, plan.requests[0])
        except ApiFailure as e:
            return Outcome(False, str(e))
        items = [clean(i) for i in (listed or {}).get("items", [])]
        if not items:
            return Outcome(False, f"no ConfigMap labelled {LABEL} in monitoring: nothing written")
        doc = {"apiVersion": "v1", "kind": "List", "items": items}
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        path = Path(plan.data["path"])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
        except OSError as e:
            return Outcome(False, f"cannot write {path}: {e.strerror}")
        for i in items:
            emit(f"✔ {i['metadata']['name']} ({len(i.get('data') or {})} dashboard(s))")
        size = path.stat().st_size
        return Outcome(True, f"{len(items)} ConfigMap(s), {size:,} bytes, in {path}")


def clean(item: dict[str, Any]) -> dict[str, Any]:
    """A ConfigMap as it can be applied again: the server's own fields left out."""
    meta = {k: v for k, v in (item.get("metadata") or {}).items() if k not in SERVER_FIELDS}
    meta.get("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
            **{k: item[k] for k in ("data", "binaryData") if k in item}}  # fmt: skip


ACTIONS: list[Action] = [PrometheusSnapshot(), GrafanaExport()]
