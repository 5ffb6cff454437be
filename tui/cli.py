"""`incident-console`: the command line. Bad input gets one line naming the fix, exit 2."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from tui.args import apply_host_arguments, build_parser
from tui.config import ConfigError, demo_audit_path, load_settings

EXIT_USAGE = 2
DEMO_NODE = "vps-6227e9e1"  # the demo's node: this machine, live, is its host


def fail(message: str) -> int:
    print(f"incident-console: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    try:
        return run_command(argv)
    except BrokenPipeError:
        # the reader went away (`actions | head -1`): it had all it wanted; stdout is
        # pointed at /dev/null so the interpreter's last flush does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def run_command(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as e:
        return fail(str(e))
    if args.command == "demo-server":
        return demo_server(args)
    if args.command == "report":
        from tui.record import store_path
        from tui.record.report import Contacts
        from tui.report import report_command

        path = args.report_audit_log or args.audit_log or settings.audit_log
        if args.demo and not (args.report_audit_log or args.audit_log):
            path = str(demo_audit_path())
        settings.demo = args.demo
        contacts = Contacts(settings.channel, settings.status_page, settings.escalation)
        store = store_path(settings)
        return report_command(
            path, args.since, args.output, args.json, store, settings.slo, contacts
        )
    if args.command == "actions":
        from actions.registry import print_actions

        return print_actions(
            args.json, args.read_only or args.actions_read_only or settings.read_only
        )
    if args.audit_log:
        settings.audit_log = args.audit_log
    for name in ("kubeconfig", "namespace", "prometheus", "alertmanager"):
        if getattr(args, name, None) is not None:
            where = f"{name}_url" if name in ("prometheus", "alertmanager") else name
            setattr(settings, where, getattr(args, name))
    contexts = args.context if isinstance(args.context, list) else [args.context]
    contexts = [c for c in contexts if c]
    if contexts:
        settings.context, settings.contexts = contexts[0], list(dict.fromkeys(contexts[1:]))
    settings.read_only = settings.read_only or args.read_only
    settings.demo = args.demo
    apply_host_arguments(settings, args)
    if args.demo and (args.kubeconfig or args.context):
        return fail("--demo runs on its own cluster: drop --kubeconfig/--context, or drop --demo")
    if args.command == "serve":
        from tui.serve import serve_command

        if not args.demo:
            return serve_command(args, settings)
        from tui.demo import start_demo

        return serve_command(args, settings, start_demo)
    settings.demo_attach = args.demo_attach
    if args.command == "check":
        from tui.check import check_command

        if settings.demo_attach:  # the demo cluster `demo-server` serves: its own record
            settings.kubeconfig, settings.context = settings.demo_attach, "demo"
        if not args.demo:
            return check_command(settings, args.json, args.timeout)
        import tempfile

        from tui.demo import start_demo

        with tempfile.TemporaryDirectory(prefix="incident-console-check-") as tmp:
            emulator, demo, path = start_demo(kubeconfig=Path(tmp) / "kubeconfig")
            settings.kubeconfig, settings.context = str(path), "demo"
            settings.alertmanager_url = settings.alertmanager_url or emulator.url
            try:
                return check_command(settings, args.json, args.timeout)
            finally:
                demo.stop()
                emulator.stop()
    return run_console(settings)


def run_console(settings: object) -> int:
    from tui.config import Settings
    from tui.sources.client import KubeConfigError, NoCluster

    assert isinstance(settings, Settings)
    note = ""
    demo = None
    if settings.demo:
        from tui.demo import start_demo

        emulator, demo, path = start_demo()
        settings.kubeconfig, settings.context = str(path), "demo"
        if not settings.emergency_non_critical:
            settings.emergency_non_critical = [
                "default/api-enrichment",
                "monitoring/kube-prometheus-stack-grafana",
            ]
        note = f"demo cluster: kubectl --kubeconfig {path}"
        if not settings.audit_log:  # the demo's record is its own, never the real one
            settings.audit_log = str(demo_audit_path())
        settings.alertmanager_url = settings.alertmanager_url or emulator.url  # its own
        demo_contacts(settings, emulator.url)
        print(f"incident-console: demo cluster API on {emulator.url}", file=sys.stderr)
        print(f"incident-console: kubectl --kubeconfig {path} get pods -A", file=sys.stderr)
    if settings.demo_attach:  # a viewer of `serve --demo`: the demo cluster serve runs
        settings.kubeconfig, settings.context = settings.demo_attach, "demo"
        note = "demo cluster"
    from tui.sources.client import connect

    try:
        kube = connect(settings)
    except KubeConfigError as e:
        return fail(str(e))
    from tui.sources.hosts import build_hosts

    demo_like = settings.demo or bool(settings.demo_attach)
    try:
        hosts = build_hosts(settings, local_name=DEMO_NODE if demo_like else "")
    except ValueError as e:
        return fail(str(e))
    if isinstance(kube, NoCluster):
        if not hosts:
            return fail(f"{kube.reason}; and no host to show: drop --no-hosts, or pass --ssh")
        print(f"incident-console: {kube.reason}", file=sys.stderr)
        print("incident-console: opening with the hosts only", file=sys.stderr)
    from tui.app import IncidentApp

    try:
        app = IncidentApp(settings, kube, note=note, hosts=hosts)
    except KubeConfigError as e:  # a context named again that the kubeconfig lacks
        return fail(str(e))
    code = app.run()
    if not app.flow.records.recorder.drain(10.0):  # the record's last lines, bounded
        print("incident-console: the record's last writes did not finish", file=sys.stderr)
    kube.close()
    if demo is not None:
        print(
            f"incident-console: the demo cluster stopped; its kubeconfig was {settings.kubeconfig}",
            file=sys.stderr,
        )
    return code or 0


DEMO_ESCALATION = [
    "L1 - Self-service: documentation, logs, restarts",
    "L2 - System admin: [contact-admin]",
    "L3 - Provider support: Nova Clouds support",
    "L4 - Critical outage: full escalation",
]


def demo_contacts(settings: object, url: str) -> None:
    """The runbook's channel and escalation matrix; the demo's channel a webhook of its own."""
    from tui.config import Settings

    assert isinstance(settings, Settings)
    settings.channel = settings.channel or "#incidents"
    settings.escalation = settings.escalation or list(DEMO_ESCALATION)
    host = url.split("://", 1)[1]
    settings.notify_urls = [f"json://{host}/demo/incident-channel"]
    settings.probe_targets = settings.probe_targets or ["database-host:5432"]  # the guide's


def demo_server(args: argparse.Namespace) -> int:
    from tui.demo import start_demo

    try:
        emulator, _demo, path = start_demo(
            port=args.port,
            kubeconfig=args.kubeconfig_out,
            scenario=not args.no_scenario,
            workers=args.workers,
            worker_ip=args.worker_ip,
        )
    except OSError as e:
        return fail(f"cannot serve on 127.0.0.1:{args.port}: {e.strerror}: choose another --port")
    print(f"demo cluster API on {emulator.url}", flush=True)
    print(f"kubeconfig: {path}", flush=True)
    print(f"try: kubectl --kubeconfig {path} get pods -A", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    os._exit(main())
