"""`pod.port-forward` and `service.port-forward`: a local port on 127.0.0.1 to a pod's (or
a Service's ready pod's) port, through the API; listed in `:pf` (local port, target,
bytes, state), re-resolved to the new pod when the pod is replaced, closed at exit. They
read from the cluster and change nothing in it: offered in read-only mode. And
`pod.shell`: an interactive shell in the pod (bash, else sh), the console's screen
suspended meanwhile; it is a mutation in all but name (anything can be typed), so it is
confirmed, audited at its start and end, and gone in read-only mode."""

from __future__ import annotations

import re
import threading

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Target, kubectl
from actions.targets import services_selecting
from tui.sources.portforward import ForwardError

PORTS = re.compile(r"^(?:(?P<local>[0-9]{1,5}):)?(?P<remote>[0-9]{1,5})$")


def services_of(ctx: Context, target: Target) -> list[str]:
    """The Services whose selector picks the pod."""
    return [s.name for s in services_selecting(ctx.store, target.namespace, target.name)]


def ports_of(params: JSON) -> tuple[int, int] | str:
    m = PORTS.match(str(params.get("ports", "")).strip())
    if m is None:
        return "ports: LOCAL:REMOTE (8080:8080), or REMOTE alone (the same local port)"
    remote = int(m["remote"])
    local = int(m["local"]) if m["local"] is not None else remote
    if not (0 < remote < 65536 and 0 <= local < 65536):
        return "a port is between 1 and 65535 (local 0: any free port)"
    return local, remote


class PortForward(Action):
    id = "pod.port-forward"
    title = "Port-forward to the pod (127.0.0.1)"
    target_kind = "pod"
    mutating = False
    mitigates = False
    params: tuple[str, ...] = ("ports",)
    description = "A local port on 127.0.0.1 to the pod's port; :pf lists them"

    def defaults(self, ctx: Context, target: Target) -> JSON:
        return {"ports": "8080:8080"}

    def where(self, target: Target, params: JSON) -> tuple[str, str]:
        return "pod", target.name

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        kind, name = self.where(target, params)
        ports = str(params.get("ports", "LOCAL:REMOTE"))
        words = ("port-forward", "--address", "127.0.0.1", f"{kind}/{name}", ports)
        return kubectl(context, *words, namespace=target.namespace)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        ports = ports_of(params)
        refusal = ports if isinstance(ports, str) else ""
        if ctx.forwards is None:
            refusal = refusal or "port-forward needs the console (it holds the local port)"
        kind, name = self.where(target, params)
        if not name:
            refusal = refusal or f"no Service selects {target.name}"
        local, remote = ports if isinstance(ports, tuple) else (0, 0)
        return self.make_plan(
            ctx, target, params, (),
            f"Listen on 127.0.0.1:{local or 'any'} and forward each connection to {kind}"
            f" {name}:{remote} in {target.namespace}; :pf lists it, Esc there closes it.",
            refusal=refusal, data={"ports": ports, "kind": kind, "name": name},
        )  # fmt: skip

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        local, remote = plan.data["ports"]
        try:
            fwd = ctx.forwards.open(plan.data["kind"], plan.target.namespace, plan.data["name"],
                                    remote, local)  # fmt: skip
        except ForwardError as e:
            return Outcome(False, str(e))
        emit(f"127.0.0.1:{fwd.local_port} → {fwd.target} (now pod {fwd.pod})")
        return Outcome(True, f"forwarding 127.0.0.1:{fwd.local_port} → {fwd.target}; :pf lists it")


class ServicePortForward(PortForward):
    id = "service.port-forward"
    title = "Port-forward to a Service of the pod (127.0.0.1)"
    params = ("service", "ports")
    description = "A local port to a Service's ready pod, re-resolved at each connection"

    def defaults(self, ctx: Context, target: Target) -> JSON:
        found = services_of(ctx, target)
        return {"service": found[0] if found else "", "ports": "8080:8080"}

    def choices(self, ctx: Context, target: Target) -> list[str]:
        return services_of(ctx, target)

    def where(self, target: Target, params: JSON) -> tuple[str, str]:
        return "service", str(params.get("service", "")).strip()


class PodShell(Action):
    id = "pod.shell"
    title = "Shell in the pod (interactive)"
    target_kind = "pod"
    mitigates = False
    description = "bash, else sh, in the container; the console comes back at exit"
    key = "x"  # k9s: s; here s scales

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        words = ["exec", "-it", target.name]
        if target.container:
            words += ["-c", target.container]
        return kubectl(context, *words, "--", "sh", "-c", SHELL, namespace=target.namespace)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        return self.make_plan(
            ctx, target, params, (),
            f"Open an interactive shell in {target.name}"
            + (f" (container {target.container})" if target.container else "")
            + ": the console's screen is suspended until you leave it (exit or ^D). What you"
            " type runs in the pod as its user; the start and the end are audited.",
            data={"external": "an interactive exec (stdin, tty) through the API's websocket",
                  "external_to": "the pod"},
        )  # fmt: skip

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        return Outcome(False, "a shell runs in the console's own terminal")


SHELL = "command -v bash >/dev/null 2>&1 && exec bash || exec sh"
ACTIONS: list[Action] = [PortForward(), ServicePortForward(), PodShell()]
