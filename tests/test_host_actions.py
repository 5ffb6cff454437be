"""Each host action sends exactly its command lines: checked by what a real sshd received
(its ForceCommand records them; in dry mode it records and does not run them)."""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from actions import registry
from actions.base import Context, Plan, Target
from tests.conftest import wait_for
from tests.sshd import Sshd
from tui.sources.hosts import HostManager
from tui.sources.local import LocalHost
from tui.sources.ssh import SshHost, parse_target
from tui.store import ChangeBuffer, KindStatus, State, Store
from tui.store.host import HostSample, HostUpdate, Memory, Services, Unit

PREFIX = "exec env LC_ALL=C SYSTEMD_PAGER= SYSTEMD_COLORS=0 "


def sample(units: tuple[Unit, ...] = (Unit("k3s", "active", "running"),)) -> HostSample:
    return HostSample(
        at=time.time(),
        cpu=10.0,
        per_core=(10.0, 10.0),
        load=(0.5, 0.4, 0.3),
        cores=2,
        memory=Memory(8 << 30, 4 << 30, 0, 0),
        filesystems=(),
        top_cpu=(),
        top_memory=(),
        services=Services(units=units, journal_errors=0),
    )


class Rig:
    """A host over SSH, in the store as the console sees it, and an action context."""

    def __init__(self, sshd: Sshd) -> None:
        self.sshd = sshd
        self.host = SshHost(
            parse_target(sshd.target),
            name="vps-1",
            key=str(sshd.client_key),
            known_hosts=str(sshd.known_hosts),
        )
        self.buffer = ChangeBuffer()
        self.manager = HostManager([self.host], self.buffer, interval=5.0)
        self.store = Store()
        self.store.add_host("vps-1", self.host.target)
        units = (Unit("k3s", "active", "running"), Unit("systemd-resolved", "active", "running"))
        self.store.apply([HostUpdate("vps-1", KindStatus(State.LIVE), sample(units))])
        self.ctx = Context(
            client=None,  # type: ignore[arg-type]
            context="prod",
            store=self.store,
            hosts=self.manager,
            api_server="https://10.0.0.5:6443",
        )

    def plan(self, action_id: str, **params: str) -> Plan:
        return registry.get(action_id).plan(self.ctx, Target("host", name="vps-1"), dict(params))

    def run(self, action_id: str, **params: str) -> tuple[Any, list[str], list[str]]:
        plan = self.plan(action_id, **params)
        assert not plan.refusal, plan.refusal
        before = len(self.sshd.commands())
        lines: list[str] = []
        outcome = registry.get(action_id).run(self.ctx, plan, lines.append, threading.Event())
        return outcome, self.sshd.commands()[before:], lines


@pytest.fixture
def rig(sshd: Sshd) -> Iterator[Rig]:
    r = Rig(sshd)
    sshd.dry()
    r.manager.start()
    yield r
    r.manager.stop()


EXPECTED = {
    ("host.service-restart", ("unit", "k3s")): [
        "systemctl restart k3s",
        "systemctl is-active k3s",
        "journalctl -u k3s -f -n 20 --no-pager",
    ],
    ("host.service-status", ("unit", "systemd-resolved")): [
        "systemctl status systemd-resolved --no-pager -l -n 30"
    ],
    ("host.journal-tail", ("unit", "k3s")): ["journalctl -u k3s -f -n 100 --no-pager"],
    ("host.journal-tail", ("unit", "err")): ["journalctl -p err -f -n 100 --no-pager"],
    ("host.journal-vacuum", ("keep", "7d")): [
        "journalctl --disk-usage",
        "journalctl --vacuum-time=7d",
        "journalctl --disk-usage",
    ],
    ("host.journal-vacuum", ("keep", "500M")): [
        "journalctl --disk-usage",
        "journalctl --vacuum-size=500M",
        "journalctl --disk-usage",
    ],
    ("host.image-prune", None): [
        "df -h /var/lib",
        "sh -c 'if command -v k3s >/dev/null 2>&1; then exec k3s crictl rmi --prune;"
        " else exec crictl rmi --prune; fi'",
        "df -h /var/lib",
    ],
    ("host.drop-caches", None): [
        "free -m",
        "sh -c 'sync && echo 3 > /proc/sys/vm/drop_caches'",
        "free -m",
    ],
    ("host.disk-report", None): [
        "df -h -x tmpfs -x devtmpfs -x overlay -x squashfs",
        "sh -c 'du -xh -d 1 /var 2>/dev/null | sort -rh | head -n 15'",
        "journalctl --disk-usage",
        "find /var/log -xdev -type f -size +100M -exec ls -lh '{}' +",
    ],
    ("host.run-diagnostic", ("check", "all")): [
        "resolvectl status",
        "cat /etc/resolv.conf",
        "ufw status verbose",
        "ss -tlnp",
        "getent hosts -- 10.0.0.5",
        'sh -c \'timeout 5 bash -c \'"\'"\'exec 3<>"/dev/tcp/$0/$1"\'"\'"\' "$1" "$2"'
        ' && echo "$1:$2 open"\' sh 10.0.0.5 6443',
    ],
}


