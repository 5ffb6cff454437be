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
URL = re.compile(r"^(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%-]*)?$")
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
        argv = self.commands(params)[0] if self.check_only(params) else ["TOOL"]
        return kubectl(context, "exec", target.name, "--", *argv, namespace=target.namespace)

    def check_only(self, params: JSON) -> bool:
        try:
            return bool(self.commands(params))
        except (KeyError, ValueError):
            return False

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
        if via == "exec":
            r: ExecResult = plan.data["result"]
            return self.outcome(plan, r.code, r.out + r.err, r.seconds, emit, "exec")
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


def service_names(ctx: Context) -> list[str]:
    """Every Service by its DNS name, kubernetes.default first."""
    svcs = ctx.store.objects.get("services", {}).values() if ctx.store is not None else []
    names = sorted(f"{s.name}.{s.namespace}.{DOMAIN}" for s in svcs)
    return ["kubernetes.default", *[n for n in names if not n.startswith("kubernetes.default")]]


def service_ports(ctx: Context) -> list[str]:
    svcs = ctx.store.objects.get("services", {}).values() if ctx.store is not None else []
    out = sorted(f"{s.name}.{s.namespace}.{DOMAIN}:{p}" for s in svcs for p in s.ports)
    return out + list(getattr(ctx.settings, "probe_targets", []) or [])


class DnsProbe(Probe):
    id = "probe.dns"
    title = "Probe: DNS lookup from a pod"
    params = ("name",)
    tool = "nslookup"
    description = "nslookup of a Service name or kubernetes.default, from inside the pod"

    def defaults(self, ctx: Context, target: Target) -> JSON:
        return {"name": "kubernetes.default"}

    def choices(self, ctx: Context, target: Target) -> list[str]:
        return service_names(ctx)

    def check(self, ctx: Context, target: Target, params: JSON) -> str:
        name = str(params.get("name", "")).strip()
        return "" if NAME.match(name) else f"{name!r} is not a DNS name"

    def commands(self, params: JSON) -> list[list[str]]:
        return [["nslookup", str(params["name"]).strip()]]

    def what(self, params: JSON) -> str:
        return f"DNS {params.get('name', 'NAME')}"


class TcpProbe(Probe):
    id = "probe.tcp"
    title = "Probe: TCP connect from a pod"
    params = ("target",)
    tool = "nc"
    description = "nc -zv to a Service port, the Kafka bootstrap or a [probes] target"

    def defaults(self, ctx: Context, target: Target) -> JSON:
        """A Service that selects this pod (its endpoints), else the first one known."""
        pod = ctx.store.find("pods", target.namespace, target.name) if ctx.store else None
        svcs = ctx.store.objects.get("services", {}).values() if ctx.store is not None else []
        for s in svcs:
            if (
                pod is not None
                and s.namespace == pod.namespace
                and s.selector
                and s.ports
                and all(pod.labels.get(k) == v for k, v in s.selector.items())
            ):
                return {"target": f"{s.name}.{s.namespace}.{DOMAIN}:{s.ports[0]}"}
        known = service_ports(ctx)
        return {"target": known[0] if known else ""}

    def choices(self, ctx: Context, target: Target) -> list[str]:
        return service_ports(ctx)

    def check(self, ctx: Context, target: Target, params: JSON) -> str:
        t = str(params.get("target", "")).strip()
        ok = HOST_PORT.match(t) and 0 < int(t.rpartition(":")[2]) < 65536
        return "" if ok else f"{t!r}: give host:port (a Service name, or a [probes] target)"

    def commands(self, params: JSON) -> list[list[str]]:
        host, _, port = str(params["target"]).strip().rpartition(":")
        return [["nc", "-zv", "-w", "3", host, port]]

    def what(self, params: JSON) -> str:
        return f"TCP {params.get('target', 'HOST:PORT')}"


