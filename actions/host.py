"""The host remediations of the runbook (systemd, journal, images, caches, disk, checks).

Every command is an argv list built from the fixed words below; the only words that
come from elsewhere are a unit name checked against the units the host reports, a
retention checked against a strict pattern, and the API server's host and port from
the kubeconfig, checked and passed to the shell as arguments ($1, $2), never as code.
Over SSH the argv is sent with shlex.join, so each word arrives quoted.
"""

from __future__ import annotations

import re
import shlex
import threading
import urllib.parse
from dataclasses import dataclass

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Target

Argv = tuple[str, ...]


@dataclass(frozen=True)
class Step:
    argv: Argv
    role: str = "main"  # main: decides the outcome · info: before/after, shown only · follow
    timeout: float | None = 120.0
    sudo: bool = False  # needs root: `sudo -n` in front when the login is not root


JOURNAL_FOLLOW_LINES = "20"
DISK_PATH = "/var/lib"  # where images and the journal live
IMAGE_PRUNE = (
    "sh",
    "-c",
    "if command -v k3s >/dev/null 2>&1; then exec k3s crictl rmi --prune;"
    " else exec crictl rmi --prune; fi",
)
DROP_CACHES = ("sh", "-c", "sync && echo 3 > /proc/sys/vm/drop_caches")
MEMORY = ("free", "-m")
DISK_REPORT: tuple[Step, ...] = (
    Step(("df", "-h", "-x", "tmpfs", "-x", "devtmpfs", "-x", "overlay", "-x", "squashfs")),
    Step(("sh", "-c", "du -xh -d 1 /var 2>/dev/null | sort -rh | head -n 15"), role="info"),
    Step(("journalctl", "--disk-usage"), role="info"),
    Step(
        (
            "find",
            "/var/log",
            "-xdev",
            "-type",
            "f",
            "-size",
            "+100M",
            "-exec",
            "ls",
            "-lh",
            "{}",
            "+",
        ),
        role="info",
    ),
)
API_PORT_CHECK = 'timeout 5 bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$1" "$2" && echo "$1:$2 open"'
DIAGNOSTICS: dict[str, tuple[str, ...]] = {
    "dns": ("resolvectl", "status"),
    "resolv-conf": ("cat", "/etc/resolv.conf"),
    "firewall": ("ufw", "status", "verbose"),
    "listening": ("ss", "-tlnp"),
    "api-dns": ("getent", "hosts", "--", "{api_host}"),
    "api-port": ("sh", "-c", API_PORT_CHECK, "sh", "{api_host}", "{api_port}"),
}
RETENTION = re.compile(r"^(?P<n>[1-9][0-9]{0,5})(?P<unit>s|min|h|d|w|months|y|K|M|G)$")
HOSTNAME = re.compile(r"^[A-Za-z0-9.:][A-Za-z0-9.:-]{0,252}$")  # never an option ("-x")


def api_endpoint(server: str) -> tuple[str, str] | None:
    """The API server's host and port from its URL, when both are plain words."""
    url = urllib.parse.urlsplit(server)
    host = url.hostname or ""
    try:
        port = str(url.port or (443 if url.scheme == "https" else 80))
    except ValueError:
        return None
    return (host, port) if HOSTNAME.match(host) else None


def ssh_words(target: str) -> list[str]:
    """`ssh` as an operator would type it for a [user@]host[:port] target."""
    userhost, _, port = target.rpartition(":")
    if userhost and port.isdigit() and (":" not in userhost or userhost.endswith("]")):
        return ["ssh", "-p", port, userhost.replace("[", "").replace("]", "")]
    return ["ssh", target]


def host_units(ctx: Context, host: str) -> list[str]:
    view = ctx.store.hosts.get(host) if ctx.store is not None else None
    sample = getattr(view, "sample", None)
    return [u.name for u in sample.services.units] if sample is not None else []


