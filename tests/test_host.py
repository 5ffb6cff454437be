"""Host metrics from real /proc text and real psutil on this machine, and edge cases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psutil
import pytest

from tui.sources.local import LocalHost
from tui.sources.procfs import (
    CpuTimes,
    ProcText,
    cpu_percent,
    parse_df,
    parse_loadavg,
    parse_meminfo,
    parse_net_dev,
    parse_pid_stats,
    parse_proc_stat,
    parse_services,
)
from tui.sources.ssh import SshTarget, parse_target
from tui.store.host import Unit


def test_real_proc_text_parses_like_psutil_reads_it() -> None:
    stat = parse_proc_stat(Path("/proc/stat").read_text())
    assert "cpu" in stat and len([k for k in stat if k != "cpu"]) == psutil.cpu_count()
    mem = parse_meminfo(Path("/proc/meminfo").read_text())
    assert mem.total == psutil.virtual_memory().total
    assert 0 < mem.used_percent < 100
    load = parse_loadavg(Path("/proc/loadavg").read_text())
    assert all(x >= 0 for x in load)
    assert "lo" not in parse_net_dev(Path("/proc/net/dev").read_text())


def test_real_df_lists_real_filesystems() -> None:
    out = subprocess.run(["df", "-P", "-T"], capture_output=True, text=True, check=True).stdout
    filesystems = parse_df(out)
    assert filesystems and all(0 <= fs.percent <= 100 for fs in filesystems)
    printed = {line.split()[-1]: int(line.split()[-2].rstrip("%")) for line in out.splitlines()[1:]}
    for fs in filesystems:
        if " " not in fs.mount:
            assert fs.percent == printed[fs.mount], fs  # the same Use% as df


def test_cpu_percent_between_two_samples() -> None:
    before = parse_proc_stat("cpu  100 0 100 800 0 0 0 0 0 0\n")["cpu"]
    after = parse_proc_stat("cpu  150 0 150 900 0 0 0 0 0 0\n")["cpu"]
    assert cpu_percent(before, after) == 50.0
    assert cpu_percent(CpuTimes(1, 1), CpuTimes(1, 1)) == 0.0


def test_df_leaves_out_pseudo_filesystems_and_keeps_mounts_with_spaces() -> None:
    text = (
        "Filesystem     Type     1024-blocks    Used Available Capacity Mounted on\n"
        "/dev/sda1      ext4        82083148 74000000   8083148      91% /\n"
        "tmpfs          tmpfs         812930       0    812930       0% /run/user/0\n"
        "overlay        overlay     82083148 74000000   8083148      91% /var/lib/x/rootfs\n"
        "/dev/sdb1      xfs          1048576  524288    524288      50% /mnt/my data\n"
    )
    fs = parse_df(text)
    assert [(f.mount, f.percent) for f in fs] == [("/", 91), ("/mnt/my data", 50)]  # as df prints


def test_malformed_text_does_not_raise() -> None:
    assert parse_proc_stat("cpu x y\ngarbage") == {}
    assert parse_meminfo("nonsense").total == 0
    assert parse_loadavg("") == (0.0, 0.0, 0.0)
    assert parse_df("") == [] and parse_df("header only") == []


def test_local_host_sample() -> None:
    sample = LocalHost().sample()
    assert sample.cores == psutil.cpu_count() and len(sample.per_core) == sample.cores
    assert 0 <= sample.cpu <= 100 and sample.memory.total > 0
    assert sample.filesystems and len(sample.top_cpu) <= 10 and sample.top_memory


# -- text captured on this machine (tests/data/host/, 2026-11-28) ----------------------
DATA = Path(__file__).parent / "data" / "host"


def captured(name: str) -> str:
    return (DATA / name).read_text()


def test_captured_proc_stat_meminfo_loadavg_net_dev() -> None:
    stat = parse_proc_stat(captured("proc_stat.txt"))
    assert sorted(stat) == ["cpu", "cpu0", "cpu1"]
    # cpu  387611 0 46570 1433654 2641 0 1444 139 0 0: idle = idle + iowait
    assert stat["cpu"] == CpuTimes(busy=387611 + 46570 + 1444 + 139, total=1872059)
    mem = parse_meminfo(captured("meminfo.txt"))
    assert mem.total == 24684084 * 1024 and mem.available == 24197872 * 1024
    assert round(mem.used_percent, 2) == 1.97
    assert parse_loadavg(captured("loadavg.txt")) == (0.62, 0.43, 0.48)
    assert parse_net_dev(captured("net_dev.txt")) == {
        "ifb0": (0, 0),
        "ifb1": (0, 0),
        "eth0": (1115353208, 2151620),
    }


def test_captured_df_keeps_the_disk_and_its_use_percent() -> None:
    (root,) = parse_df(captured("df_PT.txt"))  # devtmpfs and tmpfs left out
    assert (root.mount, root.device, root.percent) == ("/", "/dev/vda", 26)
    assert root.size == 264212084 * 1024 and root.used == 26699928 * 1024


def test_captured_pid_stats_and_a_whole_sampler_block() -> None:
    pids = parse_pid_stats(captured("pid_stat.txt"))
    assert pids[1] == ("process_api", 325 + 1880, pids[1][2])
    assert pids[10][0] == "kworker/0:0H-events_highpri"
    assert len(pids) == 68
    block = "\n".join(
        [
            "@@pagesize",
            "4096",
            "@@stat",
            captured("proc_stat.txt"),
            "@@meminfo",
            captured("meminfo.txt"),
            "@@loadavg",
            captured("loadavg.txt"),
            "@@netdev",
            captured("net_dev.txt"),
            "@@df",
            captured("df_PT.txt"),
            "@@pids",
            captured("pid_stat.txt"),
            "@@end",
        ]
    )
    parser = ProcText()
    assert parser.feed(block, now=100.0) is None  # the first block is the baseline
    later = block.replace("cpu  387611 0 46570 1433654", "cpu  387711 0 46570 1433754")
    later = later.replace(
        "1 (process_api) S 0 0 0 0 -1 4194560 88155 62476044 0 6629 325",
        "1 (process_api) S 0 0 0 0 -1 4194560 88155 62476044 0 6629 375",
    )
    sample = parser.feed(later, now=102.0)
    assert sample is not None
    assert sample.cpu == 50.0 and sample.cores == 2 and sample.load == (0.62, 0.43, 0.48)
    assert sample.top_cpu[0].name == "process_api" and sample.top_cpu[0].cpu == 50.0
    assert [f.mount for f in sample.filesystems] == ["/"]
    assert sample.net_rx == 0.0 and sample.services.note == "not read yet"


def test_units_and_journal_text() -> None:
    text = (
        "Id=k3s.service\nLoadState=loaded\nActiveState=active\nSubState=running\n\n"
        "Id=k3s-agent.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n\n"
        "Id=systemd-resolved.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\n"
    )
    services = parse_services(text, "3\n")
    assert [(u.name, u.active) for u in services.units] == [
        ("k3s", "active"),
        ("systemd-resolved", "failed"),
    ]
    assert services.k3s == Unit("k3s", "active", "running") and services.journal_errors == 3
    booted = "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
    none = parse_services(booted, "none\n")
    assert none.units == () and none.note == "systemd is not running on this host"
    assert none.k3s is None and none.journal_errors is None


def test_targets() -> None:
    assert parse_target("root@10.0.0.5:2222") == SshTarget("10.0.0.5", "root", 2222)
    assert parse_target("vps-1") == SshTarget("vps-1")
    assert parse_target("ops@[::1]:22") == SshTarget("::1", "ops", 22)
    for bad in ("root@host;reboot", "a b", "host:99999", "@host", ""):
        with pytest.raises(ValueError):
            parse_target(bad)
