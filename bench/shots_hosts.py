"""Screenshots of the hosts: this machine's pane and its actions, nodes over SSH, a refused
key, and the console opened with the hosts only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.shots import SIZE, palette, shot, until


async def host_shots(app: Any, pilot: Any) -> None:
    """This machine as the demo node's host: a check's tail, a mutation's confirmation."""

    from tui.screens.confirm import ConfirmScreen
    from tui.screens.params import ParamsScreen
    from tui.screens.tail import TailScreen
    from widgets.logview import LogView

    await palette(app, pilot, "disk report", "Disk report of the host")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), "the disk report")
    await until(
        pilot,
        lambda: (
            "host.disk-report on vps-6227e9e1: done"
            in "\n".join(app.screen.query_one(LogView).text_lines())
        ),
        "the report's end",
        60,
    )
    await pilot.pause(0.3)
    shot(app, "host-disk-report-tail")
    await pilot.press("escape")
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")

    await palette(app, pilot, "vacuum", "Vacuum the host")
    await until(pilot, lambda: isinstance(app.screen, ParamsScreen), "the retention")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
    await pilot.pause(0.3)
    shot(app, "host-confirm-journal-vacuum")
    await pilot.press("escape")  # cancelled: nothing runs
    await until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")


async def ssh_shots(kubeconfig: Path, work: Path) -> None:
    """Two nodes over a real sshd: one live (a k3s node), one whose key is not known."""
    from tests.sshd import Sshd
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.sources.client import Kube
    from tui.sources.ssh import SshHost, parse_target
    from tui.store import State

    good, bad = Sshd(work / "sshd-good", units=("k3s", "containerd")), Sshd(work / "sshd-bad")
    good.start()
    bad.start()
    stranger = work / "known_hosts_without_it"
    stranger.write_text("")
    hosts = [
        SshHost(
            parse_target(good.target),
            name="vps-6227e9e1",
            key=str(good.client_key),
            known_hosts=str(good.known_hosts),
        ),
        SshHost(
            parse_target(bad.target),
            name="vps-2",
            key=str(bad.client_key),
            known_hosts=str(stranger),
        ),
    ]
    settings = Settings(
        kubeconfig=str(kubeconfig),
        metrics_interval=2,
        host_interval=1,
        audit_log=str(work / "audit.jsonl"),
        emergency_non_critical=["default/api-enrichment"],
    )
    app = IncidentApp(settings, Kube.from_kubeconfig(str(kubeconfig), None), hosts=hosts)
    async with app.run_test(size=SIZE) as pilot:
        views = app.store.hosts
        await until(
            pilot,
            lambda: (
                len(views["vps-6227e9e1"].history) >= 15
                and views["vps-2"].status.state is State.REFUSED
            ),
            "a live SSH host and a refused one",
            60,
        )
        await pilot.pause(1.1)
        shot(app, "hosts-ssh")
        await pilot.press("h")
        await pilot.pause(0.5)
        shot(app, "hosts-ssh-refused-key")
        app.session.stop()
    good.kill()
    bad.kill()


async def hosts_first_shot(work: Path) -> None:
    """No usable kubeconfig (K3s down, or a node without one): the host, and why not the
    cluster."""
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.sources.client import K3S_KUBECONFIG, NoCluster
    from tui.sources.local import LocalHost

    reason = (
        f"no kubeconfig found (tried ~/.kube/config, {K3S_KUBECONFIG}): pass --kubeconfig "
        "PATH, set KUBECONFIG, or try --demo"
    )
    settings = Settings(host_interval=1, audit_log=str(work / "audit-hosts.jsonl"))
    app = IncidentApp(settings, NoCluster(reason), hosts=[LocalHost("vps-6227e9e1")])
    async with app.run_test(size=SIZE) as pilot:
        view = app.store.hosts["vps-6227e9e1"]
        await until(pilot, lambda: len(view.history) >= 10, "10 s of host history")
        await pilot.pause(0.6)
        shot(app, "hosts-only")
        await palette(app, pilot, "journal", "Follow the host's journal")
        await until(pilot, lambda: type(app.screen).__name__ == "ParamsScreen", "the unit form")
        await pilot.pause(0.3)
        shot(app, "hosts-only-journal-form")
        app.session.stop()


async def fleet_shot(work: Path) -> None:
    """50 nodes through one Prometheus (Debian's, scraping one node-exporter as each
    node), the fleet's rows and the selected node's sources; skipped without it."""
    from tests.prom import Prometheus, installed
    from tui.app import IncidentApp
    from tui.config import Settings
    from tui.demo import start_demo
    from tui.sources.client import Kube

    if not installed():
        print("  fleet: prometheus not installed (make prom-deps), no screenshot")
        return
    emulator, demo, kubeconfig = start_demo(kubeconfig=work / "fleet-kubeconfig", workers=49)
    nodes = [("vps-6227e9e1", "37.59.98.241")]
    nodes += [(f"vps-worker-{n:02d}", f"10.0.1.{n}") for n in range(1, 50)]
    prom = Prometheus(work / "prom", nodes, scrape=1.0).start()
    try:
        prom.wait_ready(120, kept=20)  # some history for the chart
        settings = Settings(
            kubeconfig=str(kubeconfig), prometheus_url=prom.url, host_interval=1, no_hosts=True
        )
        app = IncidentApp(settings, Kube.from_kubeconfig(str(kubeconfig), None), hosts=[])
        async with app.run_test(size=SIZE) as pilot:
            await until(
                pilot,
                lambda: sum(1 for v in app.store.hosts.values() if v.from_prometheus) == 50,
                "50 nodes' figures",
                60,
            )
            for _ in range(7):
                await pilot.press("h")
            await pilot.pause(1.5)
            shot(app, "fleet-prometheus")
            app.session.stop()
    finally:
        prom.stop()
        emulator.stop()
        demo.stop()