class HostAction(Action):
    target_kind = "host"
    guide = ""  # the runbook's command, for the equivalent line

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        """The steps, or a refusal saying why this cannot run."""
        raise NotImplementedError

    def summary(self, target: Target, params: JSON) -> str:
        return self.description

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return self.guide

    def argv(self, ctx: Context, host: str, step: Step) -> Argv:
        root = ctx.hosts.is_root(host) if ctx.hosts is not None else True
        return ("sudo", "-n", *step.argv) if step.sudo and not root else step.argv

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        steps, refusal = self.steps(ctx, target, params)
        view = ctx.store.hosts.get(target.name) if ctx.store is not None else None
        if not refusal and view is not None and not view.status.state.ok:
            refusal = f"host {target.name} is {view.status.state.value}: {view.status.message}"
        commands = tuple(self.argv(ctx, target.name, s) for s in steps)
        reach = ctx.hosts.target(target.name) if ctx.hosts is not None else target.name
        lines = "; ".join(shlex.join(c) for c in commands if c)
        equivalent = lines if reach == "local" else shlex.join([*ssh_words(reach), lines])
        return Plan(
            self.id,
            self.title,
            target,
            ctx.context,
            (),
            equivalent,
            self.summary(target, params),
            dangerous=self.dangerous,
            refusal=refusal,
            data={"steps": steps, "params": params},
            host=target.name if reach == target.name else f"{target.name} ({reach})",
            commands=commands,
            confirm=self.confirm_word(target, params),
        )

    def confirm_word(self, target: Target, params: JSON) -> str:
        return target.name

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        if ctx.hosts is None:
            return Outcome(False, "no host is connected to this console")
        steps: tuple[Step, ...] = plan.data["steps"]
        outcome = Outcome(True, "done")
        for step, argv in zip(steps, plan.commands, strict=True):
            if stop.is_set():
                return Outcome(False, "stopped before the end")
            if step.role == "follow" and not outcome.ok:
                break
            emit(f"$ {shlex.join(argv)}")
            timeout = None if step.role == "follow" else step.timeout
            result = ctx.hosts.run(plan.target.name, argv, emit, stop, timeout, self.mutating)
            if result.error and result.error != "stopped":
                emit(f"✖ {result.error}")
            elif result.timed_out:
                emit(f"✖ timed out after {step.timeout:.0f} s; stopped")
            elif result.exit_code is not None and step.role != "follow":
                emit(f"exit code {result.exit_code}")
            if step.role == "main" and outcome.ok and result.exit_code != 0:
                why = (
                    result.error
                    or (f"timed out after {step.timeout:.0f} s" if result.timed_out else "")
                    or f"exit code {result.exit_code}"
                )
                outcome = Outcome(False, f"{shlex.join(argv)}: {why}")
        if outcome.ok:
            outcome = Outcome(True, self.done_message(plan))
        return outcome

    def done_message(self, plan: Plan) -> str:
        return f"{self.id} on {plan.target.name}: done"


class UnitAction(HostAction):
    params = ("unit",)

    def defaults(self, ctx: Context, target: Target) -> JSON:
        units = host_units(ctx, target.name)
        return {"unit": next((u for u in ("k3s", "k3s-agent") if u in units), "k3s")}

    def choices(self, ctx: Context, target: Target) -> list[str]:
        return host_units(ctx, target.name)

    def unit(self, ctx: Context, target: Target, params: JSON) -> tuple[str, str]:
        unit = str(params.get("unit", "")).strip().removesuffix(".service")
        known = host_units(ctx, target.name)
        if unit not in known:
            have = ", ".join(known) or "none (systemd not reported)"
            return unit, f"{unit!r} is not a unit {target.name} reports; it has: {have}"
        return unit, ""


class ServiceRestart(UnitAction):
    id = "host.service-restart"
    title = "Restart a service on the host"
    dangerous = True
    guide = "systemctl restart k3s"
    description = "systemctl restart UNIT, then its state and its journal, live"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return f"systemctl restart {shlex.quote(str(params.get('unit', 'UNIT')))}"

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        unit, refusal = self.unit(ctx, target, params)
        return (
            Step(("systemctl", "restart", unit), sudo=True),
            Step(("systemctl", "is-active", unit), role="info", timeout=10),
            Step(
                ("journalctl", "-u", unit, "-f", "-n", JOURNAL_FOLLOW_LINES, "--no-pager"),
                role="follow",
            ),
        ), refusal

    def summary(self, target: Target, params: JSON) -> str:
        unit = params.get("unit", "UNIT")
        return (
            f"Restart {unit} on {target.name}. While it restarts, what it serves stops "
            f"(for k3s: the API server on this node). Then its journal, live."
        )

    def confirm_word(self, target: Target, params: JSON) -> str:
        """HOST/UNIT: "k3s" alone is the same word on every node; the host says which."""
        unit = str(params.get("unit", "")).strip().removesuffix(".service")
        return f"{target.name}/{unit}" if unit else target.name


class ServiceStatus(UnitAction):
    id = "host.service-status"
    title = "Service status on the host"
    mutating = False
    guide = "systemctl status k3s"
    description = "systemctl status UNIT (read-only)"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return f"systemctl status {shlex.quote(str(params.get('unit', 'UNIT')))}"

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        unit, refusal = self.unit(ctx, target, params)
        # systemctl status exits 3 for a stopped unit: information, not a failure
        return (
            Step(("systemctl", "status", unit, "--no-pager", "-l", "-n", "30"), role="info"),
        ), refusal


class JournalTail(UnitAction):
    id = "host.journal-tail"
    title = "Follow the host's journal"
    mutating = False
    params = ("unit",)
    guide = "journalctl -u k3s -f"
    description = "journalctl -u UNIT -f, or --priority=err -f with unit 'err' (read-only)"

    def choices(self, ctx: Context, target: Target) -> list[str]:
        return [*host_units(ctx, target.name), "err"]

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        unit = str(params.get("unit", "UNIT"))
        return "journalctl --priority=err -f" if unit == "err" else f"journalctl -u {unit} -f"

    def steps(self, ctx: Context, target: Target, params: JSON) -> tuple[tuple[Step, ...], str]:
        unit = str(params.get("unit", "")).strip().removesuffix(".service")
        if unit == "err":
            argv: Argv = ("journalctl", "-p", "err", "-f", "-n", "100", "--no-pager")
            return (Step(argv, role="follow"),), ""
        unit, refusal = self.unit(ctx, target, params)
        return (
            Step(("journalctl", "-u", unit, "-f", "-n", "100", "--no-pager"), role="follow"),
        ), refusal


ACTIONS: list[Action] = [ServiceRestart(), ServiceStatus(), JournalTail()]
