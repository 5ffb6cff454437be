"""Inside the cluster, from a pod: the runbook's exec/curl/nc/nslookup/git checks, each
from a fixed list of commands (the operator chooses a target, never a command line).

- `probe.dns`: nslookup of a Service name or kubernetes.default;
- `probe.tcp`: nc -zv to a Service port, the Kafka bootstrap, or a `[probes] targets`
  host:port (database-host:5432);
- `probe.http`: an HTTP GET of the container's readiness (else liveness) probe path and
  port by default, with status and latency (curl, else busybox wget);
- `probe.git-source`: git ls-remote of a GitRepository's URL, from source-controller.

Each runs first by exec in the chosen pod, when its image has the tool (read-only: it
stays in read-only mode, and is audited). When the image lacks it, the confirmation
offers an ephemeral debug container in that pod (it stays in the pod's spec until the
pod is replaced) or a throwaway pod, always deleted afterwards, even on Esc or an API
failure; both change the cluster, so neither is offered in read-only mode.
"""

from __future__ import annotations

import re
import secrets
import shlex
import threading
import time
from dataclasses import replace
from typing import Any

from actions.base import JSON, Action, Context, Emit, Outcome, Plan, Request, Target, kubectl
from actions.gitops import Way
from actions.kubernetes import ApiFailure, send
from tui.sources.podexec import ExecError, ExecResult, exec_command

BUSYBOX = "busybox:1.36"
GIT_IMAGE = "alpine/git:2.45.2"
DOMAIN = "svc.cluster.local"
NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
HOST_PORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}:[0-9]{1,5}$")
# a target is never an option (curl -o/tmp/x): it begins with a letter or a digit
URL = re.compile(r"^(https?://)?[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?(/[A-Za-z0-9._~/%-]*)?$")
GIT_URL = re.compile(r"^(https?|ssh)://[A-Za-z0-9@._:/~-]+$")
WAIT = 60.0  # seconds a debug container or a throwaway pod may take


def pod_path(ns: str, name: str) -> str:
    return f"/api/v1/namespaces/{ns}/pods/{name}"


