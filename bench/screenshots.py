"""make screenshots: SVGs of the console on the demo cluster, into screenshots/.

Each shot waits for what it must show (a condition with a deadline), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.shots import OUT, SIZE, palette, shot, until
from bench.shots_hosts import fleet_shot, host_shots, hosts_first_shot, ssh_shots


async def actions_shots(app: Any, pilot: Any, pods: Any) -> None:
    """The palette, the confirmations, describe, the log tails and a rollout's tail."""

    from tui.screens.confirm import ConfirmScreen
    from tui.screens.params import ParamsScreen
    from tui.screens.tail import TailScreen
    from widgets.logview import LogView

    app.action_focus_pane("pods")
    await until(
        pilot, lambda: pods.items[0].status == "CrashLoopBackOff", "a crash-looping pod first"
    )
    pods.cursor = 0
    await pilot.press("ctrl+d")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the delete confirmation")
    await pilot.press(*"api-gateway")
    await pilot.press("enter")
    await pilot.pause(0.3)
    shot(app, "confirm-delete-mistyped")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")

    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), "previous logs")
    await until(pilot, lambda: app.screen.finished, "the previous log read")
    await pilot.pause(0.3)
    shot(app, "logs-previous")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")

    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, ParamsScreen), "the resources form")
    await pilot.press("tab", "ctrl+u", *"1Gi", "tab", "ctrl+u", *"512Mi")
    await pilot.pause(0.3)
    shot(app, "params-set-resources")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
    await pilot.pause(0.3)
    shot(app, "confirm-set-resources")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), "the rollout tail")

    def tail_text() -> str:
        view = app.screen.query_one(LogView)
        return "\n".join(view.text_lines())

    await until(pilot, lambda: "logs of the new pod" in tail_text(), "the rollout done", 90)
    await pilot.pause(2.5)
    shot(app, "rollout-tail")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")

    await until(pilot, lambda: pods.items[0].status == "Running", "api-gateway healthy", 60)
    pods.cursor = next(i for i, p in enumerate(pods.items) if p.name.startswith("api-gateway"))
    await pilot.press("l")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), "the log tail")
    view = app.screen.query_one(LogView)
    await until(pilot, lambda: any("GET" in t for t in view.text_lines()), "a GET line", 30)
    await pilot.press("slash", *"GET")
    await pilot.pause(0.5)
    shot(app, "log-tail-filter")
    await pilot.press("escape", "escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")
    await pilot.pause(1.0)
    shot(app, "dashboard-after-fix")  # with "Kustomization apps suspended by this console"
    await trace_shot(app, pilot, pods)
    await flux_shots(app, pilot)


async def trace_shot(app: Any, pilot: Any, pods: Any) -> None:
    """`t` on api-gateway's pod: the pod -> ReplicaSet -> Deployment -> Kustomization apps
    -> GitRepository chain, and the events of the three."""
    from tui.screens.describe import DescribeScreen

    pods.cursor = next(i for i, p in enumerate(pods.items) if p.name.startswith("api-gateway"))
    await pilot.press("t")
    await until(pilot, lambda: isinstance(app.screen, DescribeScreen), "the trace")
    await pilot.pause(0.5)
    shot(app, "trace")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")


async def flux_shots(app: Any, pilot: Any) -> None:
    """The failing Kustomization first; reconcile with source waits and fails on SOPS."""

    from tui.screens.confirm import ConfirmScreen
    from tui.screens.tail import TailScreen
    from widgets.logview import LogView

    flux = app.query_one("#flux-table")
    await until(pilot, lambda: flux.row_count > 5 and flux.items[0].name == "apps", "Flux listed")
    app.action_focus_pane("flux")
    flux.cursor = 0
    await pilot.pause(0.5)
    shot(app, "flux-pane")

    def tail_text() -> str:
        return "\n".join(app.screen.query_one(LogView).text_lines())

    # apps was suspended before api-gateway's fix (the safe way): the fix is in Git now,
    # so resume it; its resume says what a reconcile reverts
    await palette(app, pilot, "resume", "Flux resume")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the resume confirmation")
    await pilot.pause(0.3)
    shot(app, "flux-confirm-resume")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), "the resume tail")
    await until(pilot, lambda: "decryption failed" in tail_text(), "the resume's wait", 60)
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")

    await palette(app, pilot, "with source", "Flux reconcile with source")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
    await pilot.pause(0.3)
    shot(app, "flux-confirm-reconcile")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), "the reconcile tail")
    await until(pilot, lambda: "failed: decryption failed" in tail_text(), "the SOPS failure", 60)
    await pilot.pause(0.3)
    shot(app, "flux-reconcile-tail")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")

    await palette(app, pilot, "sops", "Flux SOPS check")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), "the SOPS check")
    await until(
        pilot, lambda: "SOPS decryption is broken" in tail_text(), "the check's verdict", 30
    )
    await pilot.pause(0.3)
    shot(app, "flux-sops-check")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")


