"""Parsers for the text a Linux host gives about itself, and the shell it is read with.

An SSH host needs no agent and no Python: one long-lived `sh` loop prints /proc/stat,
/proc/meminfo, /proc/loadavg, /proc/net/dev, every /proc/PID/stat and `df -P -T -l`
between markers; `ProcText` turns each block into a HostSample. The scripts are fixed
text: nothing from the cluster or the operator is ever put into them but numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tui.store.host import UNITS, Filesystem, HostSample, Memory, Proc, Services, Unit

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


def parse_pid_stats(text: str) -> dict[int, tuple[str, int, int]]:
    """Every /proc/PID/stat line -> pid: (name, user+system ticks, RSS pages)."""
    out: dict[int, tuple[str, int, int]] = {}
    for line in text.splitlines():
        open_, close = line.find("("), line.rfind(")")  # the name may hold spaces and ')'
        if open_ < 0 or close < open_:
            continue
        fields = line[close + 2 :].split()
        try:
            pid = int(line[:open_])
            ticks = int(fields[11]) + int(fields[12])
            rss = int(fields[21])
        except (ValueError, IndexError):
            continue
        out[pid] = (line[open_ + 1 : close], ticks, rss)
    return out


def parse_units(text: str) -> tuple[tuple[Unit, ...], str]:
    """`systemctl show -p Id,LoadState,ActiveState,SubState U...` -> the units present.

    Units systemd does not know (LoadState=not-found) are left out. Without systemd the
    output has no Id= lines: the note says why, from systemctl's own first line.
    """
    units: list[Unit] = []
    seen_any = False
    for block in text.strip().split("\n\n"):
        props = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        if "Id" not in props:
            continue
        seen_any = True
        if props.get("LoadState") in ("not-found", "masked", ""):
            continue
        name = props["Id"].removesuffix(".service")
        units.append(Unit(name, props.get("ActiveState", "?"), props.get("SubState", "")))
    if seen_any:
        return tuple(units), ""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if "not been booted with systemd" in first or "Failed to connect to bus" in first:
        return (), "systemd is not running on this host"
    if "not found" in first:
        return (), "no systemctl on this host"
    return (), first or "systemctl gave no answer"


def parse_journal_count(text: str) -> int | None:
    word = text.strip().split()[:1]
    return int(word[0]) if word and word[0].isdigit() else None


# Systemd units and the count of err entries in the last hour; run every ten seconds or so.
SERVICES_SCRIPT = (
    "systemctl show -p Id -p LoadState -p ActiveState -p SubState "
    + " ".join(f"{u}.service" for u in UNITS)
    + " 2>&1 | head -n 100; echo @@journal; "
    "if command -v journalctl >/dev/null 2>&1; then "
    "journalctl -q --no-pager -p err --since '-1h' -o json --output-fields=PRIORITY 2>/dev/null"
    " | wc -l; else echo none; fi"
)


def sampler_script(interval: float, services_every: int) -> str:
    """The one remote command that samples an SSH host until the connection ends.

    POSIX sh and coreutils only; `LC_ALL=C` so numbers and df's columns are the same
    everywhere. Only the two numbers given here are put into the text.
    """
    return (
        "export LC_ALL=C; echo @@pagesize; getconf PAGESIZE; i=0; while :; do "
        "echo @@stat; cat /proc/stat; echo @@meminfo; cat /proc/meminfo; "
        "echo @@loadavg; cat /proc/loadavg; echo @@netdev; cat /proc/net/dev; "
        "echo @@df; df -P -T -l 2>/dev/null; echo @@pids; cat /proc/[0-9]*/stat 2>/dev/null; "
        f"if [ $((i % {int(services_every)})) -eq 0 ]; then echo @@units; {SERVICES_SCRIPT}; fi; "
        f"echo @@end; i=$((i + 1)); sleep {float(interval):g}; done"
    )


def split_sections(text: str) -> dict[str, str]:
    """'@@name' lines start sections; each name -> its text."""
    out: dict[str, str] = {}
    name, lines = "", list[str]()
    for line in text.split("\n"):
        if line.startswith("@@") and " " not in line:
            if name:
                out[name] = "\n".join(lines)
            name, lines = line[2:], []
        else:
            lines.append(line)
    if name:
        out[name] = "\n".join(lines)
    return out


def parse_services(units_text: str, journal_text: str) -> Services:
    units, note = parse_units(units_text)
    return Services(units, note, parse_journal_count(journal_text))


@dataclass
class _Previous:
    at: float
    cpus: dict[str, CpuTimes]
    pids: dict[int, tuple[str, int, int]]
    net: dict[str, tuple[int, int]]


class ProcText:
    """Turns the sampler's blocks into samples; the first block only sets the baseline."""

    def __init__(self) -> None:
        self.page_size = 4096
        self.previous: _Previous | None = None
        self.services = Services(note="not read yet")

    def feed(self, block: str, now: float | None = None) -> HostSample | None:
        started = time.perf_counter()
        now = time.time() if now is None else now
        sections = split_sections(block)
        if "pagesize" in sections:
            words = sections["pagesize"].split()
            if words and words[0].isdigit():
                self.page_size = int(words[0])
        if "units" in sections:
            self.services = parse_services(sections["units"], sections.get("journal", ""))
        if "stat" not in sections:
            return None
        cpus = parse_proc_stat(sections["stat"])
        pids = parse_pid_stats(sections.get("pids", ""))
        net = parse_net_dev(sections.get("netdev", ""))
        previous, self.previous = self.previous, _Previous(now, cpus, pids, net)
        if previous is None or "cpu" not in cpus or "cpu" not in previous.cpus:
            return None
        cores = max(1, len(cpus) - 1)
        per_core = tuple(
            cpu_percent(previous.cpus[name], times)
            for name, times in cpus.items()
            if name != "cpu" and name in previous.cpus
        )
        memory = parse_meminfo(sections.get("meminfo", ""))
        elapsed_ticks = (cpus["cpu"].total - previous.cpus["cpu"].total) / cores
        procs = []
        for pid, (name, ticks, rss) in pids.items():
            before = previous.pids.get(pid)
            used = ticks - before[1] if before is not None and before[0] == name else 0
            cpu = 100.0 * used / elapsed_ticks if elapsed_ticks > 0 else 0.0
            mem = 100.0 * rss * self.page_size / memory.total if memory.total else 0.0
            procs.append(Proc(pid, name, round(cpu, 1), round(mem, 1)))
        seconds = max(1e-6, now - previous.at)
        rx = sum(max(0, v[0] - previous.net.get(k, v)[0]) for k, v in net.items())
        tx = sum(max(0, v[1] - previous.net.get(k, v)[1]) for k, v in net.items())
        return HostSample(
            at=now,
            cpu=cpu_percent(previous.cpus["cpu"], cpus["cpu"]),
            per_core=per_core,
            load=parse_loadavg(sections.get("loadavg", "")),
            cores=cores,
            memory=memory,
            filesystems=tuple(parse_df(sections.get("df", ""))),
            top_cpu=tuple(sorted(procs, key=lambda p: (-p.cpu, -p.memory))[:10]),
            top_memory=tuple(sorted(procs, key=lambda p: -p.memory)[:10]),
            net_rx=rx / seconds,
            net_tx=tx / seconds,
            services=self.services,
            took=time.perf_counter() - started,
        )
