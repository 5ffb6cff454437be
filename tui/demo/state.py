"""The emulator's state: the resources it serves, their objects with resourceVersions and
watch history, pod logs, the faults tests inject, and the Kubernetes Status errors."""

from __future__ import annotations

import base64
import copy
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from tui.demo.clock import new_uid, now

Obj = dict[str, Any]
HISTORY = 20_000  # watch events kept per resource before a resourceVersion is "too old"


def now_rfc3339(t: float | None = None) -> str:
    return datetime.fromtimestamp(now() if t is None else t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    # A CRD's additionalPrinterColumns: (name, type, JSONPath, priority)
    columns: tuple[tuple[str, str, str, int], ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return f"{self.group}/{self.plural}"


CORE = [
    Resource(
        "",
        "v1",
        "pods",
        "Pod",
        True,
        ("po",),
        ("log", "status", "exec", "portforward", "ephemeralcontainers"),
    ),
    Resource("", "v1", "nodes", "Node", False, ("no",), ("status",)),
    Resource("", "v1", "events", "Event", True, ("ev",)),
    Resource("", "v1", "namespaces", "Namespace", False, ("ns",)),
    Resource("", "v1", "services", "Service", True, ("svc",)),
    Resource("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    Resource("", "v1", "secrets", "Secret", True),
    Resource("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    Resource("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("scale", "status")),
    Resource("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("scale", "status")),
    Resource("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("scale", "status")),
    Resource("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("status",)),
    Resource("batch", "v1", "jobs", "Job", True, (), ("status",)),
    Resource("batch", "v1", "cronjobs", "CronJob", True, ("cj",), ("status",)),
    Resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",)),
    Resource("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",)),
    Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",), ("status",)),
    Resource("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    Resource(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        False,
    ),
    Resource(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        False,
    ),
    Resource(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        ("crd", "crds"),
        ("status",),
    ),
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
    tables_absent: bool = False  # as a server (or proxy) that offers no meta.k8s.io Table
    exec_v4_only: bool = False  # an API server older than 1.30: no v5.channel.k8s.io
    aggregated_absent: bool = False  # as a server before 1.26: per-group discovery only


class Cluster:
    """The objects, their history for watches, logs and metrics; all under one condition."""

    def __init__(self, resources: list[Resource] | None = None) -> None:
        self.cond = threading.Condition()
        self.rv = 1000
        self.resources: dict[str, Resource] = {}
        self.objects: dict[str, dict[tuple[str, str], Obj]] = {}
        self._sorted: dict[str, list[tuple[str, str]]] = {}  # keys in order, while unchanged
        self.history: dict[str, deque[tuple[int, str, Obj]]] = {}
        self.oldest: dict[str, int] = {}
        self.am_silences: dict[str, Obj] = {}  # the demo's Alertmanager (tui/demo/alerts.py)
        self.channel: list[Any] = []  # the demo's incident channel: what was posted to it
        self.resizes: list[Any] = []  # the terminal sizes an interactive exec was sent
        self.files: dict[tuple[str, str, str], int] = {}  # files made in pods: their size
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
            meta.setdefault("uid", old["metadata"]["uid"] if old else new_uid())
            meta.setdefault(
                "creationTimestamp",
                old["metadata"]["creationTimestamp"] if old else now_rfc3339(),
            )
            meta["resourceVersion"] = self._next_rv()
            self.objects[r.key][key] = obj
            if old is None:
                self._sorted.pop(r.key, None)
            self._record(r, "MODIFIED" if old else "ADDED", obj)
            return obj

    def remove(self, kind: str, namespace: str, name: str) -> Obj | None:
        r = self.by_kind(kind)
        with self.cond:
            obj = self.objects[r.key].pop((namespace if r.namespaced else "", name), None)
            if obj is not None:
                self._sorted.pop(r.key, None)
                obj = copy.copy(obj)
                obj["metadata"] = dict(obj["metadata"], resourceVersion=self._next_rv())
                self._record(r, "DELETED", obj)
            return obj

    def sorted_keys(self, key: str) -> list[tuple[str, str]]:
        """A resource's (namespace, name) keys in order, sorted again only after one came
        or went (a page of a list sorted them all: 60 ms a page at 50,000 pods, where an
        API server serves a page from its watch cache in a few). Call under `cond`."""
        keys = self._sorted.get(key)
        if keys is None:
            keys = self._sorted[key] = sorted(self.objects[key])
        return keys

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
            stamp = datetime.fromtimestamp(now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
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


def continue_token(rv: int, last: tuple[str, str]) -> str:
    raw = orjson.dumps({"rv": rv, "ns": last[0], "name": last[1]})
    return base64.urlsafe_b64encode(raw).decode()


def parse_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        d = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return int(d["rv"]), (str(d["ns"]), str(d["name"]))
    except Exception as e:
        raise ApiError(400, "BadRequest", "invalid continue token") from e
