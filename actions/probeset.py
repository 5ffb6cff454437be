"""The four probes of the runbook (the base, where they run and how, is actions/probes.py):
DNS, TCP, HTTP and git ls-remote, each a fixed command line from its target."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from dataclasses import replace
from urllib.parse import urlsplit

from actions.base import JSON, Action, Context, Plan, Request, Target, kubectl
from actions.kubernetes import ApiFailure, send
from actions.probes import DOMAIN, GIT_IMAGE, GIT_URL, HOST_PORT, NAME, URL, Probe, pod_path
from actions.targets import services_selecting


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
        for s in services_selecting(ctx.store, target.namespace, target.name):
            if s.ports:
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
        through = self.through_forward(ctx, plan, str(params.get("resolved") or params["url"]))
        return through or super().locate(ctx, plan)

    @staticmethod
    def through_forward(ctx: Context, plan: Plan, url: str) -> Plan | None:
        """A localhost URL of a pod the console already forwards that port of: the GET
        goes from here through the forward (no exec, no tool needed in the image)."""
        from tui.sources.podexec import ExecResult

        u = urlsplit(url if "://" in url else f"http://{url}")
        if u.hostname not in ("localhost", "127.0.0.1") or ctx.forwards is None:
            return None
        port = u.port or 80
        fwd = next((f for f in ctx.forwards.listed()
                    if f.pod == plan.target.name and f.remote_port == port), None)  # fmt: skip
        if fwd is None:
            return None
        local = f"http://127.0.0.1:{fwd.local_port}{u.path or '/'}"
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(local, timeout=5) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError as e:
            return replace(plan, refusal=f"through the forward 127.0.0.1:{fwd.local_port}: {e}")
        took = time.perf_counter() - started
        result = ExecResult(0, f"{status} {took:.3f}\n", "", "port-forward", took)
        data = {**plan.data, "via": "port-forward", "result": result, "argv": ["GET", local]}
        return replace(plan, data=data, equivalent=f"curl -sS -o /dev/null {local}")


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