@pytest.mark.parametrize(("action_id", "param"), list(EXPECTED), ids=lambda v: str(v))
def test_each_host_action_sends_exactly_its_command_lines(
    rig: Rig, action_id: str, param: tuple[str, str] | None
) -> None:
    params = dict([param]) if param else {}
    outcome, received, lines = rig.run(action_id, **params)
    expected = EXPECTED[(action_id, param)]
    assert received == [PREFIX + c for c in expected]
    assert outcome.ok, outcome.message
    assert [line.removeprefix("$ ") for line in lines if line.startswith("$ ")] == expected
    plan = rig.plan(action_id, **params)
    assert plan.host == f"vps-1 ({rig.sshd.target})"
    assert plan.dangerous is registry.get(action_id).dangerous
    assert plan.equivalent.startswith(f"ssh -p {rig.sshd.port} root@127.0.0.1 ")
    assert shlex.split(plan.equivalent)[4] == "; ".join(expected)  # one word for the shell


def test_words_from_outside_the_fixed_lists_are_refused_before_anything_is_sent(
    rig: Rig,
) -> None:
    for action_id, params in [
        ("host.service-restart", {"unit": "k3s; reboot"}),
        ("host.service-restart", {"unit": "nginx"}),  # not a unit the host reports
        ("host.service-status", {"unit": "$(reboot)"}),
        ("host.journal-vacuum", {"keep": "7d; rm -rf /"}),
        ("host.journal-vacuum", {"keep": "-1d"}),
        ("host.run-diagnostic", {"check": "ping 8.8.8.8"}),
    ]:
        plan = rig.plan(action_id, **params)
        assert plan.refusal, (action_id, params)
        outcome = registry.get(action_id).run(rig.ctx, plan, lambda _l: None, threading.Event())
        assert not outcome.ok
    assert rig.sshd.commands() == []
    assert "it has: k3s, systemd-resolved" in rig.plan("host.service-restart", unit="x").refusal


def test_a_restart_confirms_with_the_host_and_unit_and_a_down_host_refuses(rig: Rig) -> None:
    plan = rig.plan("host.service-restart", unit="k3s")
    # issue 28.22: "k3s" alone was the same word on every host
    assert plan.dangerous and plan.confirm_word == "vps-1/k3s"
    assert "the API server on this node" in plan.summary
    rig.store.apply([HostUpdate("vps-1", KindStatus(State.UNREACHABLE, "lost vps-1"))])
    assert "host vps-1 is unreachable: lost vps-1" in rig.plan("host.drop-caches").refusal


def test_a_failing_main_command_fails_the_action_with_its_exit_code(sshd: Sshd) -> None:
    rig = Rig(sshd)  # not dry: the commands run on this machine, which has no systemd
    rig.manager.start()
    try:
        outcome, received, lines = rig.run("host.service-restart", unit="k3s")
    finally:
        rig.manager.stop()
    assert not outcome.ok and "systemctl restart k3s: exit code" in outcome.message
    # its state is still shown; the journal is not followed after a failure
    assert received == [PREFIX + "systemctl restart k3s", PREFIX + "systemctl is-active k3s"]
    assert any("exit code" in line for line in lines)


def test_sudo_is_put_in_front_of_mutations_when_the_login_is_not_root(rig: Rig) -> None:
    rig.host.is_root = False
    plan = rig.plan("host.journal-vacuum", keep="2w")
    assert plan.commands[1] == ("sudo", "-n", "journalctl", "--vacuum-time=2w")
    assert plan.commands[0] == ("journalctl", "--disk-usage")  # reading needs no sudo


def test_local_diagnostic_reaches_the_api_port_for_real(cluster: Any) -> None:
    from tui.demo.apiserver import Emulator

    emu = Emulator(cluster).start()
    try:
        store = Store()
        local = LocalHost("node-a")
        store.add_host("node-a", "local")
        store.apply([HostUpdate("node-a", KindStatus(State.LIVE), sample())])
        manager = HostManager([local], ChangeBuffer(), interval=5.0)
        manager.start()
        ctx = Context(client=None, context="t", store=store, hosts=manager, api_server=emu.url)  # type: ignore[arg-type]
        action = registry.get("host.run-diagnostic")
        plan = action.plan(ctx, Target("host", name="node-a"), {"check": "api-port"})
        assert plan.equivalent.startswith("sh -c ")  # local: no ssh in front
        lines: list[str] = []
        outcome = action.run(ctx, plan, lines.append, threading.Event())
        manager.stop()
    finally:
        emu.stop()
    port = emu.url.rsplit(":", 1)[1]
    assert outcome.ok and f"127.0.0.1:{port} open" in lines


def test_the_manager_reports_a_live_local_host(cluster: Any) -> None:
    buffer, store = ChangeBuffer(), Store()
    store.add_host("node-a", "local")
    manager = HostManager([LocalHost("node-a")], buffer, interval=0.2)
    manager.start()
    try:

        def live() -> bool:
            store.apply(buffer.drain())
            view = store.hosts["node-a"]
            return view.status.state is State.LIVE and view.sample is not None

        wait_for(live, 15, "a local sample")
    finally:
        manager.stop()
    s = store.hosts["node-a"].sample
    assert s is not None and s.cores >= 1 and any(f.mount == "/" for f in s.filesystems)
    assert s.services.note or s.services.units  # systemd answered, or why not is said
