"""Node metrics: what a host says about itself, locally (psutil) or from /proc text.

The parsers read the text a remote host returns (/proc/stat, /proc/meminfo,
/proc/loadavg, /proc/net/dev, `df -P`), so SSH hosts need no agent and no Python;
LocalHost samples this machine with psutil. Pure data: no Textual.

Not yet wired into the console (the node metrics issue): the SSH host, the sample
stream, the k3s unit and journal counts, and the pane come next.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import psutil

# Filesystems that are not disks an operator can fill.
PSEUDO_FS = frozenset(
    {
        "tmpfs",
        "devtmpfs",
        "overlay",
        "squashfs",
        "proc",
        "sysfs",
        "cgroup",
        "cgroup2",
        "devpts",
        "mqueue",
        "nsfs",
        "autofs",
        "securityfs",
        "debugfs",
        "tracefs",
        "configfs",
        "fusectl",
        "pstore",
        "bpf",
        "hugetlbfs",
        "ramfs",
        "efivarfs",
        "binfmt_misc",
        "shm",
        "none",
        "rpc_pipefs",
    }
)


@dataclass(frozen=True, slots=True)
class Filesystem:
    mount: str
    device: str
    size: int  # bytes
    used: int  # bytes
    available: int  # bytes (for the unprivileged: reserved blocks excluded)

    @property
    def percent(self) -> int:
        """Use% as df prints it: used / (used + available), rounded up."""
        denominator = self.used + self.available
        return math.ceil(100 * self.used / denominator) if denominator else 0


@dataclass(frozen=True, slots=True)
class Memory:
    total: int
    available: int
    swap_total: int
    swap_free: int

    @property
    def used_percent(self) -> float:
        return 100.0 * (self.total - self.available) / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """Jiffies of one CPU line of /proc/stat: (busy, total)."""

    busy: int
    total: int


def parse_proc_stat(text: str) -> dict[str, CpuTimes]:
    """'cpu' (all) and 'cpu0'.. -> busy and total jiffies (iowait counts as idle, as top)."""
    out: dict[str, CpuTimes] = {}
    for line in text.splitlines():
        if not line.startswith("cpu"):
            continue
        name, *fields = line.split()
        values = [int(v) for v in fields[:10] if v.isdigit()]
        if len(values) < 4:
            continue
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        total = sum(values[:8])  # guest time is already inside user/nice
        out[name] = CpuTimes(busy=total - idle, total=total)
    return out


def cpu_percent(before: CpuTimes, after: CpuTimes) -> float:
    elapsed = after.total - before.total
    return (
        max(0.0, min(100.0, 100.0 * (after.busy - before.busy) / elapsed)) if elapsed > 0 else 0.0
    )


def parse_meminfo(text: str) -> Memory:
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    available = values.get("MemAvailable", values.get("MemFree", 0))
    return Memory(
        values.get("MemTotal", 0), available, values.get("SwapTotal", 0), values.get("SwapFree", 0)
    )


def parse_loadavg(text: str) -> tuple[float, float, float]:
    parts = text.split()
    try:
        return float(parts[0]), float(parts[1]), float(parts[2])
    except (IndexError, ValueError):
        return 0.0, 0.0, 0.0


def parse_df(text: str) -> list[Filesystem]:
    """`df -P -T` (or `df -P`): the real filesystems, with size and used in bytes."""
    lines = text.strip().splitlines()
    if not lines:
        return []
    typed = "Type" in lines[0].split()
    out = []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) < (7 if typed else 6):
            continue
        device, fstype = parts[0], parts[1] if typed else ""
        rest = parts[2:] if typed else parts[1:]
        try:
            size, used, available = (int(x) * 1024 for x in rest[:3])
        except ValueError:
            continue
        mount = " ".join(rest[4:])
        if fstype in PSEUDO_FS or device in PSEUDO_FS or size == 0:
            continue
        out.append(Filesystem(mount, device, size, used, available))
    return out


def parse_net_dev(text: str) -> dict[str, tuple[int, int]]:
    """/proc/net/dev -> interface: (rx bytes, tx bytes), loopback left out."""
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines()[2:]:
        name, _, rest = line.partition(":")
        fields = rest.split()
        if len(fields) >= 9 and name.strip() != "lo":
            out[name.strip()] = (int(fields[0]), int(fields[8]))
    return out


@dataclass(frozen=True, slots=True)
class Proc:
    pid: int
    name: str
    cpu: float
    memory: float  # percent of RAM


@dataclass(frozen=True, slots=True)
class HostSample:
    at: float
    cpu: float
    per_core: tuple[float, ...]
    load: tuple[float, float, float]
    cores: int
    memory: Memory
    filesystems: tuple[Filesystem, ...]
    top_cpu: tuple[Proc, ...]
    top_memory: tuple[Proc, ...]


class LocalHost:
    """This machine, through psutil (the console on the node itself)."""

    name = "local"

    def __init__(self) -> None:
        psutil.cpu_percent(percpu=True)  # the first call only starts the measure

    def sample(self) -> HostSample:
        per_core = tuple(psutil.cpu_percent(percpu=True))
        vm, sw = psutil.virtual_memory(), psutil.swap_memory()
        filesystems = []
        for part in psutil.disk_partitions(all=False):
            if part.fstype in PSEUDO_FS:
                continue
            try:
                usage = psutil.disk_usage(part.mountpoint)
            except OSError:
                continue
            filesystems.append(
                Filesystem(part.mountpoint, part.device, usage.total, usage.used, usage.free)
            )
        procs = []
        for p in psutil.process_iter(["pid", "name", "cpu_percent", "memory_percent"]):
            info = p.info
            procs.append(
                Proc(
                    info["pid"],
                    info.get("name") or "?",
                    info.get("cpu_percent") or 0.0,
                    info.get("memory_percent") or 0.0,
                )
            )
        return HostSample(
            at=time.time(),
            cpu=sum(per_core) / len(per_core) if per_core else 0.0,
            per_core=per_core,
            load=psutil.getloadavg(),
            cores=psutil.cpu_count() or 1,
            memory=Memory(vm.total, vm.available, sw.total, sw.free),
            filesystems=tuple(filesystems),
            top_cpu=tuple(sorted(procs, key=lambda p: p.cpu, reverse=True)[:10]),
            top_memory=tuple(sorted(procs, key=lambda p: p.memory, reverse=True)[:10]),
        )
