"""The command line's words: every flag and subcommand, and their help."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui import __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="incident-console",
        description="The on-call console for a K3s cluster run by Flux: pods, nodes and "
        "events live from the Kubernetes API on one screen.",
        epilog="Commands: demo-server (run only the demo cluster's API, for kubectl). "
        "KUBECONFIG is honoured as kubectl does.",
    )
    p.add_argument("--version", action="version", version=f"incident-console {__version__}")
    p.add_argument(
        "--kubeconfig",
        metavar="PATH",
        help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else K3s's "
        "/etc/rancher/k3s/k3s.yaml; with none, the console opens with the hosts only)",
    )
    p.add_argument(
        "--context",
        metavar="NAME",
        action="append",
        help="kubeconfig context (default: current-context); again to watch more clusters"
        " (their findings tagged with their context)",
    )
    p.add_argument(
        "-n", "--namespace", metavar="NS", help="show only this namespace (default: all)"
    )
    p.add_argument(
        "--read-only", action="store_true", help="remove every mutation from the console"
    )
    p.add_argument("--demo", action="store_true", help="run on the embedded demo cluster")
    p.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        help="config file (default: $XDG_CONFIG_HOME/incident-console/config.toml)",
    )
    p.add_argument(
        "--audit-log",
        metavar="PATH",
        help="audit log file (default: $XDG_STATE_HOME/incident-console/audit.jsonl)",
    )
    p.add_argument("--demo-attach", metavar="PATH", help=argparse.SUPPRESS)  # serve's viewers
    add_host_arguments(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    act = sub.add_parser("actions", help="list the remediation actions")
    act.add_argument("--json", action="store_true", help="as a JSON list")
    act.add_argument(
        "--read-only",
        dest="actions_read_only",
        action="store_true",
        help="mark the mutations unavailable, as the console in read-only mode does",
    )
    chk = sub.add_parser(
        "check",
        help="evaluate the runbook's alert rules once, without a screen (for cron)",
        description="Exit codes: 0 healthy, 1 warnings, 2 a critical finding, 3 could not "
        "evaluate (unreachable, unauthorized, forbidden, bad kubeconfig).",
    )
    chk.add_argument("--json", action="store_true", help="print the findings as JSON")
    chk.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="check the embedded demo cluster (started for the check, then stopped)",
    )
    chk.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="longest wait for the first lists and samples (default 30)",
    )
    add_console_flags(chk)
    srv = sub.add_parser(
        "serve",
        help="serve the console to browsers, read-only, for an incident call",
        description="Each browser gets its own console, read-only unless --allow-actions. "
        "Binds to 127.0.0.1; every URL needs the token printed at start. To share a "
        "node's console: ssh -L 8000:127.0.0.1:8000 NODE, then open the printed URL. "
        "Cost per viewer, measured by make bench (5 viewers, 10,000 pods changing 100 times "
        "a second, 2 cores): about 134 MB of memory and 20 % of a core each.",
    )
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    srv.add_argument(
        "--allow-actions",
        action="store_true",
        help="let viewers run the mutating actions (default: every viewer is read-only)",
    )
    srv.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding to a non-loopback address (prefer an SSH tunnel)",
    )
    srv.add_argument(
        "--max-viewers",
        type=int,
        default=10,
        metavar="N",
        help="consoles running at once, one per browser tab (default 10)",
    )
    add_console_flags(srv, audit_log=True)
    for flag, text in (
        ("--demo", "serve the demo cluster (one, shared by every viewer)"),
        ("--read-only", "keep viewers read-only even with --allow-actions"),
    ):
        srv.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=text)
    rep = sub.add_parser(
        "report", help="write the incident's timeline as Markdown, from the audit log"
    )
    rep.add_argument(
        "--since",
        metavar="WHEN",
        default="24h",
        help="from when: 90m, 6h, 2d, or a date/time 2026-11-28T14:00 (default 24h)",
    )
    rep.add_argument("--audit-log", dest="report_audit_log", metavar="PATH", help="the audit log")
    rep.add_argument("-o", "--output", metavar="FILE", help="write there (default: stdout)")
    rep.add_argument("--json", action="store_true", help="as JSON (the same record, as data)")
    rep.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="the demo's own record (the demo never writes into the real one)",
    )
    ds = sub.add_parser(
        "demo-server", help="serve the demo cluster's API on 127.0.0.1 until interrupted"
    )
    ds.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    ds.add_argument(
        "--kubeconfig-out", metavar="PATH", type=Path, help="where to write its kubeconfig"
    )
    ds.add_argument(
        "--no-scenario", action="store_true", help="seed only; no controllers, no crash loop"
    )
    ds.add_argument("--workers", type=int, default=0, metavar="N", help="agent nodes to add")
    ds.add_argument(
        "--worker-ip", default="10.0.1.{n}", metavar="TEMPLATE", help="their InternalIPs"
    )
    return p


def add_console_flags(sub: argparse.ArgumentParser, audit_log: bool = False) -> None:
    """The console's flags, accepted after a subcommand too (`check --kubeconfig K`)."""
    paths = [("--kubeconfig", "PATH"), ("--context", "NAME"), ("--namespace", "NS")]
    paths += [("--ssh-key", "PATH"), ("--known-hosts", "PATH"), ("--prometheus", "URL")]
    paths += [("--alertmanager", "URL")]
    if audit_log:
        paths.append(("--audit-log", "PATH"))
    same = "as for the console"
    for flag, metavar in paths:
        sub.add_argument(flag, metavar=metavar, default=argparse.SUPPRESS, help=same)
    sub.add_argument(
        "--ssh", action="append", metavar="TARGET", default=argparse.SUPPRESS, help=same
    )
    for flag in ("--local", "--no-hosts"):
        sub.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=same)


def add_host_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ssh",
        metavar="TARGET",
        action="append",
        default=[],
        help="a node over SSH, [user@]host[:port] or a ~/.ssh/config alias (repeatable)",
    )
    p.add_argument("--ssh-key", metavar="PATH", help="SSH private key (default: agent, ~/.ssh)")
    p.add_argument(
        "--prometheus",
        metavar="URL",
        help="every node's figures from this Prometheus's node-exporter series"
        " (and the API error rate); overrides [prometheus] url",
    )
    p.add_argument(
        "--alertmanager",
        metavar="URL",
        help="what this Alertmanager (API v2) is firing, as findings; overrides [alertmanager] url",
    )
    p.add_argument(
        "--known-hosts",
        metavar="PATH",
        help="known_hosts file for host keys (default: ~/.ssh/known_hosts)",
    )
    p.add_argument(
        "--local",
        action="store_true",
        help="sample this machine too (the default when no SSH host is given)",
    )
    p.add_argument(
        "--no-hosts",
        action="store_true",
        help="sample no host at all: the cluster only (a laptop without SSH to the nodes)",
    )


def apply_host_arguments(settings: object, args: argparse.Namespace) -> None:
    from tui.config import Settings

    assert isinstance(settings, Settings)
    settings.ssh = list(args.ssh)
    settings.local = args.local
    settings.no_hosts = args.no_hosts
    if args.ssh_key:
        settings.ssh_key = args.ssh_key
    if args.known_hosts:
        settings.known_hosts = args.known_hosts
