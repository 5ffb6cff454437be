"""Inside the demo's pods, with the API's wire protocols: exec (v5.channel.k8s.io, else
v4: stdin 0, stdout 1, stderr 2, the exit status as a Status on 3, resize 4; v5 adds the
client's close signal 255), port-forward (v4.channel.k8s.io: two channels a port, each
opened by the port number), ephemeral debug containers (the pods/ephemeralcontainers
subresource) and pods that run once (a probe's throwaway pod). Commands are answered by
the demo's shell (tui/demo/shell.py); a forwarded port by the pod's own little HTTP app."""

from __future__ import annotations

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from tui.demo.shell import Result, Shell, pod_http_status
from tui.demo.state import ApiError, Cluster, Obj
from tui.demo.wsock import OP_BINARY, Closed, Socket, accept_key, choose

EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
PF_PROTOCOLS = ("v4.channel.k8s.io", "portforward.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def upgrade(handler: Any, supported: tuple[str, ...]) -> tuple[Socket, str]:
    """Answer the upgrade (101) with the subprotocol chosen; a plain request is refused
    as the API server refuses it."""
    h = handler.headers
    if (h.get("Upgrade") or "").lower() != "websocket" or not h.get("Sec-WebSocket-Key"):
        raise ApiError(400, "BadRequest", "Upgrade request required")
    proto = choose(h.get("Sec-WebSocket-Protocol") or "", supported)
    if not proto:
        raise ApiError(400, "BadRequest", f"unsupported subprotocol: supported {supported}")
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", accept_key(h["Sec-WebSocket-Key"]))
    handler.send_header("Sec-WebSocket-Protocol", proto)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    return Socket(handler.rfile, handler.connection), proto


def running_pod(cluster: Cluster, ns: str, name: str) -> Obj:
    pod = cluster.get("Pod", ns, name)
    if pod is None:
        raise ApiError(404, "NotFound", f'pods "{name}" not found')
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        raise ApiError(400, "BadRequest", "cannot exec into a container in a completed pod")
    return pod


def status(code: int, argv: list[str], message: str = "") -> bytes:
    if code == 0:
        doc: Obj = {"metadata": {}, "status": "Success"}
    else:
        doc = {
            "metadata": {},
            "status": "Failure",
            "message": message
            or f"command terminated with non-zero exit code: error executing command {argv},"
            f" exit code {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    return bytes([ERROR]) + orjson.dumps(doc)


def serve_exec(handler: Any, cluster: Cluster, ns: str, name: str, q: dict[str, list[str]]) -> None:
    pod = running_pod(cluster, ns, name)
    argv = q.get("command", [])
    if not argv:
        raise ApiError(400, "BadRequest", "you must specify at least 1 command")
    containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    container = (q.get("container") or containers[:1] or [""])[0]
    every = containers + [
        c["name"] for c in (pod.get("spec") or {}).get("ephemeralContainers") or []
    ]
    if container not in every:
        raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
    offered = EXEC_PROTOCOLS[1:] if cluster.faults.exec_v4_only else EXEC_PROTOCOLS
    ws, _proto = upgrade(handler, offered)
    shell = Shell(cluster, pod, container)
    tty = (q.get("tty") or ["false"])[0] == "true"
    try:
        program = interactive_program(argv, shell.tools) if tty else ""
        if program:
            interactive(ws, shell, program, cluster)
        else:
            finish(ws, argv, shell.run(argv))
    except Closed:
        pass
    ws.close()
    ws.linger()


def interactive_program(argv: list[str], tools: set[str]) -> str:
    """The shell a TTY exec ends up in: `sh`, `bash`, or `sh -c '... exec bash || exec
    sh'` (the first the image has); "" when the command is not an interactive shell."""
    name = argv[0].rsplit("/", 1)[-1]
    if len(argv) == 1 and name in ("sh", "bash"):
        return name if name in tools else ""
    if len(argv) == 3 and name in tools and argv[1] == "-c":
        for wanted in ("bash", "sh"):
            if f"exec {wanted}" in argv[2] and wanted in tools:
                return wanted
    return ""


def finish(ws: Socket, argv: list[str], r: Result) -> None:
    if r.missing:
        why = (
            "OCI runtime exec failed: exec failed: unable to start container process: exec:"
            f' "{r.missing}": executable file not found in $PATH: unknown'
        )
        ws.send(bytes([STDOUT]) + (why + "\r\n").encode())
        ws.send(status(r.code, argv, why))
        return
    if r.out:
        ws.send(bytes([STDOUT]) + r.out.encode())
    if r.err:
        ws.send(bytes([STDERR]) + r.err.encode())
    ws.send(status(r.code, argv))


def interactive(ws: Socket, shell: Shell, program: str, cluster: Cluster) -> None:
    """A TTY: the keys echoed, a line run at Enter, `exit` (or ^D) ends it."""
    prompt = "/ # " if program.endswith("sh") and "bash" not in program else "root@pod:/# "
    if "bash" in program:
        prompt = f"root@{shell.pod['metadata']['name']}:/# "
    ws.send(bytes([STDOUT]) + prompt.encode())
    line = b""
    while True:
        _op, data = ws.recv()
        if not data:
            continue
        channel, payload = data[0], data[1:]
        if channel == RESIZE:
            cluster.resizes.append(orjson.loads(payload))
            continue
        if channel == CLOSE or channel != STDIN:
            if channel == CLOSE:
                break
            continue
        for byte in payload:
            ch = bytes([byte])
            if ch in (b"\r", b"\n"):
                ws.send(bytes([STDOUT]) + b"\r\n")
                text = line.decode(errors="replace").strip()
                line = b""
                if text in ("exit", "logout"):
                    ws.send(status(0, [program]))
                    return
                if text:
                    r = shell.script(text)
                    out = (r.out + r.err).replace("\n", "\r\n")
                    if out:
                        ws.send(bytes([STDOUT]) + out.encode())
                ws.send(bytes([STDOUT]) + prompt.encode())
            elif ch == b"\x04" and not line:
                ws.send(status(0, [program]))
                return
            elif ch in (b"\x7f", b"\x08"):
                if line:
                    line = line[:-1]
                    ws.send(bytes([STDOUT]) + b"\b \b")
            else:
                line += ch
                ws.send(bytes([STDOUT]) + ch)
    ws.send(status(0, [program]))


# -- port-forward --------------------------------------------------------------------
class PodApp(BaseHTTPRequestHandler):
    """What listens on a demo container's port: /health (503 while not ready), /bytes?n=
    (a body of n bytes, for the throughput bench), else a line of text."""

    protocol_version = "HTTP/1.1"
    pod: Obj = {}

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/bytes":
            n = min(int((parse_qs(url.query).get("n") or ["0"])[0] or 0), 1 << 30)
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = b"\0" * 65536
            while n > 0:
                self.wfile.write(chunk[: min(n, len(chunk))])
                n -= len(chunk)
            return
        code = pod_http_status(self.pod, url.path)
        body = b"ok\n" if code < 400 else b"unhealthy: OutOfMemoryError\n"
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: Any) -> None:
        pass


def app_for(pod: Obj) -> type[PodApp]:
    return type("App", (PodApp,), {"pod": pod})


def serve_portforward(
    handler: Any, cluster: Cluster, ns: str, name: str, q: dict[str, list[str]]
) -> None:
    pod = running_pod(cluster, ns, name)
    try:
        ports = [int(p) for p in (q.get("ports") or [""])[0].split(",") if p]
    except ValueError:
        raise ApiError(400, "BadRequest", "invalid port") from None
    if not ports:
        raise ApiError(400, "BadRequest", "ports is required")
    declared = {
        p.get("containerPort")
        for c in (pod.get("spec") or {}).get("containers") or []
        for p in c.get("ports") or []
    }
    ws, _proto = upgrade(handler, PF_PROTOCOLS)
    conns: dict[int, socket.socket] = {}
    try:
        for i, port in enumerate(ports):
            for ch in (2 * i, 2 * i + 1):
                ws.send(bytes([ch]) + struct.pack("<H", port))
        for i, port in enumerate(ports):
            if port not in declared:
                why = (
                    f"error forwarding port {port} to pod {name}: failed to connect to"
                    f" localhost:{port} inside namespace {ns}: connection refused"
                )
                ws.send(bytes([2 * i + 1]) + why.encode())
                continue
            ours, theirs = socket.socketpair()
            server = type("S", (), {"server_name": name, "server_port": port})()
            threading.Thread(
                target=app_for(pod), args=(theirs, ("pod", port), server), daemon=True
            ).start()
            conns[i] = ours
            threading.Thread(target=pump, args=(ours, ws, 2 * i), daemon=True).start()
        while True:
            _op, data = ws.recv()
            if len(data) > 1 and data[0] % 2 == 0 and data[0] // 2 in conns:
                conns[data[0] // 2].sendall(data[1:])
    except (Closed, OSError):
        pass
    finally:
        for c in conns.values():
            c.close()
        ws.close()


def pump(conn: socket.socket, ws: Socket, channel: int) -> None:
    head = bytes([channel])
    try:
        while data := conn.recv(256 * 1024):
            ws.send(head + data, OP_BINARY)
    except (OSError, Closed):
        pass
