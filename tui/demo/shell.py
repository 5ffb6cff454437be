"""What a command run in a demo container prints, from the demo's topology: the tools
its image has (busybox: nslookup, nc, wget; the api-gateway image: curl and bash; the
Flux controllers: none, not even a shell), Services and their endpoints for DNS and TCP,
the pod's readiness for its own /health (503 while it is OOMKilled), the GitRepository
for git ls-remote. `database-host:5432` does not answer; the Kafka bootstrap does."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Obj = dict[str, Any]
DNS = "10.43.0.10"
DOMAIN = "svc.cluster.local"
BUSYBOX = {"sh", "nslookup", "nc", "wget", "echo", "cat", "hostname", "env", "ls", "sleep"}
TOOLS: list[tuple[str, set[str]]] = [  # by image prefix, the first that matches
    ("busybox", BUSYBOX),
    ("docker.io/library/busybox", BUSYBOX),
    ("alpine/git", {"sh", "git", "nslookup", "nc", "wget", "echo", "cat", "ls", "sleep"}),
    ("registry.example.com/mercurious/", {"sh", "bash", "curl", "echo", "cat", "ls", "env"}),
    ("ghcr.io/fluxcd/", set()),  # distroless: no shell
    ("", {"sh", "echo", "cat", "ls", "env", "hostname", "sleep", "tar"}),
]
NOT_FOUND = 126  # what the runtime answers for a binary the image lacks


def tools_of(image: str) -> set[str]:
    return next(t for prefix, t in TOOLS if image.startswith(prefix))


@dataclass
class Result:
    out: str = ""
    err: str = ""
    code: int = 0
    missing: str = ""  # the executable the image lacks (the runtime's error)


class Shell:
    def __init__(self, cluster: Any, pod: Obj, container: str) -> None:
        self.cluster, self.pod = cluster, pod
        spec = pod.get("spec") or {}
        every = (spec.get("containers") or []) + (spec.get("ephemeralContainers") or [])
        found = next((c for c in every if c.get("name") == container), None)
        found = found or (every[0] if every else {})
        self.container = found
        self.tools = tools_of(str(found.get("image", "")))
        self.ns = pod["metadata"].get("namespace", "default")

    def run(self, argv: list[str]) -> Result:
        if not argv:
            return Result()
        name = argv[0].rsplit("/", 1)[-1]
        if name not in self.tools:
            return Result(missing=argv[0], code=NOT_FOUND)
        if name in ("sh", "bash") and len(argv) >= 3 and argv[1] == "-c":
            return self.script(argv[2])
        handler: Callable[[list[str]], Result] | None = getattr(self, f"cmd_{name}", None)
        if handler is None:
            return Result(out="", code=0)
        return handler(argv[1:])

    def script(self, text: str) -> Result:
        """`sh -c`: commands joined by ; && || (no more of a shell than the probes need)."""
        out = Result()
        try:
            lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            words = list(lexer)
        except ValueError as e:
            return Result(err=f"sh: syntax error: {e}\n", code=2)
        command: list[str] = []
        op = ";"
        for w in [*words, ";"]:
            if w not in (";", "&&", "||"):
                command.append(w)
                continue
            if command and (op == ";" or (op == "&&") == (out.code == 0)):
                r = self.builtin(command)
                out = Result(out.out + r.out, out.err + r.err, r.code)
            command, op = [], w
        return out

    def builtin(self, argv: list[str]) -> Result:
        if argv[:2] == ["command", "-v"] and len(argv) == 3:
            found = argv[2] in self.tools
            return Result(out=f"/bin/{argv[2]}\n" if found else "", code=0 if found else 1)
        if argv[0] == "exit":
            return Result(code=int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 0)
        if argv[0] == "exec":
            argv = argv[1:]
        r = self.run(argv)
        if r.missing:
            return Result(err=f"sh: {r.missing}: not found\n", code=127)
        return r

    # -- the tools ---------------------------------------------------------------------
    def resolve(self, name: str) -> tuple[str, Obj | None]:
        """A name's ClusterIP and Service, as cluster DNS answers; ("", None) if none."""
        host = name.rstrip(".")
        if host.endswith("." + DOMAIN):
            host = host[: -len(DOMAIN) - 1]
        elif host.endswith(".svc"):
            host = host[:-4]
        svc_name, _, ns = host.partition(".")
        svc = self.cluster.get("Service", ns or self.ns, svc_name)
        if svc is None:
            return "", None
        return str((svc.get("spec") or {}).get("clusterIP", "")), svc

    def cmd_nslookup(self, args: list[str]) -> Result:
        names = [a for a in args if not a.startswith("-")]
        if not names:
            return Result(err="usage: nslookup HOST\n", code=1)
        head = f"Server:\t\t{DNS}\nAddress:\t{DNS}:53\n\n"
        ip, svc = self.resolve(names[0])
        if svc is None:
            return Result(out=head, err=f"** server can't find {names[0]}: NXDOMAIN\n", code=1)
        full = f"{svc['metadata']['name']}.{svc['metadata']['namespace']}.{DOMAIN}"
        return Result(out=f"{head}Name:\t{full}\nAddress: {ip}\n")

    def answers(self, svc: Obj, port: int) -> bool:
        """A Service port with a ready address behind it."""
        spec = svc.get("spec") or {}
        if port not in [p.get("port") for p in spec.get("ports") or []]:
            return False
        meta = svc["metadata"]
        ep = self.cluster.get("Endpoints", meta["namespace"], meta["name"]) or {}
        return any(s.get("addresses") for s in ep.get("subsets") or [])

    def cmd_nc(self, args: list[str]) -> Result:
        rest = [a for a in args if not a.startswith("-")]
        wait = 3.0
        if "-w" in args:
            i = args.index("-w")
            rest = [a for a in rest if a != args[i + 1]] if i + 1 < len(args) else rest
            wait = float(args[i + 1]) if i + 1 < len(args) and args[i + 1].isdigit() else wait
        if len(rest) != 2 or not rest[1].isdigit():
            return Result(err="usage: nc -zv HOST PORT\n", code=1)
        host, port = rest[0], int(rest[1])
        ip, svc = self.resolve(host)
        if svc is None:
            time.sleep(min(wait, 1.0))  # an address outside the cluster that never answers
            return Result(err=f"nc: {host} ({host}:{port}): Connection timed out\n", code=1)
        if not self.answers(svc, port):
            return Result(err=f"nc: {host} ({ip}:{port}): Connection refused\n", code=1)
        return Result(err=f"{host} ({ip}:{port}) open\n")

    def http(self, url: str) -> tuple[int, str]:
        """The status a GET of url gets, or (0, why not)."""
        u = urlsplit(url if "://" in url else f"http://{url}")
        port = u.port or 80
        if u.hostname in ("localhost", "127.0.0.1"):
            declared = [
                p.get("containerPort")
                for c in (self.pod.get("spec") or {}).get("containers") or []
                for p in c.get("ports") or []
            ]
            if port not in declared:
                return 0, "Connection refused"
            return pod_http_status(self.pod, u.path or "/"), ""
        _ip, svc = self.resolve(u.hostname or "")
        if svc is None:
            return 0, "bad address"
        if not self.answers(svc, port):
            return 0, "Connection refused"
        return 200, ""

    def cmd_wget(self, args: list[str]) -> Result:
        urls = [a for a in args if "://" in a or a.startswith("localhost")]
        if not urls:
            return Result(err="usage: wget URL\n", code=1)
        status, why = self.http(urls[0])
        if not status:
            return Result(err=f"wget: can't connect to remote host: {why}\n", code=1)
        line = f"HTTP/1.1 {status} {REASONS.get(status, '')}"
        err = f"  {line}\n" if "-S" in args else ""
        if status >= 400:
            return Result(err=err + f"wget: server returned error: {line}\n", code=1)
        return Result(out="ok\n" if "-O" in args else "", err=err)

    def cmd_curl(self, args: list[str]) -> Result:
        urls = [a for a in args if "://" in a or a.startswith("localhost")]
        if not urls:
            return Result(err="curl: no URL specified!\n", code=2)
        status, why = self.http(urls[0])
        if not status:
            return Result(err=f"curl: (7) Failed to connect: {why}\n", code=7)
        if "-w" in args:
            fmt = args[args.index("-w") + 1]
            out = fmt.replace("%{http_code}", str(status)).replace("%{time_total}", "0.004")
            return Result(out=out.replace("\\n", "\n"))
        if "-I" in args:
            return Result(out=f"HTTP/1.1 {status} {REASONS.get(status, '')}\r\n\r\n")
        return Result(out="ok\n" if status < 400 else "unhealthy\n")

    def cmd_git(self, args: list[str]) -> Result:
        if args[:1] != ["ls-remote"] or len(args) < 2:
            return Result(err="usage: git ls-remote URL\n", code=129)
        url = args[-1]
        for repo in self.cluster.list("GitRepository"):
            if (repo.get("spec") or {}).get("url") == url:
                rev = str(((repo.get("status") or {}).get("artifact") or {}).get("revision", ""))
                sha = (rev.rpartition(":")[2] or "8f3b2c1d").ljust(40, "0")
                return Result(out=f"{sha}\tHEAD\n{sha}\trefs/heads/main\n")
        return Result(err=f"fatal: could not read from remote repository {url}\n", code=128)

    def cmd_tar(self, args: list[str]) -> Result:
        if len(args) >= 2 and args[0] == "czf":
            self.cluster.files[(self.ns, self.pod["metadata"]["name"], args[1])] = 48_213_776
            return Result()
        return Result(err="tar: usage: tar czf FILE PATH\n", code=1)

    def cmd_ls(self, args: list[str]) -> Result:
        path = args[-1] if args else "."
        size = self.cluster.files.get((self.ns, self.pod["metadata"]["name"], path))
        if size is None:
            return Result(err=f"ls: {path}: No such file or directory\n", code=1)
        return Result(out=f"-rw-r--r--    1 65534    65534    {size} Dec  6 23:20 {path}\n")

    def cmd_echo(self, args: list[str]) -> Result:
        return Result(out=" ".join(args) + "\n")

    def cmd_hostname(self, args: list[str]) -> Result:
        return Result(out=self.pod["metadata"]["name"] + "\n")

    def cmd_cat(self, args: list[str]) -> Result:
        if args == ["/etc/resolv.conf"]:
            text = f"search {self.ns}.{DOMAIN} {DOMAIN} cluster.local\nnameserver {DNS}\n"
            return Result(out=text + "options ndots:5\n")
        return Result(
            err=f"cat: can't open '{' '.join(args)}': No such file or directory\n", code=1
        )


REASONS = {200: "OK", 503: "Service Unavailable", 404: "Not Found"}


def pod_http_status(pod: Obj, path: str) -> int:
    """The pod's own answer: /health is 503 while its container is not ready."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    ready = all(s.get("ready") for s in statuses)
    if path.startswith("/health"):
        return 200 if ready else 503
    return 200