class Probe(Action):
    target_kind = "pod"
    mutating = False  # by exec it changes nothing; the fallbacks are confirmed
    mitigates = False
    tool = ""
    image = BUSYBOX

    def commands(self, params: JSON) -> list[list[str]]:
        """The command lines to try by exec, in order (curl, then wget)."""
        raise NotImplementedError

    def check(self, ctx: Context, target: Target, params: JSON) -> str:
        """Why the parameters are refused, or ""."""
        return ""

    def what(self, params: JSON) -> str:
        raise NotImplementedError

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        try:  # the placeholders of `actions --json` make no command line
            argv = self.commands(params)[0]
        except (KeyError, ValueError):
            argv = ["TOOL"]
        return kubectl(context, "exec", target.name, "--", *argv, namespace=target.namespace)

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        refusal = self.check(ctx, target, params)
        return self.make_plan(
            ctx, target, params, (),
            f"{self.what(params)}, from {target.namespace}/{target.name}: by exec if its image"
            f" has {self.tool}, else a debug container or a throwaway pod (you choose).",
            refusal=refusal, data={"params": params, "audit": True},
        )  # fmt: skip

    # -- where it runs -----------------------------------------------------------------
    def locate(self, ctx: Context, plan: Plan) -> Plan:
        """In a worker thread: the probe by exec in the pod. Done when the image has the
        tool (the result is in the plan), else the plan for the fallbacks."""
        t = plan.target
        for argv in self.commands(plan.data["params"]):
            try:
                r = exec_command(ctx.client, t.namespace, t.name, argv, t.container)  # type: ignore[arg-type]
            except ExecError as e:
                return replace(plan, refusal=str(e))
            if not r.missing:
                same = kubectl(ctx.context, "exec", t.name, "--", *argv, namespace=t.namespace)
                data = {**plan.data, "via": "exec", "result": r, "argv": argv}
                return replace(plan, data=data, equivalent=same)
        lacks = f"{t.name}'s image has no {self.tool}"
        return replace(
            plan,
            data={**plan.data, "via": ""},
            summary=f"{lacks}. 1: an ephemeral debug container ({self.image}) runs it once and"
            " stays in the pod's spec, terminated, until the pod is replaced. 2: a throwaway"
            " pod runs it and is deleted afterwards, even on Esc or an API failure.",
        )

    def ways(self, ctx: Context, plan: Plan) -> list[Way]:
        t = plan.target
        argv = self.commands(plan.data["params"])[0]
        debug = f"debugger-{secrets.token_hex(3)}"
        container = {"name": debug, "image": self.image, "command": argv,
                     "stdin": False, "tty": False}  # fmt: skip
        if t.container:
            container["targetContainerName"] = t.container
        patch = Request(
            "PATCH",
            pod_path(t.namespace, t.name) + "/ephemeralcontainers",
            {"spec": {"ephemeralContainers": [container]}},
            "application/strategic-merge-patch+json",
        )
        throwaway = f"incident-console-probe-{secrets.token_hex(3)}"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": throwaway,
                "namespace": t.namespace,
                "labels": {"app.kubernetes.io/managed-by": "incident-console"},
            },
            "spec": {
                "restartPolicy": "Never",
                "terminationGracePeriodSeconds": 0,
                "containers": [{"name": "probe", "image": self.image, "command": argv}],
            },
        }
        create = Request("POST", f"/api/v1/namespaces/{t.namespace}/pods", pod)
        lacks = f"{t.name}'s image has no {self.tool}"
        words = ["--image", self.image, "--", *argv]
        ns = t.namespace
        debug_cli = kubectl(ctx.context, "debug", t.name, f"--container={debug}", *words,
                            namespace=ns)  # fmt: skip
        run_cli = kubectl(ctx.context, "run", throwaway, "--rm", "-i", "--restart=Never", *words,
                          namespace=ns)  # fmt: skip
        ephemeral = replace(
            plan,
            requests=(patch,),
            equivalent=debug_cli,
            data={**plan.data, "via": "ephemeral", "debug": debug, "argv": argv},
            summary=f"{lacks}. Add the debug container {debug} ({self.image}) to it: it runs"
            f" {shlex.join(argv)} once, then stays in the pod's spec (terminated) until the"
            " pod is replaced.",
        )
        pod_plan = replace(
            plan,
            requests=(create,),
            equivalent=run_cli,
            data={**plan.data, "via": "pod", "pod": throwaway, "argv": argv},
            summary=f"{lacks}. Create the pod {throwaway} ({self.image}) in {ns}: it runs"
            f" {shlex.join(argv)} once and is deleted afterwards, even on Esc or failure.",
        )
        return [
            Way("ephemeral", f"Ephemeral debug container in {t.name} (stays in its spec)",
                (ephemeral,)),
            Way("pod", f"Throwaway pod in {t.namespace} (deleted afterwards)", (pod_plan,)),
        ]  # fmt: skip

    # -- the run -----------------------------------------------------------------------
    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        if plan.refusal:
            return Outcome(False, plan.refusal)
        via, argv = plan.data.get("via"), plan.data.get("argv") or []
        emit(f"$ {shlex.join(argv)}   # {via}")
        if plan.data.get("result") is not None:  # done by exec, or through a port-forward
            r: ExecResult = plan.data["result"]
            return self.outcome(plan, r.code, r.out + r.err, r.seconds, emit, str(via))
        started = time.monotonic()
        try:
            if via == "ephemeral":
                code, text = self.in_debug_container(ctx, plan, emit, stop)
            else:
                code, text = self.in_throwaway_pod(ctx, plan, emit, stop)
        except ApiFailure as e:
            return Outcome(False, f"{via}: {e}")
        return self.outcome(plan, code, text, time.monotonic() - started, emit, str(via))

    def verdict(self, code: int | None, text: str) -> tuple[bool, str]:
        """Whether the probe passed, and what to add to its row."""
        return code == 0, ""

    def outcome(self, plan: Plan, code: int | None, text: str, seconds: float, emit: Emit,
                via: str) -> Outcome:  # fmt: skip
        for line in text.splitlines()[-40:]:
            emit(f"  {line}")
        ok, said = self.verdict(code, text)
        t = plan.target
        row = (
            f"{'ok' if ok else 'failed'} · {self.what(plan.data['params'])} · from"
            f" {t.namespace}/{t.name} ({via}) · {seconds * 1000:.0f} ms{said}"
            + ("" if code in (0, None) else f" · exit {code}")
            + ("" if code is not None else " · no answer in time")
        )
        return Outcome(ok, row)

    def wait(self, ctx: Context, path: str, done: Any, stop: threading.Event) -> Any:
        deadline = time.monotonic() + WAIT
        while not stop.is_set() and time.monotonic() < deadline:
            obj = send(ctx, Request("GET", path))
            found = done(obj)
            if found is not None:
                return found
            stop.wait(0.3)
        return None

    def logs(self, ctx: Context, ns: str, pod: str, container: str) -> str:
        """What the container printed (its logs: it has ended)."""
        from tui.sources.client import ApiError

        try:
            resp = ctx.client.open(  # type: ignore[attr-defined]
                "GET", f"{pod_path(ns, pod)}/log", query={"container": container}, accept="*/*"
            )
            try:
                return str(resp.data.decode(errors="replace"))
            finally:
                resp.release_conn()
        except ApiError as e:
            return f"(its logs could not be read: {e.message})"
        except Exception as e:
            return f"(its logs could not be read: {type(e).__name__})"

    def in_debug_container(self, ctx: Context, plan: Plan, emit: Emit,
                           stop: threading.Event) -> tuple[int | None, str]:  # fmt: skip
        t, debug = plan.target, plan.data["debug"]
        send(ctx, plan.requests[0])
        emit(f"debug container {debug} added to {t.name}; waiting for it to end")

        def ended(pod: JSON) -> Any:
            for s in (pod.get("status") or {}).get("ephemeralContainerStatuses") or []:
                term = (s.get("state") or {}).get("terminated")
                if s.get("name") == debug and term:
                    return term
            return None

        term = self.wait(ctx, pod_path(t.namespace, t.name), ended, stop)
        text = self.logs(ctx, t.namespace, t.name, debug)
        return (term or {}).get("exitCode"), text

    def in_throwaway_pod(self, ctx: Context, plan: Plan, emit: Emit,
                         stop: threading.Event) -> tuple[int | None, str]:  # fmt: skip
        ns, name = plan.target.namespace, plan.data["pod"]
        send(ctx, plan.requests[0])
        emit(f"pod {name} created; waiting for it to end")
        try:

            def ended(pod: JSON) -> Any:
                phase = (pod.get("status") or {}).get("phase")
                if phase not in ("Succeeded", "Failed"):
                    return None
                st = ((pod.get("status") or {}).get("containerStatuses") or [{}])[0]
                return ((st.get("state") or {}).get("terminated") or {}).get("exitCode", 1)

            code = self.wait(ctx, pod_path(ns, name), ended, stop)
            return code, self.logs(ctx, ns, name, "probe")
        finally:  # always, even stopped or failed
            try:
                send(ctx, Request("DELETE", pod_path(ns, name)))
                emit(f"pod {name} deleted")
            except ApiFailure as e:
                emit(f"✖ pod {name} could not be deleted: {e}: delete it by hand")
