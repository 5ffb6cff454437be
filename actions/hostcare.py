"""The host's upkeep and checks from the runbook: journal vacuum, image prune, drop
caches (each with the usage before and after), the disk report and the diagnostics.
The same rules as actions/host.py: argv lists of fixed words, checked inputs only."""

from __future__ import annotations

from actions.base import JSON, Action, Context, Target
from actions.host import (
    DIAGNOSTICS,
    DISK_PATH,
    DISK_REPORT,
    DROP_CACHES,
    IMAGE_PRUNE,
    MEMORY,
    RETENTION,
    HostAction,
    Step,
    api_endpoint,
)


class JournalVacuum(HostAction):
    id = "host.journal-vacuum"
    title = "Vacuum the host's journal"
    dangerous = True
    params = ("keep",)
    guide = "journalctl --vacuum-time=7d"
    description = "journalctl --vacuum-time / --vacuum-size, disk usage before and after"

    def defaults(self, ctx: Context, target: Target) -> JSON:
        return {"keep": "7d"}

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        keep = str(params.get("keep", "KEEP"))
        return f"journalctl {self._flag(keep) or '--vacuum-time=' + keep}"

    @staticmethod
    def _flag(keep: str) -> str:
        m = RETENTION.match(keep)
        if m is None:
            return ""
        kind = "size" if m["unit"] in ("K", "M", "G") else "time"
        return f"--vacuum-{kind}={keep}"

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        keep = str(params.get("keep", "")).strip()
        flag = self._flag(keep)
        refusal = (
            "" if flag else f"keep {keep!r} is neither a time (7d, 12h, 2w) nor a size (500M, 1G)"
        )
        usage = Step(("journalctl", "--disk-usage"), role="info", timeout=30)
        return (usage, Step(("journalctl", flag or "--vacuum-time=?"), sudo=True), usage), refusal

    def summary(self, target: Target, params: JSON) -> str:
        return (
            f"Delete archived journal files on {target.name} beyond {params.get('keep')}; "
            "the disk usage is shown before and after."
        )


class ImagePrune(HostAction):
    id = "host.image-prune"
    title = "Prune unused container images on the host"
    dangerous = True
    guide = "k3s crictl rmi --prune"
    description = "k3s crictl rmi --prune (else crictl), disk usage before and after"

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        disk = Step(("df", "-h", DISK_PATH), role="info", timeout=30)
        return (disk, Step(IMAGE_PRUNE, sudo=True, timeout=600), disk), ""

    def summary(self, target: Target, params: JSON) -> str:
        return (
            f"Remove every image no container uses on {target.name}; a pod that needs one "
            f"again pulls it. The disk usage of {DISK_PATH} is shown before and after."
        )


class DropCaches(HostAction):
    id = "host.drop-caches"
    title = "Drop the host's page cache"
    guide = "echo 3 > /proc/sys/vm/drop_caches"
    description = "sync, then echo 3 > /proc/sys/vm/drop_caches, memory before and after"

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        memory = Step(MEMORY, role="info", timeout=10)
        return (memory, Step(DROP_CACHES, sudo=True, timeout=120), memory), ""

    def summary(self, target: Target, params: JSON) -> str:
        return (
            f"Write dirty pages to disk and free the page cache on {target.name}; reads are "
            "slower for a while. Memory is shown before and after."
        )


class DiskReport(HostAction):
    id = "host.disk-report"
    title = "Disk report of the host"
    mutating = False
    guide = "df -h; du -h /var; journalctl --disk-usage"
    description = (
        "df, the biggest directories under /var, journal disk usage, big files in /var/log"
    )

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        return DISK_REPORT, ""


class RunDiagnostic(HostAction):
    id = "host.run-diagnostic"
    title = "Run a diagnostic on the host"
    mutating = False
    params = ("check",)
    guide = "resolvectl status; ufw status verbose; ss -tlnp"
    description = "read-only checks from a fixed list: " + ", ".join(DIAGNOSTICS) + ", or all"

    def defaults(self, ctx: Context, target: Target) -> JSON:
        return {"check": "all"}

    def choices(self, ctx: Context, target: Target) -> list[str]:
        return [*DIAGNOSTICS, "all"]

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        check = str(params.get("check", "")).strip()
        names = list(DIAGNOSTICS) if check == "all" else [check]
        if any(n not in DIAGNOSTICS for n in names):
            return (), f"no check named {check!r}: one of {', '.join(DIAGNOSTICS)}, all"
        endpoint = api_endpoint(ctx.api_server)
        steps = []
        for name in names:
            argv = DIAGNOSTICS[name]
            if "{api_host}" in argv or "{api_port}" in argv:
                if endpoint is None:
                    if check != "all":
                        return (), f"the API server's address {ctx.api_server!r} is not usable"
                    continue
                argv = tuple(
                    w.replace("{api_host}", endpoint[0]).replace("{api_port}", endpoint[1])
                    if w in ("{api_host}", "{api_port}")
                    else w
                    for w in argv
                )
            steps.append(Step(argv, role="info", timeout=30))
        return tuple(steps), ""


ACTIONS: list[Action] = [
    JournalVacuum(),
    ImagePrune(),
    DropCaches(),
    DiskReport(),
    RunDiagnostic(),
]
