"""A Kubernetes API emulator on 127.0.0.1, real enough for kubectl and the official client.

It serves discovery, list (kind, apiVersion, resourceVersion, selectors, limit/continue),
watch (resourceVersion, timeoutSeconds, bookmarks, 410 Gone for a compacted version),
get/create/delete, merge and strategic-merge patch, dryRun=All, pods/log (follow,
previous, tailLines, container, timestamps) and metrics.k8s.io, plus fault injection
for tests: a status code per resource, dropped watches, compaction, stop and restart.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from tui.demo.patch import merge_patch, strategic_merge_patch
from tui.demo.selectors import SelectorError, field_matcher, label_matcher
from tui.demo.tables import table, wants_table
from tui.demo.units import quantity, version_order

Obj = dict[str, Any]
HISTORY = 20_000  # watch events kept per resource before a resourceVersion is "too old"


def now_rfc3339(t: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if t is None else t, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return f"{self.group}/{self.plural}"


CORE = [
    Resource("", "v1", "pods", "Pod", True, ("po",), ("log", "status")),
    Resource("", "v1", "nodes", "Node", False, ("no",), ("status",)),
    Resource("", "v1", "events", "Event", True, ("ev",)),
    Resource("", "v1", "namespaces", "Namespace", False, ("ns",)),
    Resource("", "v1", "services", "Service", True, ("svc",)),
    Resource("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    Resource("", "v1", "secrets", "Secret", True),
    Resource("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    Resource("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("scale", "status")),
    Resource("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("scale", "status")),
]


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: bytes
    status: int = 0
    token: str = ""  # the bearer token it carried

    @property
    def dry_run(self) -> bool:
        """dryRun=All in the query, or in a DELETE's DeleteOptions body (as kubectl sends it)."""
        if "All" in self.query.get("dryRun", []):
            return True
        if self.method == "DELETE" and self.body:
            try:
                options = orjson.loads(self.body)
            except orjson.JSONDecodeError:
                return False
            return isinstance(options, dict) and "All" in (options.get("dryRun") or [])
        return False

    @property
    def mutating(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE") and not self.dry_run

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self) -> Obj:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


@dataclass
class Faults:
    """What tests can break: status codes by resource plural (or '*'), metrics absence."""

    codes: dict[str, int] = field(default_factory=dict)
    metrics_absent: bool = False
    watch_epoch: int = 0
    latency: float = 0.0
    tokens: frozenset[str] | None = None  # bearer tokens accepted; None: any