class HttpProbe(Probe):
    id = "probe.http"
    title = "Probe: HTTP GET from a pod"
    params = ("url",)
    tool = "curl or wget"
    description = "GET the container's readiness probe path (or a URL), status and latency"

    def defaults(self, ctx: Context, target: Target) -> JSON:
        return {"url": "readiness"}

    def check(self, ctx: Context, target: Target, params: JSON) -> str:
        url = str(params.get("url", "")).strip()
        return "" if url == "readiness" or URL.match(url) else f"{url!r} is not an http URL"

    def commands(self, params: JSON) -> list[list[str]]:
        url = str(params.get("resolved") or params["url"]).strip()
        return [
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}\\n",
             "--max-time", "5", url],
            ["wget", "-q", "-S", "-O", "/dev/null", "-T", "5", url],
        ]  # fmt: skip

    def what(self, params: JSON) -> str:
        return f"HTTP GET {params.get('resolved') or params.get('url', 'URL')}"

    def verdict(self, code: int | None, text: str) -> tuple[bool, str]:
        """curl's -w status (it exits 0 on a 503), else wget's -S status line."""
        found = re.search(r"(?:^|HTTP/[0-9.]+ )([1-5][0-9][0-9])\b", text, re.M)
        status = int(found.group(1)) if found else 0
        if not status:
            return False, ""
        return 200 <= status < 400, f" · HTTP {status}"

    def locate(self, ctx: Context, plan: Plan) -> Plan:
        """ "readiness": the container's readiness (else liveness) probe path and port."""
        params = dict(plan.data["params"])
        if str(params.get("url")).strip() == "readiness":
            t = plan.target
            try:
                pod = send(ctx, Request("GET", pod_path(t.namespace, t.name)))
            except ApiFailure as e:
                return replace(plan, refusal=str(e))
            url = readiness_url(pod, t.container)
            if not url:
                return replace(plan, refusal=f"{t.name} has no HTTP readiness or liveness"
                                             " probe: give a URL")  # fmt: skip
            params["resolved"] = url
        plan = replace(plan, data={**plan.data, "params": params})
        return super().locate(ctx, plan)


def readiness_url(pod: JSON, container: str) -> str:
    for c in (pod.get("spec") or {}).get("containers") or []:
        if container and c.get("name") != container:
            continue
        for key in ("readinessProbe", "livenessProbe"):
            get = (c.get(key) or {}).get("httpGet")
            if get:
                port = get.get("port")
                if not isinstance(port, int):  # a named port
                    port = next((p.get("containerPort") for p in c.get("ports") or []
                                 if p.get("name") == port), 80)  # fmt: skip
                scheme = str(get.get("scheme", "HTTP")).lower()
                return f"{scheme}://localhost:{port}{get.get('path', '/')}"
    return ""


class GitSourceProbe(Probe):
    id = "probe.git-source"
    title = "Probe: git ls-remote of a GitRepository, from source-controller"
    target_kind = "cluster"
    params = ("source",)
    tool = "git"
    image = GIT_IMAGE
    description = "git ls-remote of the GitRepository's URL, from flux-system's source-controller"

    @staticmethod
    def repos(ctx: Context) -> dict[str, str]:
        found = ctx.store.flux_objects() if ctx.store is not None else []
        return {f"{o.namespace}/{o.name}": str(o.url or "") for o in found
                if o.kind == "GitRepository"}  # fmt: skip

    def defaults(self, ctx: Context, target: Target) -> JSON:
        repos = self.repos(ctx)
        first = "flux-system/flux-system" if "flux-system/flux-system" in repos else ""
        return {"source": first or next(iter(repos), "")}

    def choices(self, ctx: Context, target: Target) -> list[str]:
        return sorted(self.repos(ctx))

    def commands(self, params: JSON) -> list[list[str]]:
        return [["git", "ls-remote", str(params["url"])]]

    def what(self, params: JSON) -> str:
        return f"git ls-remote {params.get('url', 'URL')}"

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        return kubectl(context, "exec", "deploy/source-controller", "--", "git", "ls-remote",
                       str(params.get("url", "URL")), namespace="flux-system")  # fmt: skip

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        source = str(params.get("source", "")).strip()
        url = self.repos(ctx).get(source, "")
        pods = [p for p in ctx.store.pods.values() if p.namespace == "flux-system"
                and p.name.startswith("source-controller")] if ctx.store else []  # fmt: skip
        where = Target("pod", "flux-system", pods[0].name if pods else "source-controller")
        refusal = "" if pods else "no source-controller pod in flux-system"
        if source not in self.repos(ctx):
            refusal = refusal or f"no GitRepository {source!r}: one of {', '.join(self.repos(ctx))}"
        elif not GIT_URL.match(url):
            refusal = refusal or f"the GitRepository's URL {url!r} cannot be probed"
        plan = super().plan(ctx, where, {**params, "url": url})
        return replace(plan, refusal=plan.refusal or refusal)


ACTIONS: list[Action] = [DnsProbe(), TcpProbe(), HttpProbe(), GitSourceProbe()]
