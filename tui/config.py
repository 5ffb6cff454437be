"""Typed settings from $XDG_CONFIG_HOME/incident-console/config.toml; CLI flags override them.

The config never holds secrets: kubeconfig and ~/.ssh already hold those.

    # Kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)
    kubeconfig = "/etc/rancher/k3s/k3s.yaml"
    # Context to use (default: the kubeconfig's current-context)
    context = "default"
    # Show only this namespace (default: all namespaces)
    namespace = "default"
    # Remove every mutation from the console
    read_only = false
    # Seconds between metrics.k8s.io polls (kubectl top)
    metrics_interval = 15
    # Items per page when listing (limit/continue)
    page_size = 250
    # Where every mutation is recorded (default: $XDG_STATE_HOME/incident-console/audit.jsonl)
    audit_log = "/var/log/incident-console/audit.jsonl"
    # Deployments emergency.scale-down stops ("namespace/name"), as emergency-scale-down.sh
    emergency_non_critical = ["default/api-enrichment"]

    # Seconds between two samples of each host's metrics (locally and over SSH)
    host_interval = 2
    # SSH: the private key to use (default: the agent and ~/.ssh's keys, as ssh does)
    ssh_key = "~/.ssh/id_ed25519"
    # SSH: the known_hosts file host keys are checked against (default: ~/.ssh/known_hosts)
    known_hosts = "~/.ssh/known_hosts"

    # Prometheus (optional; none by default): every node's figures from its node-exporter
    # series, and the API error rate finding. --prometheus URL overrides it.
    prometheus_url = "http://prometheus.monitoring:9090"
    # The query giving the fraction of failed requests (default: Traefik's 5xx over 5 min)
    prometheus_query = 'sum(rate(traefik_service_requests_total{code=~"5.."}[5m])) / ...'
    # (or as a table: [prometheus] url = "...", query = "...", and its credentials:
    # username = "...", password = "..." or bearer_token = "...", sent, never shown)

    [hosts]  # node name = SSH target ([user@]host[:port] or a ~/.ssh/config alias), or "local"
    "vps-6227e9e1" = "root@203.0.113.10"
    # every other node of the cluster: {address} is its InternalIP (else its hostname),
    # {name} its name; an entry above wins
    default = "root@{address}"

    [health]  # polled every 15 s (a timeout of 5 s): a failing one is a finding; with a
    # Prometheus URL, its /-/healthy too
    urls = ["http://api-gateway.default:8080/health"]

    [alertmanager]  # what is firing, as findings; alert.silence / alert.expire-silence
    url = "http://alertmanager.monitoring:9093"   # --alertmanager URL overrides it
    # username = "..." and password = "...", or bearer_token = "...": sent, never shown

    [gitops]  # a Kustomization suspended (or an object excluded from Flux) by the console
    # is a warning finding until given back to Flux, critical after this many minutes
    critical_after = 30

    # The incident store (SQLite), one history per cluster; check records into it too
    incident_store = "/var/lib/incident-console/incidents.sqlite3"
    [record]
    slo = 99.9            # availability objective (%): the report's error budget

    [notify]  # incident.notify: the summary to these Apprise URLs (secrets: never shown)
    urls = ["slack://T000/B000/XXXX", "ntfys://ntfy.example.com/incidents"]
    channel = "#incidents"
    status_page = "https://status.example.com"
    escalation = ["L1 self-service: docs, logs, restarts", "L2 admin: admin@example.com"]

    [probes]  # probe.tcp's targets besides the Services (outside the cluster)
    targets = ["database-host:5432"]

    [backup]
    k3s_data_dir = "/var/lib/rancher/k3s"        # on the K3s server host
    dir = "~/incident-console-backups"           # local: Grafana exports, Prometheus snapshots

    [keys]   # binding id = "keys" (comma-separated), see the help screen (?) for ids
    "pods.unhealthy" = "u"
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

HOST_PORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}:[0-9]{1,5}$")  # never an option


class ConfigError(Exception):
    pass


@dataclass
class Settings:
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    read_only: bool = False
    metrics_interval: float = 15.0
    # 250, not kubectl's 500: a page's JSON is parsed holding the GIL (orjson: 7-9 ms for
    # 500 pods), and the screen waits that long; the list takes no longer (10,000: 0.78 s)
    page_size: int = 250
    keys: dict[str, str] = field(default_factory=dict)
    audit_log: str | None = None
    emergency_non_critical: list[str] = field(default_factory=list)
    host_interval: float = 2.0
    ssh_key: str | None = None
    known_hosts: str | None = None
    hosts: dict[str, str] = field(default_factory=dict)
    prometheus_url: str | None = None
    prometheus_query: str | None = None
    # [prometheus] username/password (basic auth) or bearer_token: sent as a header, never
    # shown; user:password@ in the URL works too and is stripped from every message
    prometheus_username: str | None = None
    prometheus_password: str | None = None
    prometheus_bearer_token: str | None = None
    health_urls: list[str] = field(default_factory=list)  # [health] urls, polled
    # [alertmanager] url (API v2), and its credentials the same way
    alertmanager_url: str | None = None
    alertmanager_username: str | None = None
    alertmanager_password: str | None = None
    alertmanager_bearer_token: str | None = None
    hosts_default: str | None = None  # [hosts] default: every node's SSH target
    gitops_critical_after: float = 1800.0  # [gitops] critical_after (minutes), in seconds
    # the incident store (default: $XDG_STATE_HOME/incident-console/incidents.sqlite3)
    incident_store: str | None = None
    slo: float = 99.9  # [record] slo: the availability objective, percent
    notify_urls: list[str] = field(default_factory=list)  # [notify] urls (Apprise): secrets
    escalation: list[str] = field(default_factory=list)  # [notify] escalation, in order
    status_page: str = ""  # [notify] status_page
    channel: str = ""  # [notify] channel: its name, said to people ("#incidents")
    # [backup]: where K3s keeps its data and where local exports go
    k3s_data_dir: str = "/var/lib/rancher/k3s"
    backup_dir: str | None = None  # local: $XDG_STATE_HOME/incident-console/backups
    probe_targets: list[str] = field(default_factory=list)  # [probes] targets: host:port
    # from the command line only
    demo: bool = False
    ssh: list[str] = field(default_factory=list)
    local: bool = False
    no_hosts: bool = False
    demo_attach: str | None = None  # serve --demo's viewers: the demo cluster's kubeconfig
    contexts: list[str] = field(default_factory=list)  # more clusters watched (--context again)


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "incident-console"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "incident-console"


def demo_audit_path() -> Path:
    """The demo's own record: the demo never writes into a real cluster's."""
    return state_dir() / "demo" / "audit.jsonl"


TYPES: dict[str, tuple[type, ...]] = {
    "kubeconfig": (str,),
    "context": (str,),
    "namespace": (str,),
    "read_only": (bool,),
    "metrics_interval": (int, float),
    "page_size": (int,),
    "keys": (dict,),
    "audit_log": (str,),
    "emergency_non_critical": (list,),
    "host_interval": (int, float),
    "ssh_key": (str,),
    "known_hosts": (str,),
    "hosts": (dict,),
    "prometheus_url": (str,),
    "prometheus_query": (str,),
    "prometheus_username": (str,),
    "prometheus_password": (str,),
    "prometheus_bearer_token": (str,),
    "alertmanager_url": (str,),
    "alertmanager_username": (str,),
    "alertmanager_password": (str,),
    "alertmanager_bearer_token": (str,),
    "incident_store": (str,),
}


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file if there is one; raise ConfigError naming the file and key."""
    path = path or config_dir() / "config.toml"
    settings = Settings()
    if not path.exists():
        return settings
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"config file {path} cannot be read: {e}") from None
    cli_only = {
        "demo",
        "ssh",
        "local",
        "no_hosts",
        "demo_attach",
        "contexts",
        "hosts_default",
        "gitops_critical_after",
        "health_urls",
        "slo",
        "notify_urls",
        "escalation",
        "status_page",
        "channel",
        "k3s_data_dir",
        "backup_dir",
        "probe_targets",
    }
    known = {f.name for f in fields(Settings)} - cli_only
    table = data.pop("prometheus", None)
    if table is not None:
        keys = {"url", "query", "username", "password", "bearer_token"}
        if not isinstance(table, dict) or set(table) - keys:
            raise ConfigError(
                f"config file {path}: [prometheus] takes url, query, username, password, "
                "bearer_token"
            )
        data.update({f"prometheus_{k}": v for k, v in table.items()})
    health = data.pop("health", None)
    if health is not None:
        urls = health.get("urls") if isinstance(health, dict) else None
        if set(health) != {"urls"} or not isinstance(urls, list):
            raise ConfigError(f'config file {path}: [health] takes urls = ["http://...", ...]')
        if not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls):
            raise ConfigError(f"config file {path}: every [health] url starts with http(s)://")
        settings.health_urls = list(urls)
    alerts = data.pop("alertmanager", None)
    if alerts is not None:
        keys = {"url", "username", "password", "bearer_token"}
        if not isinstance(alerts, dict) or set(alerts) - keys:
            raise ConfigError(
                f"config file {path}: [alertmanager] takes url, username, password, bearer_token"
            )
        data.update({f"alertmanager_{k}": v for k, v in alerts.items()})
    gitops = data.pop("gitops", None)
    if gitops is not None:
        after = gitops.get("critical_after") if isinstance(gitops, dict) else None
        if set(gitops) != {"critical_after"} or not isinstance(after, int | float) or after <= 0:
            raise ConfigError(
                f"config file {path}: [gitops] takes critical_after, in minutes (above 0)"
            )
        settings.gitops_critical_after = float(after) * 60
    read_tables(path, data, settings)
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
        if isinstance(value, bool) and bool not in TYPES[key]:
            raise ConfigError(f"config file {path}: {key} has the wrong type")
        if not isinstance(value, TYPES[key]):
            raise ConfigError(f"config file {path}: {key} has the wrong type")
        if isinstance(value, dict) and not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"config file {path}: every [{key}] value must be a string")
        if isinstance(value, list) and not all(isinstance(v, str) and "/" in v for v in value):
            raise ConfigError(f'config file {path}: {key} takes "namespace/name" strings')
        if key in ("metrics_interval", "host_interval") and isinstance(value, int | float):
            if value <= 0:
                raise ConfigError(f"config file {path}: {key} must be above 0")
            value = float(value)
        setattr(settings, key, value)
    default = settings.hosts.pop("default", None)
    if default is not None:
        try:
            default.format(address="a", name="n")
        except (KeyError, IndexError, ValueError):
            raise ConfigError(
                f"config file {path}: [hosts] default takes {{address}} and {{name}} only"
            ) from None
        settings.hosts_default = default
    return settings