class Cluster:
    """The objects, their history for watches, logs and metrics; all under one condition."""

    def __init__(self, resources: list[Resource] | None = None) -> None:
        self.cond = threading.Condition()
        self.rv = 1000
        self.resources: dict[str, Resource] = {}
        self.objects: dict[str, dict[tuple[str, str], Obj]] = {}
        self.history: dict[str, deque[tuple[int, str, Obj]]] = {}
        self.oldest: dict[str, int] = {}
        self.logs: dict[tuple[str, str, str], list[str]] = {}
        self.log_base: dict[tuple[str, str, str], int] = {}  # lines trimmed from the front
        self.previous_logs: dict[tuple[str, str, str], list[str]] = {}
        self.usage: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        self.faults = Faults()
        self.requests: deque[RequestRecord] = deque(maxlen=50_000)
        self.bookmark_interval = 30.0
        self.on_change: list[Callable[[str, str, Obj], None]] = []
        for r in resources or CORE:
            self.add_resource(r)

    # -- resources -------------------------------------------------------------
    def add_resource(self, r: Resource) -> None:
        with self.cond:
            self.resources[r.key] = r
            self.objects.setdefault(r.key, {})
            self.history.setdefault(r.key, deque(maxlen=HISTORY))
            self.oldest.setdefault(r.key, self.rv)

    def resource(self, group: str, plural: str) -> Resource:
        r = self.resources.get(f"{group}/{plural}")
        if r is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return r

    def by_kind(self, kind: str) -> Resource:
        for r in self.resources.values():
            if r.kind == kind or r.plural == kind:
                return r
        raise KeyError(kind)

    # -- writes ----------------------------------------------------------------
    def _record(self, r: Resource, etype: str, obj: Obj) -> None:
        self.history[r.key].append((self.rv, etype, obj))
        if len(self.history[r.key]) == self.history[r.key].maxlen:
            self.oldest[r.key] = self.history[r.key][0][0]
        for cb in self.on_change:
            cb(r.key, etype, obj)
        self.cond.notify_all()

    def _next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def put(self, kind: str, obj: Obj) -> Obj:
        """Create or replace an object (the demo's and the tests' door, no validation)."""
        r = self.by_kind(kind)
        with self.cond:
            meta = obj.setdefault("metadata", {})
            key = (meta.get("namespace", "") if r.namespaced else "", meta["name"])
            old = self.objects[r.key].get(key)
            obj["kind"], obj["apiVersion"] = r.kind, r.api_version
            meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
            meta.setdefault(
                "creationTimestamp",
                old["metadata"]["creationTimestamp"] if old else now_rfc3339(),
            )
            meta["resourceVersion"] = self._next_rv()
            self.objects[r.key][key] = obj
            self._record(r, "MODIFIED" if old else "ADDED", obj)
            return obj

    def remove(self, kind: str, namespace: str, name: str) -> Obj | None:
        r = self.by_kind(kind)
        with self.cond:
            obj = self.objects[r.key].pop((namespace if r.namespaced else "", name), None)
            if obj is not None:
                obj = copy.copy(obj)
                obj["metadata"] = dict(obj["metadata"], resourceVersion=self._next_rv())
                self._record(r, "DELETED", obj)
            return obj

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        r = self.by_kind(kind)
        with self.cond:
            return self.objects[r.key].get((namespace if r.namespaced else "", name))

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        r = self.by_kind(kind)
        with self.cond:
            return [
                o
                for (ns, _), o in self.objects[r.key].items()
                if namespace is None or ns == namespace
            ]

    def append_log(self, namespace: str, pod: str, container: str, *lines: str) -> None:
        with self.cond:
            buf = self.logs.setdefault((namespace, pod, container), [])
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            buf.extend(f"{stamp} {line}" for line in lines)
            if len(buf) > 20_000:
                cut = len(buf) - 20_000
                del buf[:cut]
                key = (namespace, pod, container)
                self.log_base[key] = self.log_base.get(key, 0) + cut
            self.cond.notify_all()

    def rotate_logs(self, namespace: str, pod: str, container: str) -> None:
        """The container restarted: its current log becomes the previous one."""
        with self.cond:
            key = (namespace, pod, container)
            self.previous_logs[key] = self.logs.pop(key, [])
            self.log_base.pop(key, None)
            self.cond.notify_all()

    # -- faults ----------------------------------------------------------------
    def compact(self) -> None:
        """Forget all history: any watch from an older resourceVersion gets 410 Gone."""
        with self.cond:
            self.rv += 1
            for key in self.history:
                self.history[key].clear()
                self.oldest[key] = self.rv
            self.cond.notify_all()

    def expire(self) -> None:
        """Compact and cut every watch at once: each watcher comes back too old, gets 410."""
        with self.cond:
            self.compact()
            self.drop_watches()

    def drop_watches(self) -> None:
        with self.cond:
            self.faults.watch_epoch += 1
            self.cond.notify_all()

    def accept_tokens(self, *tokens: str) -> None:
        """Only these bearer tokens authenticate from now on (none given: any). Open
        watches end, as they do when a token expires: the next request must prove
        itself."""
        with self.cond:
            self.faults.tokens = frozenset(tokens) if tokens else None
            self.faults.watch_epoch += 1
            self.cond.notify_all()

    def slow(self, seconds: float) -> None:
        """Every request waits this long before it is answered (0: none)."""
        self.faults.latency = seconds

    def fail(self, plural: str, code: int | None) -> None:
        with self.cond:
            if code is None:
                self.faults.codes.pop(plural, None)
            else:
                self.faults.codes[plural] = code
            self.faults.watch_epoch += 1
            self.cond.notify_all()


def _continue_token(rv: int, last: tuple[str, str]) -> str:
    raw = orjson.dumps({"rv": rv, "ns": last[0], "name": last[1]})
    return base64.urlsafe_b64encode(raw).decode()