async def findings_shots(app: Any, pilot: Any) -> None:
    """The findings, and Enter on the OOMKilled one: the palette narrowed to its actions."""
    from textual.command import CommandPalette

    table = app.query_one("#findings-table")
    await until(
        pilot,
        lambda: {"oomkilled", "flux-not-ready"} <= {r.finding.rule for r in table.items},
        "the OOMKilled and SOPS findings",
        60,
    )
    app.action_focus_pane("findings")
    table.cursor = next(i for i, r in enumerate(table.items) if r.finding.rule == "oomkilled")
    await pilot.pause(0.5)
    shot(app, "findings")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the narrowed palette")
    await pilot.pause(0.5)
    shot(app, "finding-actions")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")


async def report_shot(app: Any, pilot: Any) -> None:
    """After the fix: the OOM finding cleared, the report's timeline and time to mitigate."""
    from tui.screens.report import ReportScreen

    await until(
        pilot,
        lambda: any(e.finding.rule == "oomkilled" for e in app.session.tracker.cleared()),
        "the OOMKilled finding to clear",
        90,
    )
    from tui.screens.confirm import ConfirmScreen

    app.flow.start("incident.notify")  # what the channel would get: shown, then cancelled
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the notify confirmation")
    await pilot.pause(0.5)
    shot(app, "confirm-notify")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")
    app.action_report()
    await until(pilot, lambda: isinstance(app.screen, ReportScreen), "the report")
    await pilot.pause(0.8)
    shot(app, "report")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")


def tail_text(app: Any) -> str:
    from widgets.logview import LogView

    return "\n".join(app.screen.query_one(LogView).text_lines())


async def inside_shots(app: Any, pilot: Any) -> None:
    """probe.http by exec on api-gateway (fixed by then: 200), then a port-forward in :pf."""
    from tui.screens.forwards import ForwardsScreen
    from tui.screens.params import ParamsScreen
    from tui.screens.tail import TailScreen

    app.action_focus_pane("pods")
    for action in ("probe.http", "pod.port-forward"):
        app.flow.start(action)
        await until(pilot, lambda: isinstance(app.screen, ParamsScreen), "the form")
        if action == "pod.port-forward":
            app.screen.query_one("Input").value = "0:8080"  # any free local port
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TailScreen), "the tail")
        done = " · HTTP " if action == "probe.http" else "forwarding 127.0.0.1:"
        await until(pilot, lambda done=done: done in tail_text(app), done, 20)
        await pilot.pause(0.5)
        shot(app, "probe-http" if action == "probe.http" else "port-forward")
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")
    app.push_screen(ForwardsScreen(app.flow.forwarder))
    await pilot.pause(1.5)
    shot(app, "port-forwards")
    await pilot.press("escape")


