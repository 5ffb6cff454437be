"""Host metrics from real /proc text and real psutil on this machine, and edge cases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psutil

from tui.sources.host import (
    CpuTimes,
    LocalHost,
    cpu_percent,
    parse_df,
    parse_loadavg,
    parse_meminfo,
    parse_net_dev,
    parse_proc_stat,
)


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
