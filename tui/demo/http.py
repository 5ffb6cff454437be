"""The emulator's HTTP plumbing: JSON answers, chunked streams, the selectors of a list."""

from __future__ import annotations

import socket
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

import orjson

from tui.demo.state import ApiError, Cluster, Obj, Resource


class Server(Protocol):
    """What a request handler needs of the server that runs it."""

    cluster: Cluster
    stopping: bool

    @property
    def address(self) -> str: ...
    def version_info(self) -> Obj: ...
    def track(self, conn: socket.socket) -> None: ...
    def untrack(self, conn: socket.socket) -> None: ...


class Plumbing(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server  # type: ignore[assignment]

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing ----------------------------------------------------------------
    @property
    def cluster(self) -> Cluster:
        return self.server.cluster

    def _send_json(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = orjson.dumps(body)
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _fault(self, code: int, r: Resource, namespace: str | None) -> None:
        verb = {"GET": "list", "POST": "create", "PATCH": "patch", "DELETE": "delete"}.get(
            self.command, "get"
        )
        where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        group = f' in API group "{r.group}"' if r.group else ' in API group ""'
        if code == 403:
            raise ApiError(
                403,
                "Forbidden",
                f'{r.plural} is forbidden: User "system:serviceaccount:demo:viewer" '
                f'cannot {verb} resource "{r.plural}"{group}{where}',
                {"kind": r.plural},
            )
        if code == 401:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        if code == 409:
            raise ApiError(
                409,
                "Conflict",
                f"Operation cannot be fulfilled on {r.plural}.{r.group or 'core'}: the object "
                "has been modified; please apply your changes to the latest version and try again",
            )
        raise ApiError(code, "InternalError", f"Internal error occurred: injected fault {code}")
