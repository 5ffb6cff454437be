"""The node metrics pane and the host actions as the operator sees them, over a real sshd."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import audit_lines, make_app, until
from tests.sshd import Sshd
from tests.test_action_flow import log_text, screen_is
from tests.test_app import SIZE, lines, screen_text, title
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import TailScreen
from tui.sources.local import LocalHost
from tui.sources.ssh import SshHost, parse_target
from widgets.hostmetrics import HostMetricsPane


def ssh_host(sshd: Sshd, name: str = "") -> SshHost:
    return SshHost(
        parse_target(sshd.target),
        name=name,
        key=str(sshd.client_key),
        known_hosts=str(sshd.known_hosts),
    )


def modal_text(app: Any) -> str:
    return "\n".join("\n".join(lines(w)) for w in app.screen.query("Static"))


async def test_live_metrics_and_charts_then_the_gap_when_sshd_dies(
    small_cluster: Cluster, kubeconfig: Path, sshd: Sshd
) -> None:
    app = make_app(kubeconfig, hosts=[ssh_host(sshd)], host_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(HostMetricsPane)
        await until(pilot, lambda: "CPU" in screen_text(app, "#host-summary"), timeout=15)
        text = screen_text(app, "#host-summary")
        assert sshd.target in text and "Mem" in text and "Disk /" in text and "TOP CPU" in text
        assert f"Node metrics · {sshd.target}" in title(app, "#hostmetrics")
        await until(pilot, lambda: pane.chart_draws >= 2, timeout=10)
        chart = "\n".join(lines(app.query_one("#host-usage-chart")))
        assert "% · cpu mem load/cores" in chart and "now" in chart and "-60s" in chart

        sshd.kill()
        await until(pilot, lambda: "unreachable" in screen_text(app, "#host-summary"), timeout=30)
        text = screen_text(app, "#host-summary")
        assert "lost" in text or "cannot connect" in text
        assert "the charts show the gap" in text
        assert "unreachable" in title(app, "#hostmetrics")
        sshd.start()
        await until(pilot, lambda: "CPU" in screen_text(app, "#host-summary"), timeout=60)
        view = app.store.hosts[sshd.target]
        await until(pilot, lambda: len(view.segments("cpu")) == 2, timeout=15)
        assert view.gaps == 1


async def test_restart_a_unit_over_ssh_from_the_palette_flow(
    small_cluster: Cluster, kubeconfig: Path, k3s_sshd: Sshd, tmp_path: Path
) -> None:
    sshd = k3s_sshd
    audit = tmp_path / "audit.jsonl"
    sshd.dry()  # what the server received is recorded, not run
    host = ssh_host(sshd, name="vps-6227e9e1")
    app = make_app(kubeconfig, hosts=[host], host_interval=0.3, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "k3s active (running)" in screen_text(app, "#host-summary"), 15)
        app.flow.start("host.service-restart")
        await until(pilot, lambda: screen_is(app, ParamsScreen))
        await until(pilot, lambda: "one of: k3s, containerd" in modal_text(app))
        await pilot.press("enter")  # the default: k3s
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        # the host and the unit (issue 28.22: "k3s" was the same word on every host)
        await until(pilot, lambda: "Type vps-6227e9e1/k3s to confirm" in modal_text(app))
        text = modal_text(app)
        assert "HOST   V P S - 6 2 2 7 E 9 E 1" in text
        assert f"vps-6227e9e1 ({sshd.target})" in text
        assert "$ systemctl restart k3s" in text and "$ journalctl -u k3s -f -n 20" in text
        assert "no dry run on a host" in text and "Type vps-6227e9e1/k3s to confirm" in text
        assert sshd.commands() == []  # nothing sent before the confirmation
        # issue 26: a restart of k3s offers its datastore's backup first, chosen first
        assert "▶ 1  Back up the datastore first" in text and "2  Restart without" in text
        await pilot.press("down")
        await until(pilot, lambda: "▶ 2  Restart without a backup" in modal_text(app))
        await pilot.press(*"k3s", "enter")  # the unit alone is not enough now
        assert screen_is(app, ConfirmScreen) and sshd.commands() == []
        await pilot.press(*"vps-6227e9e1/k3s", "enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: "(recorded, not run)" in log_text(app), timeout=15)
        await until(pilot, lambda: "journalctl -u k3s -f" in log_text(app), timeout=15)
        prefix = "exec env LC_ALL=C SYSTEMD_PAGER= SYSTEMD_COLORS=0 "
        await until(pilot, lambda: len(sshd.commands()) == 3, timeout=15)
        assert sshd.commands() == [
            prefix + "systemctl restart k3s",
            prefix + "systemctl is-active k3s",
            prefix + "journalctl -u k3s -f -n 20 --no-pager",
        ]
        await pilot.press("escape")
        await until(pilot, lambda: audit_lines(audit), timeout=10)
        entry = audit_lines(audit)[-1]
        assert entry["action"] == "host.service-restart" and entry["outcome"] == "succeeded"
        assert entry["host"] == f"vps-6227e9e1 ({sshd.target})"
        assert entry["commands"][0] == ["systemctl", "restart", "k3s"]


async def test_selecting_a_node_shows_its_host_and_h_cycles_hosts(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    hosts = [LocalHost("elsewhere"), LocalHost("vps-6227e9e1")]
    app = make_app(kubeconfig, hosts=hosts, host_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(HostMetricsPane)
        await until(pilot, lambda: all(v.sample for v in app.store.hosts.values()), 15)
        # the nodes table's cursor is on the cluster's only node: its host is shown
        await until(pilot, lambda: "▶ vps-6227e9e1" in screen_text(app, "#host-summary"))
        assert "(2 hosts, h/H)" in title(app, "#hostmetrics")
        assert "elsewhere" in screen_text(app, "#host-summary")  # a compact row for each
        await pilot.press("h")
        await until(pilot, lambda: "▶ elsewhere" in screen_text(app, "#host-summary"))
        assert pane.host is not None and pane.host.name == "elsewhere"
        app.query_one("#nodes-table").focus()
        await pilot.press("enter")  # Enter on the node shows its host again
        await until(pilot, lambda: "▶ vps-6227e9e1" in screen_text(app, "#host-summary"))


async def test_read_only_offers_the_host_checks_and_none_of_its_mutations(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    from textual.command import CommandPalette

    app = make_app(kubeconfig, hosts=[LocalHost("vps-6227e9e1")], read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.hosts["vps-6227e9e1"].sample is not None, 15)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: screen_is(app, CommandPalette))
        await pilot.press(*"host")

        def prompts() -> list[str]:
            options = app.screen.query_one("CommandList")
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        await until(pilot, lambda: any("Disk report" in p for p in prompts()))
        shown = "\n".join(prompts())
        assert "Service status on the host — host/vps-6227e9e1" in shown
        for mutation in ("Restart a service", "Vacuum", "Prune", "Drop the host"):
            assert mutation not in shown
        await pilot.press("escape")
        app.flow.start("host.drop-caches")
        await until(
            pilot,
            lambda: any("not in read-only mode" in n.message for n in app._notifications),
        )
