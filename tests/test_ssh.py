"""SSH hosts against a real OpenSSH sshd on 127.0.0.1, verified through known_hosts."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import wait_for
from tests.sshd import Sshd, keygen
from tui.sources.host import HostError
from tui.sources.hosts import HostManager
from tui.sources.ssh import SshHost, parse_target
from tui.store import ChangeBuffer, State, Store
from tui.store.host import HostSample


def ssh_host(sshd: Sshd, known_hosts: Path | None = None, **kw: Any) -> SshHost:
    return SshHost(
        parse_target(sshd.target),
        key=str(sshd.client_key),
        known_hosts=str(known_hosts or sshd.known_hosts),
        **kw,
    )


async def first_samples(host: SshHost, n: int, interval: float = 0.3) -> list[HostSample]:
    out = []
    try:
        async for sample in host.samples(interval):
            out.append(sample)
            if len(out) == n:
                break
    finally:
        await host.close()
    return out


def test_samples_over_ssh_agree_with_psutil_on_this_machine(sshd: Sshd) -> None:
    samples = asyncio.run(first_samples(ssh_host(sshd), 3))
    s = samples[-1]
    assert s.cores == psutil.cpu_count()
    assert len(s.per_core) == s.cores
    vm = psutil.virtual_memory()
    assert s.memory.total == vm.total
    assert abs(s.memory.used_percent - vm.percent) < 5
    assert all(abs(a - b) < 1.0 for a, b in zip(s.load, psutil.getloadavg(), strict=True))
    mounts = {f.mount for f in s.filesystems}
    assert "/" in mounts
    root = next(f for f in s.filesystems if f.mount == "/")
    usage = psutil.disk_usage("/")
    assert root.size == usage.total and abs(root.used - usage.used) < 64 * 2**20
    assert 0 <= s.cpu <= 100 and len(s.top_cpu) == 10 and len(s.top_memory) == 10
    assert len({p.pid for p in s.top_cpu}) == 10  # ten distinct processes
    assert s.took < 0.05  # parsing, not the network: a sanity bound, the bench measures it


def test_an_unknown_host_key_is_refused_naming_host_fingerprint_and_file(
    sshd: Sshd, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    host = ssh_host(sshd, empty)
    with pytest.raises(HostError) as err:
        asyncio.run(host.connect())
    message = str(err.value)
    fingerprint = sshd_fingerprint(sshd)
    assert err.value.state is State.REFUSED
    assert f"127.0.0.1:{sshd.port}" in message and "unknown" in message
    assert fingerprint in message and str(empty) in message


def test_a_changed_host_key_is_refused_and_said_to_have_changed(sshd: Sshd, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other_host_key")
    kind, key = Path(f"{other}.pub").read_text().split()[:2]
    wrong = tmp_path / "known_hosts_wrong"
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {kind} {key}\n")
    with pytest.raises(HostError) as err:
        asyncio.run(ssh_host(sshd, wrong).connect())
    message = str(err.value)
    assert "CHANGED" in message and sshd_fingerprint(sshd) in message and str(wrong) in message
    assert sshd.commands() == []  # nothing ran on a host we could not trust


def test_a_refused_login_and_an_unreachable_host_say_what_to_fix(
    sshd: Sshd, tmp_path: Path
) -> None:
    stranger = keygen(tmp_path / "stranger")
    host = SshHost(parse_target(sshd.target), key=str(stranger), known_hosts=str(sshd.known_hosts))
    with pytest.raises(HostError, match="refused the login of root with the key"):
        asyncio.run(host.connect())
    port = sshd.port
    sshd.kill()
    with pytest.raises(HostError, match=f"cannot connect to root@127.0.0.1:{port}"):
        asyncio.run(ssh_host(sshd).connect())


def sshd_fingerprint(sshd: Sshd) -> str:
    import subprocess

    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", f"{sshd.host_key}.pub"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[1]  # SHA256:...


def test_commands_stream_their_output_and_exit_code_quoted_word_by_word(sshd: Sshd) -> None:
    async def run() -> tuple[int | None, list[str]]:
        host = ssh_host(sshd)
        lines: list[str] = []
        code = await host.run(
            ["sh", "-c", 'echo "$1"; echo err >&2; exit 3', "sh", "a b; rm -rf /tmp/x $(id)"],
            lines.append,
            10,
        )
        await host.close()
        return code, lines

    code, lines = asyncio.run(run())
    assert code == 3
    assert lines == ["a b; rm -rf /tmp/x $(id)", "err"]  # data stayed data
    assert sshd.commands()[-1].endswith(
        """sh -c 'echo "$1"; echo err >&2; exit 3' sh 'a b; rm -rf /tmp/x $(id)'"""
    )
    assert sshd.commands()[-1].startswith("exec env LC_ALL=C ")


def test_a_hanging_command_times_out_while_sampling_goes_on(sshd: Sshd) -> None:
    buffer = ChangeBuffer()
    manager = HostManager([ssh_host(sshd)], buffer, interval=0.2)
    manager.start()
    try:
        name = next(iter(manager.hosts))
        wait_for(lambda: manager.sampled >= 1, 15, "a first sample")
        before = manager.sampled
        started = time.monotonic()
        result = manager.run(name, ["sleep", "31.7"], lambda _line: None, threading.Event(), 1.0)
        took = time.monotonic() - started
        assert result.timed_out and result.exit_code is None
        assert took < 10  # it was stopped, not waited out
        assert manager.sampled > before  # the loop kept sampling during the hang
        # and it does not live on on the host
        wait_for(lambda: not sleeping("31.7"), 10, "the timed-out command to be killed")
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        result = manager.run(name, ["sleep", "30"], lambda _line: None, stop, None)
        assert result.error == "stopped"
    finally:
        manager.stop()


def sleeping(seconds: str) -> bool:
    return any(p.info["cmdline"] == ["sleep", seconds] for p in psutil.process_iter(["cmdline"]))


def test_sshd_killed_then_restarted_leaves_a_gap_then_sampling_resumes(sshd: Sshd) -> None:
    buffer = ChangeBuffer()
    store = Store()
    host = ssh_host(sshd)
    store.add_host(host.name, host.target)
    manager = HostManager([host], buffer, interval=0.2)
    manager.start()

    def view_state() -> State:
        store.apply(buffer.drain())
        return store.hosts[host.name].status.state

    try:
        wait_for(lambda: view_state() is State.LIVE, 15, "live")
        wait_for(lambda: len(store.hosts[host.name].history) >= 2 or view_state() is None, 15)
        sshd.kill()
        wait_for(lambda: view_state() is State.UNREACHABLE, 30, "the loss to be seen")
        view = store.hosts[host.name]
        assert "lost" in view.status.message or "cannot connect" in view.status.message
        assert view.gaps == 1
        sshd.start()
        wait_for(lambda: view_state() is State.LIVE, 60, "sampling to resume")
        wait_for(lambda: (view_state(), len(view.segments("cpu")))[1] == 2, 15, "new points")
        runs = view.segments("cpu")
        assert runs[0][0][-1] < runs[1][0][0]  # two runs, the gap between them
    finally:
        manager.stop()


def test_a_slow_login_shell_does_not_delay_commands(sshd: Sshd) -> None:
    """Every SSH session runs the login shell's rc files (bash reads ~/.bashrc for SSH
    commands): here they take 3 s. The sampler pays it once; a command goes to a shell
    logged in ahead of time, so even with a 2 s timeout it runs."""
    sshd.slow_login()
    buffer = ChangeBuffer()
    manager = HostManager([ssh_host(sshd)], buffer, interval=0.3)
    manager.start()
    try:
        name = next(iter(manager.hosts))
        wait_for(lambda: manager.sampled >= 1, 20, "a first sample")
        wait_for(lambda: sshd.spares_ready() >= 1, 20, "a shell ready for the next command")
        lines: list[str] = []
        result = manager.run(name, ["echo", "fast"], lines.append, threading.Event(), 2.0)
        assert result.exit_code == 0 and lines == ["fast"], result
        wait_for(lambda: sshd.spares_ready() >= 2, 20, "the next spare")
        result = manager.run(name, ["echo", "again"], lines.append, threading.Event(), 2.0)
        assert result.exit_code == 0 and lines == ["fast", "again"], result
    finally:
        manager.stop()


def test_an_alias_from_ssh_config_with_its_port_user_and_key(sshd: Sshd) -> None:
    """`--ssh vps-alias`: HostName, Port, User and IdentityFile come from ~/.ssh/config
    (HOME is the test's own), host key still checked against the known_hosts file."""
    ssh_dir = Path.home() / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "config").write_text(
        "Host vps-alias\n"
        "  HostName 127.0.0.1\n"
        f"  Port {sshd.port}\n"
        "  User root\n"
        f"  IdentityFile {sshd.client_key}\n"
    )
    host = SshHost(parse_target("vps-alias"), known_hosts=str(sshd.known_hosts))

    async def run() -> list[str]:
        lines: list[str] = []
        await host.run(["echo", "through the alias"], lines.append, 10)
        await host.close()
        return lines

    assert asyncio.run(run()) == ["through the alias"]
    empty = Path.home() / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(HostError) as err:
        asyncio.run(SshHost(parse_target("vps-alias"), known_hosts=str(empty)).connect())
    assert sshd_fingerprint(sshd) in str(err.value)  # the alias resolved for the message too


def idle_spares(sshd: Sshd) -> int:
    """The spare shells waiting on the test sshd (its wrapper, blocked reading)."""
    wrapper = str(sshd.wrapper)
    return sum(
        1
        for p in psutil.process_iter(["cmdline"])
        if wrapper in " ".join(p.info.get("cmdline") or [])
    )


def test_concurrent_commands_leave_one_spare_shell_not_one_each(sshd: Sshd) -> None:
    """Issue 28.16: four commands at once left four to seven shells open (sshd's
    MaxSessions is 10)."""

    async def run() -> int:
        host = ssh_host(sshd)
        await asyncio.gather(*(host.run(["true"], lambda _l: None, 10) for _ in range(4)))
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.wait_for(asyncio.gather(*others, return_exceptions=True), 20)
        deadline = time.monotonic() + 20  # the spare made after the last command logs in
        while sshd.spares_ready() < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        left = idle_spares(sshd)
        await host.close()
        return left

    assert asyncio.run(run()) == 1