def read_tables(path: Path, data: dict[str, Any], settings: Settings) -> None:
    """[record], [notify] and [backup]: each key checked, one line naming what to fix."""
    record = data.pop("record", None)
    if record is not None:
        slo = record.get("slo") if isinstance(record, dict) else None
        if set(record) != {"slo"} or not isinstance(slo, int | float) or not 0 < slo < 100:
            raise ConfigError(f"config file {path}: [record] takes slo, a percentage (99.9)")
        settings.slo = float(slo)
    notify = data.pop("notify", None)
    if notify is not None:
        keys = {"urls", "channel", "status_page", "escalation"}
        if not isinstance(notify, dict) or set(notify) - keys:
            raise ConfigError(
                f"config file {path}: [notify] takes urls, channel, status_page, escalation"
            )
        for key in ("urls", "escalation"):
            value = notify.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f'config file {path}: [notify] {key} = ["...", ...]')
        for key in ("channel", "status_page"):
            if not isinstance(notify.get(key, ""), str):
                raise ConfigError(f"config file {path}: [notify] {key} is a string")
        settings.notify_urls = list(notify.get("urls", []))
        settings.escalation = list(notify.get("escalation", []))
        settings.channel = str(notify.get("channel", ""))
        settings.status_page = str(notify.get("status_page", ""))
    probes = data.pop("probes", None)
    if probes is not None:
        targets = probes.get("targets") if isinstance(probes, dict) else None
        if (
            set(probes) != {"targets"}
            or not isinstance(targets, list)
            or not all(isinstance(t, str) and HOST_PORT.match(t) for t in targets)
        ):
            raise ConfigError(f'config file {path}: [probes] takes targets = ["host:port", ...]')
        settings.probe_targets = list(targets)
    backup = data.pop("backup", None)
    if backup is not None:
        if (
            not isinstance(backup, dict)
            or set(backup) - {"k3s_data_dir", "dir"}
            or not all(isinstance(v, str) and v for v in backup.values())
        ):
            raise ConfigError(f"config file {path}: [backup] takes k3s_data_dir and dir, paths")
        if not str(backup.get("k3s_data_dir", "/")).startswith("/"):
            raise ConfigError(f"config file {path}: [backup] k3s_data_dir is an absolute path")
        settings.k3s_data_dir = backup.get("k3s_data_dir", settings.k3s_data_dir)
        settings.backup_dir = backup.get("dir")
