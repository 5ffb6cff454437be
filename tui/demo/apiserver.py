"""A Kubernetes API emulator on 127.0.0.1, real enough for kubectl and the official client.

It serves discovery, list (kind, apiVersion, resourceVersion, selectors, limit/continue),
watch (resourceVersion, timeoutSeconds, bookmarks, 410 Gone for a compacted version),
get/create/delete, merge and strategic-merge patch, dryRun=All, pods/log (follow,
previous, tailLines, container, timestamps), exec and port-forward over websockets,
ephemeral containers (tui/demo/execs.py, debugpods.py) and metrics.k8s.io, plus fault injection
for tests: a status code per resource, dropped watches, compaction, stop and restart.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from tui.demo.state import (
    ApiError,
    Cluster,
    Obj,
    RequestRecord,
)
from tui.demo.streams import Streams

AGGREGATED = "as=APIGroupDiscoveryList"
AGGREGATED_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


class Handler(Streams):
    """One request: routed to a read, a write or a stream, with the faults tests set."""

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        rec = RequestRecord(
            self.command, url.path, query, self.headers.get("Content-Type", ""), body, token=token
        )
        self.cluster.requests.append(rec)
        self.server.track(self.connection)
        try:
            if self.cluster.faults.latency:
                time.sleep(self.cluster.faults.latency)
            accepted = self.cluster.faults.tokens
            if accepted is not None and token not in accepted:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            rec.status = 200
            self._route(url.path.rstrip("/") or "/", query, body)
        except ApiError as e:
            rec.status = e.code
            self._send_json(e.code, e.status())
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        except Exception as e:  # a bug of the emulator's is a 500, as a server's would be
            rec.status = 500
            err = ApiError(500, "InternalError", f"emulator error: {type(e).__name__}: {e}")
            self._send_json(500, err.status())
        finally:
            self.server.untrack(self.connection)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    # -- routing -----------------------------------------------------------------
    def _route(self, path: str, q: dict[str, list[str]], body: bytes) -> None:
        parts = [p for p in path.split("/") if p]
        if path == "/version":
            return self._send_json(200, self.server.version_info())
        if path in ("/healthz", "/readyz", "/livez"):
            data = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(data)
            return None
        aggregated = AGGREGATED in (self.headers.get("Accept") or "")
        if path in ("/api", "/apis") and aggregated and not self.cluster.faults.aggregated_absent:
            return self._send_json(200, self._aggregated(path == "/api"), AGGREGATED_TYPE)
        if path == "/api":
            return self._send_json(
                200,
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": self.server.address}
                    ],
                },
            )
        if path == "/apis":
            return self._send_json(200, self._group_list())
        if parts[:2] == ["api", "v2"]:  # the demo's Alertmanager, on the same port
            from tui.demo.alerts import answer

            got, doc = answer(self.cluster, self.command, parts[2:], orjson.loads(body or b"null"))
            return self._send_json(got, doc)
        if path == "/demo/incident-channel" and self.command == "POST":
            # the demo's incident channel: a JSON webhook (Apprise's json://) kept in order
            self.cluster.channel.append(orjson.loads(body or b"null"))
            return self._send_json(200, {"ok": True})
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        elif parts[:1] == ["apis"] and len(parts) == 2:
            return self._send_json(200, self._group(parts[1]))
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if group == "metrics.k8s.io":
            return self._metrics(version, rest)
        if not rest:
            return self._send_json(200, self._resource_list(group, version))
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name, sub = (
            rest[0],
            rest[1] if len(rest) > 1 else None,
            rest[2] if len(rest) > 2 else None,
        )
        r = self.cluster.resource(group, plural)
        if r.version != version:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        code = self.cluster.faults.codes.get(plural) or self.cluster.faults.codes.get("*")
        if code:
            self._fault(code, r, namespace)
        if name is None:
            if self.command == "GET":
                if q.get("watch", [""])[0] in ("1", "true"):
                    return self._watch(r, namespace, q)
                return self._list(r, namespace, q)
            if self.command == "POST":
                self._create(r, namespace, q, body)
                if r.plural == "pods" and not self._dry(q):
                    from tui.demo.debugpods import maybe_run_once

                    meta = orjson.loads(body).get("metadata") or {}
                    pod = self.cluster.get("Pod", namespace or "default", meta.get("name", ""))
                    if pod is not None:
                        maybe_run_once(self.cluster, pod)
                return None
            raise ApiError(405, "MethodNotAllowed", f"{self.command} is not supported")
        if sub == "log" and r.plural == "pods":
            return self._log(namespace or "", name, q)
        if r.plural == "pods" and sub in ("exec", "portforward", "ephemeralcontainers"):
            return self._inside(namespace or "", name, sub, q, body)
        if sub not in (None, "status", "scale"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if self.command == "GET":
            return self._send_json(200, self._get(r, namespace, name, sub))
        if self.command == "PATCH":
            return self._patch(r, namespace, name, sub, q, body)
        if self.command == "DELETE":
            return self._delete(r, namespace, name, q, body)
        if self.command == "PUT":
            return self._put(r, namespace, name, sub, q, body)
        raise ApiError(405, "MethodNotAllowed", f"{self.command} is not supported")

    def _inside(self, ns: str, name: str, sub: str, q: dict[str, list[str]], body: bytes) -> None:
        """Exec and port-forward (websocket upgrades), ephemeral containers."""
        from tui.demo import debugpods, execs

        if sub == "exec" and self.command in ("GET", "POST"):
            return execs.serve_exec(self, self.cluster, ns, name, q)
        if sub == "portforward" and self.command in ("GET", "POST"):
            return execs.serve_portforward(self, self.cluster, ns, name, q)
        if self.command == "GET":
            pod = self.cluster.get("Pod", ns, name)
            if pod is None:
                raise ApiError(404, "NotFound", f'pods "{name}" not found')
            return self._send_json(200, pod)
        if self.command == "PATCH":
            if self._dry(q):
                return self._send_json(200, self.cluster.get("Pod", ns, name) or {})
            return self._send_json(200, debugpods.add_ephemeral(self.cluster, ns, name,
                                                                self._decode(body)))  # fmt: skip
        raise ApiError(405, "MethodNotAllowed", f"{self.command} is not supported")


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, cluster: Cluster, host: str = "127.0.0.1", port: int = 0) -> None:
        self.cluster = cluster
        self.stopping = False
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__((host, port), Handler)

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"{host}:{port}"

    def version_info(self) -> Obj:
        return {
            "major": "1",
            "minor": "30",
            "gitVersion": "v1.30.6+k3s1",
            "gitCommit": "1829eaae5250f8a5a0f1e2e84ee5b11d2d0ee64b",
            "gitTreeState": "clean",
            "buildDate": "2024-10-18T21:57:51Z",
            "goVersion": "go1.22.8",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    def track(self, conn: socket.socket) -> None:
        with self._conns_lock:
            self._conns.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._conns_lock:
            self._conns.discard(conn)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.track(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.untrack(request)
        super().shutdown_request(request)

    def abort_all(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Emulator:
    """A started API server for a Cluster: the demo's and the tests' cluster."""

    def __init__(
        self, cluster: Cluster | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.cluster = cluster or Cluster()
        self.host, self.port = host, port
        self._server: ApiServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        self._server = ApiServer(self.cluster, self.host, self.port)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"apiserver:{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut every open connection, as a dead API server would."""
        server = self._server
        if server is None:
            return
        server.stopping = True
        with self.cluster.cond:
            self.cluster.cond.notify_all()
        server.shutdown()
        server.abort_all()
        server.server_close()
        self._server = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._server is not None

    def write_kubeconfig(
        self,
        path: Path,
        context: str = "demo",
        namespace: str | None = None,
        token: str = "demo-token",
    ) -> Path:
        ctx: Obj = {"cluster": context, "user": f"{context}-admin"}
        if namespace:
            ctx["namespace"] = namespace
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url}}],
            "users": [{"name": f"{context}-admin", "user": {"token": token}}],
            "contexts": [{"name": context, "context": ctx}],
            "current-context": context,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # JSON is valid YAML; kubectl and the client read it as a kubeconfig.
        path.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))
        path.chmod(0o600)
        return path

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
