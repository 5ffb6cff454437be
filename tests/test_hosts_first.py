"""When the cluster is the problem: the console opens with the hosts, names what is
missing, and says "Kubernetes API unreachable" with the k3s actions on the host that
runs the server (real emulator, real sshd, real psutil)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette

from tests import fixtures as fx
from tests.conftest import make_app, until
from tests.sshd import Sshd
from tests.test_action_flow import screen_is
from tests.test_app import SIZE, screen_text, title
from tests.test_host_pane import ssh_host
from tui.app import IncidentApp
from tui.config import Settings
from tui.demo.apiserver import Emulator
from tui.demo.state import Cluster
from tui.screens.params import ParamsScreen
from tui.sources.client import (
    K3S_KUBECONFIG,
    KubeConfigError,
    NoCluster,
    default_kubeconfig,
    load_config,
    readable_file,
    unreadable_message,
)
from tui.sources.local import LocalHost
from widgets.table import VirtualTable


def console(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )


# -- where the kubeconfig is found ---------------------------------------------------------
def test_kubectl_order_then_k3s_own_file(tmp_path: Path) -> None:
    home, k3s = tmp_path / "home.yaml", tmp_path / "k3s.yaml"
    assert default_kubeconfig(home, k3s) is None
    k3s.write_text("{}")
    assert default_kubeconfig(home, k3s) == k3s  # a K3s node with no ~/.kube/config
    home.write_text("{}")
    assert default_kubeconfig(home, k3s) == home  # ~/.kube/config first, as kubectl


def test_nothing_found_is_a_reason_not_an_error_but_a_named_context_is() -> None:
    with pytest.raises(KubeConfigError) as found:
        load_config(None, None)
    assert not found.value.named
    text = str(found.value)
    assert "no kubeconfig found" in text and str(K3S_KUBECONFIG) in text and ".kube/config" in text
    with pytest.raises(KubeConfigError) as named:
        load_config(None, "prod")  # the operator named a context: stop on it
    assert named.value.named


def test_k3s_permission_message_names_the_file_sudo_and_the_flag() -> None:
    line = unreadable_message(K3S_KUBECONFIG)
    assert str(K3S_KUBECONFIG) in line and "sudo" in line and "--kubeconfig PATH" in line


def test_a_k3s_file_readable_by_root_only_is_said_so_to_another_user(tmp_path: Path) -> None:
    """As an ordinary user (nobody) on a node: a 0600 kubeconfig is not readable, and
    the message says what to do. A forked child drops to nobody and asks."""
    import pwd

    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    nobody = pwd.getpwnam("nobody")
    secret = tmp_path / "k3s.yaml"
    secret.write_text("apiVersion: v1\nkind: Config\n")
    secret.chmod(0o600)
    tmp_path.chmod(0o755)
    pid = os.fork()
    if pid == 0:  # the child: become nobody, ask, exit with the answer
        code = 3
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            code = 0 if not readable_file(secret) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "nobody could read a root-only 0600 file"
    assert readable_file(secret)  # root can


# -- the command line -----------------------------------------------------------------------
def test_exit_2_only_when_there_is_neither_cluster_nor_host() -> None:
    proc = console("--no-hosts")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "no kubeconfig found (tried" in line and str(K3S_KUBECONFIG) in line
    assert "no host to show: drop --no-hosts, or pass --ssh" in line


# -- the console with the hosts only ---------------------------------------------------------
def hosts_only_app(hosts: list[Any], **settings: Any) -> IncidentApp:
    """As `incident-console --ssh ...` builds it when no kubeconfig is usable."""
    s = Settings(metrics_interval=0.5, host_interval=0.3, **settings)
    with pytest.raises(KubeConfigError) as e:
        load_config(None, None)
    return IncidentApp(s, NoCluster(str(e.value)), hosts=hosts)


def palette_prompts(app: Any) -> list[str]:
    options = app.screen.query_one("CommandList")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_no_kubeconfig_and_ssh_opens_on_the_host_and_says_why_the_cluster_is_not_there(
    k3s_sshd: Sshd, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a short HOME: the message names ~/.kube/config first, and a long tmp path (a
    # pytest-xdist worker's) would push the K3s path past the pane's edge
    home = Path(tempfile.mkdtemp(prefix="h", dir="/tmp"))
    monkeypatch.setenv("HOME", str(home))
    app = hosts_only_app([ssh_host(k3s_sshd, name="vps-6227e9e1")])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "k3s active (running)" in screen_text(app, "#host-summary"), 15)
        assert "Disk /" in screen_text(app, "#host-summary")
        assert "no cluster connected · the hosts only" in screen_text(app, "#titlebar")
        assert "no cluster connected: no kubeconfig found (tried" in screen_text(app, "#banner")
        for pane in ("#pods", "#nodes", "#events", "#flux"):
            shown = screen_text(app, pane)
            assert "no cluster connected: no kubeconfig found" in shown, pane
            assert str(K3S_KUBECONFIG) in shown, pane
            assert "no cluster connected" in title(app, pane)
        bar = screen_text(app, "#statusbar")
        assert "no cluster connected: the hosts only" in bar and "pods" not in bar
        # the findings are evaluated (host rules), not left at "waiting"
        await until(pilot, lambda: "nothing the runbook alerts on" in screen_text(app, "#findings"))
        # the palette offers the host actions and nothing that needs the cluster
        await pilot.press("ctrl+p")
        await until(pilot, lambda: screen_is(app, CommandPalette))
        await pilot.press(*"restart")
        await until(pilot, lambda: any("Restart a service" in p for p in palette_prompts(app)))
        shown = "\n".join(palette_prompts(app))
        assert "host/vps-6227e9e1" in shown
        assert "deployment" not in shown.lower() and "Delete the pod" not in shown
        await pilot.press("escape")
        await until(pilot, lambda: not screen_is(app, CommandPalette))
        # a cluster key does nothing and says so; nothing reaches a server
        app.flow.start("deployment.restart")
        await until(
            pilot,
            lambda: any("no cluster connected" in n.message for n in app._notifications),
        )


async def test_api_killed_and_back_on_the_same_port_a_finding_then_cleared_and_refilled(
    small_cluster: Cluster, emulator: Emulator, kubeconfig: Path, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    # the server is 127.0.0.1: this machine runs it, so the finding names the local host
    app = make_app(kubeconfig, hosts=[LocalHost("vps-6227e9e1")], audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        await until(pilot, lambda: app.panes["findings"].evaluated)  # type: ignore[union-attr]
        assert "Kubernetes API unreachable" not in screen_text(app, "#findings")
        emulator.stop()
        down_at = time.monotonic()
        await until(
            pilot,
            lambda: "Kubernetes API unreachable" in screen_text(app, "#findings"),
            timeout=15,
        )
        seen_after = time.monotonic() - down_at
        finding = next(f for f in app.session.tracker.findings() if f.rule == "api-unreachable")
        assert finding.subject.kind == "host" and finding.subject.name == "vps-6227e9e1"
        assert finding.actions == ("host.service-status", "host.journal-tail")
        assert emulator.url in finding.evidence and "runs on host vps-6227e9e1" in finding.evidence
        # Enter on it: the palette narrowed to k3s's status and journal on that host
        app.query_one("#findings-table", VirtualTable).move_to(finding.key)
        app.screen.set_focus(app.query_one("#findings-table"))
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, CommandPalette))
        await until(pilot, lambda: len(palette_prompts(app)) == 2)
        assert [p.splitlines()[0] for p in palette_prompts(app)] == [
            "Service status on the host — host/vps-6227e9e1",
            "Follow the host's journal — host/vps-6227e9e1",
        ]
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, ParamsScreen))
        assert app.screen.query_one("Input").value == "k3s"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: not screen_is(app, ParamsScreen))

        # while it is down, the cluster changes; it comes back on the same port
        small_cluster.remove("Pod", "kube-system", "healthy-0")
        small_cluster.put("Pod", fx.pod("born-while-down"))
        emulator.start()
        await until(pilot, lambda: "born-while-down" in screen_text(app, "#pods-table"), 30)
        await until(
            pilot,
            lambda: all(f.rule != "api-unreachable" for f in app.session.tracker.findings()),
            timeout=30,
        )
        await until(pilot, lambda: "1 cleared" in title(app, "#findings"))
        # no stale, no duplicated rows: the table holds exactly the server's pods
        server_pods = small_cluster.list("Pod")
        await until(pilot, lambda: table.row_count == len(server_pods), 15)
        shown = screen_text(app, "#pods-table")
        assert "healthy-0" not in shown and shown.count("born-while-down") == 1
    # the incident record: seen, then cleared
    events = [json.loads(line) for line in audit.read_text().splitlines()]
    rules = [(e["event"], e.get("rule")) for e in events if "event" in e]
    assert ("finding-seen", "api-unreachable") in rules
    assert ("finding-cleared", "api-unreachable") in rules
    print(f"api-unreachable finding shown {seen_after:.1f}s after the server went away")


# -- check, headless ------------------------------------------------------------------------
def test_check_with_the_api_down_is_critical_and_still_reads_the_host(
    tmp_path: Path, cluster: Cluster
) -> None:
    emu = Emulator(cluster).start()
    path = emu.write_kubeconfig(tmp_path / "kc", context="gone")
    emu.stop()
    proc = console("check", "--json", "--timeout", "5", "--kubeconfig", str(path), "--local")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    (api,) = [f for f in out["findings"] if f["rule"] == "api-unreachable"]
    assert api["severity"] == "critical" and api["subject"]["kind"] == "host"
    assert api["actions"] == ["host.service-status", "host.journal-tail"]
    assert emu.url in api["evidence"]
    not_evaluated = {n["what"]: n["state"] for n in out["not_evaluated"]}
    assert not_evaluated["pods"] == "unreachable"
    assert not any(w.startswith("host/") for w in not_evaluated)  # the host was sampled


def test_check_with_no_kubeconfig_evaluates_the_host_and_says_the_cluster_was_not() -> None:
    proc = console("check", "--json", "--timeout", "10")
    out = json.loads(proc.stdout)
    not_evaluated = {n["what"]: n for n in out["not_evaluated"]}
    assert not_evaluated["pods"]["state"] == "no cluster connected"
    assert "no kubeconfig found" in not_evaluated["pods"]["message"]
    assert not any(w.startswith("host/") for w in not_evaluated)
    critical = any(f["severity"] == "critical" for f in out["findings"])
    assert proc.returncode == (2 if critical else 3)  # a full disk here would be critical
    table = console("check", "--timeout", "10")
    assert table.stdout.strip().splitlines()[-1].endswith("· no cluster connected")


# -- which host runs the API server (pure) ----------------------------------------------------
def unreachable_store(server: str, local: bool = False) -> Any:
    from tui.store import ApiServer, KindStatus, State, StatusChange, Store

    store = Store()
    down = KindStatus(State.UNREACHABLE, f"cannot reach {server}, retrying in 2s")
    host = server.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
    store.apply([StatusChange("pods", down), ApiServer(server, host, local)])
    return store


def test_the_api_host_is_the_one_reached_at_the_servers_address() -> None:
    from tui.triage import api_host, evaluate

    store = unreachable_store("https://10.0.0.5:6443")
    store.add_host("vps-2", "root@10.0.0.6")
    store.add_host("vps-1", "ops@10.0.0.5:2222")
    store.add_host("here", "local")  # not local: the server is elsewhere
    assert api_host(store).name == "vps-1"
    (finding,) = [f for f in evaluate(store) if f.rule == "api-unreachable"]
    assert str(finding.subject) == "host/vps-1" and "runs on host vps-1" in finding.evidence
    v6 = unreachable_store("https://[fd00::5]:6443")
    v6.add_host("n6", "root@[fd00::5]:22")
    assert api_host(v6).name == "n6"


def test_else_the_host_of_a_control_plane_node_else_the_cluster() -> None:
    from tui.store import Replace, parse_node
    from tui.triage import api_host, evaluate

    store = unreachable_store("https://api.example.com:6443")
    worker, server = fx.node("worker-1"), fx.node("cp-1")
    worker["metadata"]["labels"] = {"node-role.kubernetes.io/worker": ""}
    server["metadata"]["labels"] = {"node-role.kubernetes.io/control-plane": "true"}
    store.apply([Replace("nodes", (parse_node(worker), parse_node(server)))])
    store.add_host("worker-1", "root@10.0.0.7")
    assert api_host(store) is None  # the worker's host does not run the API
    (finding,) = [f for f in evaluate(store) if f.rule == "api-unreachable"]
    assert str(finding.subject) == "cluster"
    store.add_host("cp-1", "root@10.0.0.8")
    assert api_host(store).name == "cp-1"
    local = unreachable_store("https://127.0.0.1:6443", local=True)
    local.add_host("vps", "root@10.0.0.9")
    assert api_host(local) is None  # loopback: only this machine's own host counts
    local.add_host("me", "local")
    assert api_host(local).name == "me"