async def main() -> int:
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.demo import clock, start_demo
    from tui.sources.client import Kube
    from tui.sources.local import LocalHost
    from tui.store import State
    from widgets.table import VirtualTable

    clock.RNG.seed(6227)  # stable pod names from one run to the next
    work = Path(tempfile.mkdtemp(prefix="ic-shots-"))
    emulator, demo, kubeconfig = start_demo(kubeconfig=work / "demo-kubeconfig")
    OUT.mkdir(exist_ok=True)
    settings = Settings(
        kubeconfig=str(kubeconfig),
        metrics_interval=2,
        host_interval=1,
        audit_log=str(work / "audit.jsonl"),
        emergency_non_critical=["default/api-enrichment"],
        incident_store=str(work / "incidents.sqlite3"),
        channel="#incidents",
        escalation=["L1 - Self-service: documentation, logs, restarts", "L2 - System admin"],
        notify_urls=[f"json://{emulator.url.split('://')[1]}/demo/incident-channel"],
    )
    app = IncidentApp(
        settings,
        Kube.from_kubeconfig(str(kubeconfig), None),
        note="demo cluster: kubectl --kubeconfig ~/.cache/incident-console/demo-kubeconfig",
        hosts=[LocalHost("vps-6227e9e1")],  # as the demo: this machine is the node's host
    )
    async with app.run_test(size=SIZE) as pilot:
        pods = app.query_one("#pods-table", VirtualTable)
        await until(
            pilot,
            lambda: (
                pods.row_count > 20
                and app.store.metrics_status.state is State.LIVE
                and pods.items[0].status == "CrashLoopBackOff"
                and len(app.store.events) > 5
                and len(app.store.hosts["vps-6227e9e1"].history) >= 20
            ),
            "the crash-looping api-gateway first, metrics live, 20 s of host history",
            60,
        )
        await pilot.pause(0.6)
        shot(app, "dashboard-live")

        await pilot.press("u")
        await until(pilot, lambda: pods.row_count < 10, "the not-healthy filter")
        shot(app, "pods-not-healthy")
        await pilot.press("u", "slash", *"kafka")
        await until(
            pilot,
            lambda: pods.row_count and all("kafka" in p.haystack for p in pods.items),
            "filter",
        )
        shot(app, "pods-filter")
        await pilot.press("escape")

        app.action_focus_pane("events")
        await pilot.press("w")
        await until(
            pilot,
            lambda: "warnings only" in str(app.query_one("#events").border_subtitle),
            "warnings",
        )
        await pilot.pause(0.6)
        shot(app, "events-warnings")
        await pilot.press("w")

        await pilot.press("question_mark")
        await pilot.pause(0.3)
        shot(app, "help")
        await pilot.press("escape")

        await findings_shots(app, pilot)
        await actions_shots(app, pilot, pods)
        await host_shots(app, pilot)
        await report_shot(app, pilot)
        await inside_shots(app, pilot)

        emulator.cluster.fail("events", 403)
        await until(
            pilot, lambda: app.store.status["events"].state is State.FORBIDDEN, "403 on events"
        )
        await pilot.pause(0.6)
        shot(app, "events-forbidden")
        emulator.cluster.fail("events", None)

        emulator.stop()
        await until(
            pilot,
            lambda: (
                app.query_one("#banner").has_class("-shown")
                and any(f.rule == "api-unreachable" for f in app.session.tracker.findings())
            ),
            "unreachable banner and the API-unreachable finding",
        )
        app.action_focus_pane("findings")
        findings = app.query_one("#findings-table", VirtualTable)
        findings.cursor = 0  # critical first: the API-unreachable finding
        await pilot.pause(0.3)
        shot(app, "api-unreachable")
        app.session.stop()
    demo.stop()
    emulator, demo, kubeconfig = start_demo(kubeconfig=work / "demo-kubeconfig-2")
    await ssh_shots(kubeconfig, work)
    emulator.stop()
    demo.stop()
    await hosts_first_shot(work)
    await fleet_shot(work)
    return 0


def scene_shots() -> None:
    """The scenes the snapshot tests compare (tests/scenes.py), written here as they are:
    the same SVGs a reviewer sees in a snapshot diff."""
    from textual._doc import take_svg_screenshot

    from tests.scenes import SCENES, scene_app, still_demo

    names = {"confirm": "confirm-restart", "tail": "log-tail", "kind": "kind-kafkatopics"}
    for scene, run_before in SCENES.items():
        work = Path(tempfile.mkdtemp(prefix="ic-scene-"))
        with still_demo(work) as kubeconfig:
            app = scene_app(kubeconfig, work)
            svg = take_svg_screenshot(app=app, terminal_size=SIZE, run_before=run_before)
        path = OUT / f"{names.get(scene, scene)}.svg"
        path.write_text(svg)
        print(f"  {path.relative_to(OUT.parent)} (scene)")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    print("writing screenshots:")
    scene_shots()
    sys.exit(asyncio.run(main()))