def _parse_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        d = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return int(d["rv"]), (str(d["ns"]), str(d["name"]))
    except Exception as e:
        raise ApiError(400, "BadRequest", "invalid continue token") from e


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ApiServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing ----------------------------------------------------------------
    @property
    def cluster(self) -> Cluster:
        return self.server.cluster

    def _send_json(self, code: int, body: Any) -> None:
        data = orjson.dumps(body)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
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
                return self._create(r, namespace, q, body)
            raise ApiError(405, "MethodNotAllowed", f"{self.command} is not supported")
        if sub == "log" and r.plural == "pods":
            return self._log(namespace or "", name, q)
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

    # -- discovery -------------------------------------------------------------
    def _groups(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for r in self.cluster.resources.values():
            if r.group:
                versions = groups.setdefault(r.group, [])
                if r.version not in versions:
                    versions.append(r.version)
        if not self.cluster.faults.metrics_absent:
            groups["metrics.k8s.io"] = ["v1beta1"]
        return groups

    def _group(self, name: str) -> Obj:
        versions = self._groups().get(name)
        if not versions:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        ordered = sorted(versions, key=version_order, reverse=True)  # as the API server
        vs = [{"groupVersion": f"{name}/{v}", "version": v} for v in ordered]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": name,
            "versions": vs,
            "preferredVersion": vs[0],
        }

    def _group_list(self) -> Obj:
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [self._group(g) for g in self._groups()],
        }

    def _resource_list(self, group: str, version: str) -> Obj:
        out = []
        for r in self.cluster.resources.values():
            if r.group != group or r.version != version:
                continue
            out.append(
                {
                    "name": r.plural,
                    "singularName": r.kind.lower(),
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": list(r.verbs),
                    "shortNames": list(r.short_names),
                }
            )
            for sub in r.subresources:
                out.append(
                    {
                        "name": f"{r.plural}/{sub}",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": "Scale" if sub == "scale" else r.kind,
                        "verbs": ["get"] if sub == "log" else ["get", "patch", "update"],
                    }
                )
        if not out:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}

    # -- reads -------------------------------------------------------------------
    def _matchers(self, q: dict[str, list[str]]) -> Callable[[Obj], bool]:
        try:
            lm = label_matcher(q.get("labelSelector", [""])[0])
            fm = field_matcher(q.get("fieldSelector", [""])[0])
        except SelectorError as e:
            raise ApiError(400, "BadRequest", str(e)) from e
        return lambda o: lm(o) and fm(o)

    def _list(self, r: Resource, namespace: str | None, q: dict[str, list[str]]) -> None:
        match = self._matchers(q)
        limit = int(q.get("limit", ["0"])[0] or 0)
        cont = q.get("continue", [""])[0]
        c = self.cluster
        with c.cond:
            rv = c.rv
            after: tuple[str, str] | None = None
            if cont:
                rv, after = _parse_continue(cont)
                if rv < c.oldest[r.key]:
                    raise ApiError(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent "
                        "list result. You can start a new list without the continue parameter.",
                    )
            keys = sorted(k for k in c.objects[r.key] if namespace is None or k[0] == namespace)
            items: list[Obj] = []
            last: tuple[str, str] | None = None
            more = False
            store = c.objects[r.key]
            for k in keys:
                if after is not None and k <= after:
                    continue
                obj = store[k]
                if not match(obj):
                    continue
                if limit and len(items) >= limit:
                    more = True
                    break
                items.append(obj)
                last = k
            list_meta: Obj = {
                "resourceVersion": str(rv),
                **({"continue": _continue_token(rv, last)} if more and last else {}),
            }
            accept = self.headers.get("Accept") or ""
            if wants_table(accept):
                include = q.get("includeObject", ["Metadata"])[0]
                body = table(r.plural, items, list_meta, include)
            else:
                body = {
                    "kind": f"{r.kind}List",
                    "apiVersion": r.api_version,
                    "metadata": list_meta,
                    "items": items,
                }
            data = orjson.dumps(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _get(self, r: Resource, namespace: str | None, name: str, sub: str | None) -> Obj:
        with self.cluster.cond:
            obj = self.cluster.objects[r.key].get((namespace or "", name))
        if obj is None:
            raise ApiError(
                404,
                "NotFound",
                f'{r.plural}{"." + r.group if r.group else ""} "{name}" not found',
                {"name": name, "kind": r.plural},
            )
        if sub == "scale":
            return self._scale(obj)
        return obj

    @staticmethod
    def _scale(obj: Obj) -> Obj:
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: obj["metadata"][k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in obj["metadata"]
            },
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0)},
        }

    def _watch(self, r: Resource, namespace: str | None, q: dict[str, list[str]]) -> None:
        c = self.cluster
        match = self._matchers(q)
        rv_param = q.get("resourceVersion", [""])[0]
        timeout = float(q.get("timeoutSeconds", ["1800"])[0] or 1800)
        bookmarks = q.get("allowWatchBookmarks", [""])[0] in ("1", "true")
        deadline = time.monotonic() + timeout
        epoch = c.faults.watch_epoch
        as_table = wants_table(self.headers.get("Accept") or "")
        include = q.get("includeObject", ["Metadata"])[0]

        def encode(etype: str, obj: Obj) -> bytes:
            if as_table:
                rv = (obj.get("metadata") or {}).get("resourceVersion", "")
                obj = table(r.plural, [obj], {"resourceVersion": rv}, include)
            return orjson.dumps({"type": etype, "object": obj}) + b"\n"

        self._start_stream("application/json")
        pending: list[tuple[str, Obj]] = []
        with c.cond:
            if rv_param in ("", "0"):
                sent = c.rv
                pending = [
                    ("ADDED", o)
                    for (ns, _), o in sorted(c.objects[r.key].items())
                    if (namespace is None or ns == namespace) and match(o)
                ]
            else:
                try:
                    sent = int(rv_param)
                except ValueError:
                    sent = -1
                if sent < c.oldest[r.key]:
                    gone = ApiError(
                        410, "Expired", f"too old resource version: {rv_param} ({c.oldest[r.key]})"
                    ).status()
                    self._chunk(orjson.dumps({"type": "ERROR", "object": gone}) + b"\n")
                    self._end_stream()
                    return
        last_bookmark = time.monotonic()
        while True:
            if pending:
                self._chunk(b"".join(encode(t, o) for t, o in pending))
                pending = []
            with c.cond:
                while True:
                    if self.server.stopping or c.faults.watch_epoch != epoch:
                        self.close_connection = True
                        # Drop the connection the hard way, as a broken network would.
                        with_abort = True
                        break
                    with_abort = False
                    if c.rv > sent:
                        for erv, etype, obj in c.history[r.key]:
                            if erv <= sent:
                                continue
                            ns = obj["metadata"].get("namespace", "")
                            if (namespace is None or ns == namespace) and match(obj):
                                pending.append((etype, obj))
                        sent = c.rv
                        if pending:
                            break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    if bookmarks and time.monotonic() - last_bookmark >= c.bookmark_interval:
                        break
                    c.cond.wait(min(remaining, c.bookmark_interval, 1.0))
            if with_abort:
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if pending:
                continue
            if time.monotonic() >= deadline:
                self._end_stream()
                return
            if bookmarks:
                last_bookmark = time.monotonic()
                mark = {
                    "kind": r.kind,
                    "apiVersion": r.api_version,
                    "metadata": {"resourceVersion": str(sent)},
                }
                self._chunk(orjson.dumps({"type": "BOOKMARK", "object": mark}) + b"\n")

    # -- writes ------------------------------------------------------------------
    def _dry(self, q: dict[str, list[str]]) -> bool:
        dry = q.get("dryRun", [])
        if dry and dry != ["All"]:
            raise ApiError(400, "BadRequest", f"Invalid dryRun value {dry!r}; only All is valid")
        return bool(dry)

    def _decode(self, body: bytes) -> Any:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as e:
            raise ApiError(
                400, "BadRequest", f"the body of the request was not valid JSON: {e}"
            ) from None

    def _create(
        self, r: Resource, namespace: str | None, q: dict[str, list[str]], body: bytes
    ) -> None:
        obj = self._decode(body)
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            raise ApiError(400, "BadRequest", "object has no metadata")
        meta = obj["metadata"]
        if not meta.get("name"):
            raise ApiError(422, "Invalid", f"{r.kind} is invalid: metadata.name: Required value")
        if r.namespaced:
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        with self.cluster.cond:
            if (meta.get("namespace", ""), meta["name"]) in self.cluster.objects[r.key]:
                raise ApiError(409, "AlreadyExists", f'{r.plural} "{meta["name"]}" already exists')
            if self._dry(q):
                obj["kind"], obj["apiVersion"] = r.kind, r.api_version
                return self._send_json(201, obj)
            stored = self.cluster.put(r.kind, obj)
        self._send_json(201, stored)

    def _patch(
        self,
        r: Resource,
        namespace: str | None,
        name: str,
        sub: str | None,
        q: dict[str, list[str]],
        body: bytes,
    ) -> None:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        patch = self._decode(body)
        if sub == "scale" and isinstance(patch, dict):
            patch = {"spec": {"replicas": (patch.get("spec") or {}).get("replicas")}}
        with self.cluster.cond:
            current = self._get(r, namespace, name, None)
            if ctype == "application/merge-patch+json":
                result = merge_patch(current, patch)
            elif ctype == "application/strategic-merge-patch+json":
                if r.group not in ("", "apps"):
                    raise ApiError(
                        415,
                        "UnsupportedMediaType",
                        "strategic merge patch is not supported for custom resources",
                    )
                result = strategic_merge_patch(current, patch)
            else:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format: {ctype}",
                )
            meta = result.setdefault("metadata", {})
            for k in ("uid", "name", "namespace", "creationTimestamp"):
                if k in current["metadata"]:
                    meta[k] = current["metadata"][k]
            if result.get("spec") != current.get("spec"):
                meta["generation"] = int(current["metadata"].get("generation", 1)) + 1
            if self._dry(q):
                return self._send_json(200, self._scale(result) if sub == "scale" else result)
            stored = self.cluster.put(r.kind, result)
        self._send_json(200, self._scale(stored) if sub == "scale" else stored)

    def _put(
        self,
        r: Resource,
        namespace: str | None,
        name: str,
        sub: str | None,
        q: dict[str, list[str]],
        body: bytes,
    ) -> None:
        obj = self._decode(body)
        with self.cluster.cond:
            current = self._get(r, namespace, name, None)
            if sub == "scale":
                result = merge_patch(current, {"spec": {"replicas": obj["spec"]["replicas"]}})
            else:
                result = obj
                result.setdefault("metadata", {})["uid"] = current["metadata"]["uid"]
            if self._dry(q):
                return self._send_json(200, result)
            stored = self.cluster.put(r.kind, result)
        self._send_json(200, self._scale(stored) if sub == "scale" else stored)

    def _delete(
        self, r: Resource, namespace: str | None, name: str, q: dict[str, list[str]], body: bytes
    ) -> None:
        options = self._decode(body) if body else {}
        dry = options.get("dryRun") if isinstance(options, dict) else None
        if dry:
            q = {**q, "dryRun": list(dry)}
        with self.cluster.cond:
            current = self._get(r, namespace, name, None)
            if self._dry(q):
                return self._send_json(200, current)
            self.cluster.remove(r.kind, namespace or "", name)
        self._send_json(200, current)

    # -- logs --------------------------------------------------------------------
    def _log(self, namespace: str, name: str, q: dict[str, list[str]]) -> None:
        c = self.cluster
        pod = c.get("Pod", namespace, name)
        if pod is None:
            raise ApiError(404, "NotFound", f'pods "{name}" not found')
        names = [x.get("name") for x in pod.get("spec", {}).get("containers", [])]
        container = q.get("container", [""])[0]
        if not container:
            if len(names) != 1:
                raise ApiError(
                    400,
                    "BadRequest",
                    f"a container name must be specified for pod {name}, "
                    f"choose one of: [{' '.join(str(n) for n in names)}]",
                )
            container = str(names[0])
        elif container not in names:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = q.get("previous", [""])[0] in ("1", "true")
        follow = q.get("follow", [""])[0] in ("1", "true") and not previous
        stamps = q.get("timestamps", [""])[0] in ("1", "true")
        tail = q.get("tailLines", [""])[0]
        key = (namespace, name, container)
        with c.cond:
            source = c.previous_logs if previous else c.logs
            if previous and key not in source:
                raise ApiError(
                    400,
                    "BadRequest",
                    f'previous terminated container "{container}" in pod "{name}" not found',
                )
            lines = list(source.get(key, []))
        since = q.get("sinceTime", [""])[0]
        if since:
            lines = [line for line in lines if line[:19] >= since[:19]]
        if tail:
            lines = lines[-int(tail) :] if int(tail) > 0 else []

        def fmt(ls: list[str]) -> bytes:
            if not stamps:
                ls = [line.split(" ", 1)[1] if " " in line else line for line in ls]
            # surrogateescape: a test's "\udcff" goes out as the raw byte 0xFF, as a
            # container's own invalid UTF-8 would
            return "".join(line + "\n" for line in ls).encode("utf-8", "surrogateescape")

        self._start_stream("text/plain")
        if lines:
            self._chunk(fmt(lines))
        if not follow:
            self._end_stream()
            return
        with c.cond:  # absolute line numbers: trimming the front does not stall a follower
            seen = c.log_base.get(key, 0) + len(c.logs.get(key, []))
        while True:
            with c.cond:
                while True:
                    if self.server.stopping:  # a dying server's connections are gone
                        self.close_connection = True
                        return
                    buf = c.logs.get(key)
                    current = c.get("Pod", namespace, name)
                    if (
                        buf is None
                        or current is None
                        or current["metadata"]["uid"] != pod["metadata"].get("uid")
                    ):
                        new: list[str] | None = None  # rotated (restart) or the pod is gone
                        break
                    base = c.log_base.get(key, 0)
                    end = base + len(buf)
                    if end > seen:
                        new = buf[max(seen - base, 0) :]
                        seen = end
                        break
                    c.cond.wait(1.0)
            if new is None:
                self._end_stream()
                return
            self._chunk(fmt(new))

    # -- metrics -------------------------------------------------------------------
    def _metrics(self, version: str, rest: list[str]) -> None:
        c = self.cluster
        if c.faults.metrics_absent or version != "v1beta1":
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        code = c.faults.codes.get("metrics") or c.faults.codes.get("*")
        if code:
            self._fault(code, Resource("metrics.k8s.io", "v1beta1", "pods", "PodMetrics"), None)
        if not rest:
            return self._send_json(
                200,
                {
                    "kind": "APIResourceList",
                    "apiVersion": "v1",
                    "groupVersion": "metrics.k8s.io/v1beta1",
                    "resources": [
                        {
                            "name": "nodes",
                            "singularName": "",
                            "namespaced": False,
                            "kind": "NodeMetrics",
                            "verbs": ["get", "list"],
                        },
                        {
                            "name": "pods",
                            "singularName": "",
                            "namespaced": True,
                            "kind": "PodMetrics",
                            "verbs": ["get", "list"],
                        },
                    ],
                },
            )
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        stamp = now_rfc3339()
        items: list[Obj] = []
        with c.cond:
            if rest[0] == "nodes":
                per_node: dict[str, list[float]] = {}
                pods = c.objects["/pods"]
                for (ns, pname), usage in c.usage.items():
                    p = pods.get((ns, pname))
                    node = (p or {}).get("spec", {}).get("nodeName")
                    if not node:
                        continue
                    acc = per_node.setdefault(node, [0.0, 0.0])
                    for cpu_q, mem_q in usage.values():
                        acc[0] += quantity(cpu_q)
                        acc[1] += quantity(mem_q)
                for (_, node_name), _n in sorted(c.objects["/nodes"].items()):
                    cpu, mem = per_node.get(node_name, [0.0, 0.0])
                    items.append(
                        {
                            "metadata": {"name": node_name, "creationTimestamp": stamp},
                            "timestamp": stamp,
                            "window": "20.05s",
                            "usage": {
                                "cpu": f"{int((cpu + 0.35) * 1e9)}n",
                                "memory": f"{int((mem + 1.2 * 2**30) / 1024)}Ki",
                            },
                        }
                    )
                kind = "NodeMetricsList"
            elif rest[0] == "pods":
                for (ns, pname), usage in sorted(c.usage.items()):
                    if namespace is not None and ns != namespace:
                        continue
                    if (ns, pname) not in c.objects["/pods"]:
                        continue
                    items.append(
                        {
                            "metadata": {
                                "name": pname,
                                "namespace": ns,
                                "creationTimestamp": stamp,
                            },
                            "timestamp": stamp,
                            "window": "18.2s",
                            "containers": [
                                {"name": cn, "usage": {"cpu": cpu, "memory": mem}}
                                for cn, (cpu, mem) in usage.items()
                            ],
                        }
                    )
                kind = "PodMetricsList"
            else:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
        self._send_json(
            200,
            {"kind": kind, "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items},
        )


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
