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
TARBALL = "/tmp/prometheus-backup.tar.gz"
TAR = ("tar", "czf", TARBALL, "/prometheus")
DASHBOARDS = "/api/v1/namespaces/monitoring/configmaps"
LABEL = "grafana_dashboard"
SERVER_FIELDS = ("resourceVersion", "uid", "managedFields", "creationTimestamp", "generation")


def backup_dir(ctx: Context) -> Path:
    where = getattr(ctx.settings, "backup_dir", None)
    return Path(where).expanduser() if where else state_dir() / "backups"


def stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y%m%d-%H%M%S")


def prometheus_pod(ctx: Context) -> str:
    """The Prometheus server's pod (a StatefulSet's, in monitoring), or ""."""
    pods = ctx.store.pods.values() if ctx.store is not None else []
    found = sorted(
        p.name for p in pods
        if p.namespace == "monitoring" and p.name.startswith("prometheus-")
        and p.owner_kind == "StatefulSet"
    )  # fmt: skip
    return found[0] if found else ""


class PrometheusSnapshot(Action):
    id = "monitoring.prometheus-snapshot"
    mitigates = False
    title = "Snapshot Prometheus's TSDB"
    target_kind = "cluster"
    description = "The TSDB snapshot API (admin API on), else a tar of /prometheus by exec"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return f"curl -XPOST PROMETHEUS{SNAPSHOT}  ||  " + kubectl(
            context, "exec", "PROMETHEUS-POD", "--", *TAR, namespace="monitoring"
        )

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        ep = endpoint_of(ctx.settings) if ctx.settings is not None else None
        pod = prometheus_pod(ctx)
        refusal = "" if ep or pod else (
            "no Prometheus configured (--prometheus URL or [prometheus] url) and no"
            " prometheus-* pod in monitoring to tar by exec"
        )  # fmt: skip
        lines = [f"POST {str(ep).rstrip('/')}{SNAPSHOT}"] if ep is not None else []
        if pod:
            lines.append(("else, " if lines else "") + f"exec in monitoring/{pod}: {' '.join(TAR)}")
        return self.make_plan(
            ctx, target, params, (),
            "Prometheus writes a snapshot of its TSDB under snapshots/ in its own data"
            " directory (hard links: little space at first); without its admin API, a tar of"
            f" /prometheus in its pod ({TARBALL}). Copy it off the node after.",
            refusal=refusal,
            data={"external": "\n".join(lines), "external_to": "Prometheus", "pod": pod},
        )  # fmt: skip

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        ep = endpoint_of(ctx.settings)
        why = "no Prometheus URL"
        if ep is not None:
            emit(f"→ POST {SNAPSHOT}")
            try:
                answer = am_request(ep, "POST", SNAPSHOT, timeout=300.0) or {}
                name = (answer.get("data") or {}).get("name", "?")
                emit(f"✔ snapshot {name}")
                return Outcome(True, f"snapshot {name} in Prometheus's data directory,"
                                     f" snapshots/{name}")  # fmt: skip
            except AlertmanagerError as e:
                why = str(e)
                if "HTTP 403" in why or "HTTP 404" in why or "disabled" in why:
                    why += (
                        "; the admin API is off: start Prometheus with --web.enable-admin-api"
                        " (kube-prometheus-stack: prometheus.prometheusSpec.enableAdminAPI)"
                    )
                emit(f"✖ {why}")
        if not plan.data.get("pod"):
            return Outcome(False, why)
        return self.tar(ctx, plan.data["pod"], emit, stop)

    @staticmethod
    def tar(ctx: Context, pod: str, emit: Emit, stop: threading.Event) -> Outcome:
        """The runbook's way: a tar of /prometheus in the pod, by exec; where and how big."""
        from tui.sources.podexec import ExecError, exec_command

        emit(f"$ {' '.join(TAR)}   # exec in monitoring/{pod}")
        try:
            r = exec_command(ctx.client, "monitoring", pod, list(TAR), timeout=900, stop=stop)  # type: ignore[arg-type]
            if r.code != 0:
                return Outcome(False, f"tar in {pod}: exit {r.code}: {(r.err or r.out)[:300]}")
            size = exec_command(ctx.client, "monitoring", pod, ["ls", "-l", TARBALL])  # type: ignore[arg-type]
        except ExecError as e:
            return Outcome(False, str(e))
        emit(size.out.strip())
        words = size.out.split()
        big = f", {int(words[4]):,} bytes" if len(words) > 4 and words[4].isdigit() else ""
        return Outcome(True, f"{TARBALL} in monitoring/{pod}{big}; copy it off with kubectl cp")


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
