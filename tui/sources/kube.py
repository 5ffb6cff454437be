"""The Kubernetes API: kubeconfig and auth through the official client, data as raw JSON.

One generic list+watch (`ListWatch`) serves every kind: list in pages with
limit/continue, then watch from the list's resourceVersion with bookmarks; relist on
410 Gone; back off with jitter on errors. Responses are read with orjson straight
into the store's dataclasses; the client's model deserialization is never used.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import urllib3

from tui.store import (
    PARSERS,
    ChangeBuffer,
    Delete,
    KindStatus,
    Replace,
    State,
    StatusChange,
    Upsert,
)

JSON = dict[str, Any]


class KubeConfigError(Exception):
    """A kubeconfig problem the operator must fix; the message names what to fix.

    `named` says the operator chose this kubeconfig or context (--kubeconfig, the config
    file, $KUBECONFIG, --context): then it is an error to stop on. A kubeconfig merely
    looked for and not usable is a reason to open with the hosts only.
    """

    def __init__(self, message: str, named: bool = True) -> None:
        super().__init__(message)
        self.named = named


class ApiError(Exception):
    """A non-2xx answer from the API server, with the server's own message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status, self.reason, self.message = status, reason, message


class Gone(Exception):
    """The resourceVersion is too old (410): relist."""


@dataclass(frozen=True)
class ClusterInfo:
    context: str
    server: str
    user: str
    namespace: str | None
    kubeconfig: str


# K3s writes its admin kubeconfig here, readable by root only.
K3S_KUBECONFIG = Path("/etc/rancher/k3s/k3s.yaml")


def kubeconfig_paths(explicit: str | None) -> list[Path]:
    """The files kubectl reads: --kubeconfig, else $KUBECONFIG (a list), else ~/.kube/config."""
    if explicit:
        return [Path(explicit).expanduser()]
    env = os.environ.get("KUBECONFIG", "")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def default_kubeconfig(home_config: Path | None = None, k3s: Path = K3S_KUBECONFIG) -> Path | None:
    """No --kubeconfig, no $KUBECONFIG: ~/.kube/config as kubectl does, else K3s's own
    file as `k3s kubectl` does. None when neither exists."""
    for path in (home_config or Path("~/.kube/config").expanduser(), k3s):
        if path.exists():
            return path
    return None


def tried_paths(k3s: Path = K3S_KUBECONFIG) -> str:
    return f"{Path('~/.kube/config').expanduser()}, {k3s}"


def load_config(kubeconfig: str | None, context: str | None) -> tuple[Any, ClusterInfo]:
    """Build a client Configuration for a context, or raise KubeConfigError naming the fix."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    named = bool(kubeconfig or os.environ.get("KUBECONFIG"))
    if named:
        paths = kubeconfig_paths(kubeconfig)
    else:
        found = default_kubeconfig()
        if found is None:
            raise KubeConfigError(
                f"no kubeconfig found (tried {tried_paths()}): pass --kubeconfig PATH, "
                "set KUBECONFIG, or try --demo",
                named=context is not None,
            )
        paths = [found]
    readable = []
    for p in paths:
        if not p.exists():
            if named and (kubeconfig or len(paths) == 1):
                raise KubeConfigError(
                    f"kubeconfig {p} does not exist: pass --kubeconfig PATH, set KUBECONFIG, "
                    "or try --demo"
                )
            continue
        if p.is_dir():
            raise KubeConfigError(f"kubeconfig {p} is not a readable file: fix its permissions")
        if not readable_file(p):
            raise KubeConfigError(unreadable_message(p), named=named)
        readable.append(p)
    if not readable:
        joined = os.pathsep.join(str(p) for p in paths)
        raise KubeConfigError(f"no kubeconfig found in KUBECONFIG={joined}: fix KUBECONFIG")
    where = os.pathsep.join(str(p) for p in readable)
    try:
        contexts, active = config.list_kube_config_contexts(config_file=where)
    except (ConfigException, ValueError, TypeError, AttributeError, KeyError) as e:
        raise KubeConfigError(
            f"kubeconfig {where} cannot be used: {_one_line(e)}", named=named
        ) from None
    except Exception as e:  # yaml errors and the like
        raise KubeConfigError(
            f"kubeconfig {where} is not valid YAML: {_one_line(e)}", named=named
        ) from None
    names = [c.get("name", "") for c in contexts or []]
    if context is not None and context not in names:
        raise KubeConfigError(
            f"context {context!r} not found in {where}; contexts there: "
            + (", ".join(names) or "none")
        )
    chosen = next((c for c in contexts if c.get("name") == context), None) if context else active
    if not chosen:
        raise KubeConfigError(
            f"kubeconfig {where} has no current-context: pass --context NAME (one of: "
            + (", ".join(names) or "none")
            + ")",
            named=named,
        )
    cfg = client.Configuration()
    try:
        config.load_kube_config(
            config_file=where,
            context=chosen.get("name"),
            client_configuration=cfg,
            persist_config=False,
        )
    except Exception as e:
        raise KubeConfigError(
            f"context {chosen.get('name')!r} in {where} cannot be used: {_one_line(e)}"
        ) from None
    ctx = chosen.get("context") or {}
    info = ClusterInfo(
        context=str(chosen.get("name", "")),
        server=str(cfg.host),
        user=str(ctx.get("user", "")),
        namespace=ctx.get("namespace"),
        kubeconfig=where,
    )
    return cfg, info


def readable_file(path: Path) -> bool:
    """Can this process open it? (os.access says yes to root for a 0600 file; open is the
    test that counts, and it tells a permission error apart.)"""
    try:
        with path.open("rb"):
            return True
    except PermissionError:
        return False
    except OSError:
        return True  # not a permission problem: the client will name it


def unreadable_message(path: Path) -> str:
    if path == K3S_KUBECONFIG:
        return (
            f"kubeconfig {path} (K3s's own) is readable by root only: run with sudo, or "
            "copy it (sudo k3s kubectl config view --raw > ~/.kube/config) or pass "
            "--kubeconfig PATH"
        )
    return f"kubeconfig {path} is not readable by this user: fix its permissions, or run with sudo"


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] or type(e).__name__


class Kube:
    """A thin raw-JSON client over the official client's auth, TLS and connection pool."""

    RELOAD_EVERY = 5.0  # seconds: the feeds that all get a 401 reload the file once

    def __init__(self, configuration: Any, info: ClusterInfo) -> None:
        self.info = info
        self.api = self._client(configuration)
        self._reload_lock = threading.Lock()
        self._reloaded_at = 0.0
        self.reloads = 0  # how many times the credentials were read again
        self.source: tuple[str | None, str | None] = (info.kubeconfig, info.context)

    @staticmethod
    def _client(configuration: Any) -> Any:
        from kubernetes import client

        configuration.retries = False  # our loops retry, with backoff
        api = client.ApiClient(configuration)
        api.user_agent = "incident-console"
        return api

    def reload_credentials(self) -> str:
        """After a 401: read the kubeconfig again (a rotated token, a refreshed exec
        plugin or client certificate) and use what it says from the next request on.
        Returns what happened, in words for the banner."""
        with self._reload_lock:
            now = time.monotonic()
            if now - self._reloaded_at < self.RELOAD_EVERY:
                return f"credentials reloaded from {self.info.kubeconfig}"
            self._reloaded_at = now
            try:
                cfg, _info = load_config(*self.source)
            except KubeConfigError as e:
                return f"reloading them failed: {e}"
            self.api = self._client(cfg)  # requests already sent finish on the old one
            self.reloads += 1
            return f"credentials reloaded from {self.info.kubeconfig}"

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str | None, context: str | None) -> Kube:
        cfg, info = load_config(kubeconfig, context)
        kube = cls(cfg, info)
        kube.source = (kubeconfig, info.context)  # read the same way again on a 401
        return kube

    def open(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float | None] = (5.0, 30.0),
    ) -> Any:
        """Send a request; return the raw urllib3 response (unread) or raise ApiError."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        q = [(k, v) for k, v in (query or {}).items() if v is not None and v != ""]
        m, url, hdrs, b, post = self.api.param_serialize(
            method,
            path,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        if q:
            url += ("&" if "?" in url else "?") + urlencode(
                [(k, _qv(v)) for k, v in q], safe=",=!()"
            )
        resp = self.api.call_api(m, url, hdrs, b, post, _request_timeout=timeout).response
        if resp.status >= 400:
            raise _api_error(resp)
        return resp

    def json(self, method: str, path: str, **kw: Any) -> Any:
        resp = self.open(method, path, **kw)
        try:
            return orjson.loads(resp.data)
        finally:
            resp.release_conn()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.api.close()


class NoCluster(Kube):
    """The console opened with no usable kubeconfig (hosts first): it names why, and
    every request fails with that reason. Nothing watches it; the host panes, the host
    actions and the audit work as usual."""

    def __init__(self, reason: str) -> None:  # no client: nothing is ever sent
        self.reason = reason
        self.info = ClusterInfo(context="", server="", user="", namespace=None, kubeconfig="")

    def open(self, method: str, path: str, *args: Any, **kw: Any) -> Any:
        raise NotConnected(self.reason)

    def reload_credentials(self) -> str:
        return self.reason

    def close(self) -> None:
        pass


class NotConnected(ConnectionError):
    """A request to the cluster when the console has none."""


def _qv(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _api_error(resp: Any) -> ApiError:
    data = resp.data
    resp.release_conn()
    message = ""
    reason = str(resp.reason or "")
    try:
        status = orjson.loads(data)
        if isinstance(status, dict):
            message = str(status.get("message") or "")
            reason = str(status.get("reason") or reason)
    except orjson.JSONDecodeError:
        message = data[:300].decode("utf-8", "replace").strip()
    return ApiError(resp.status, reason, message or reason or f"HTTP {resp.status}")


def iter_lines(resp: Any, chunk: int = 65536) -> Iterator[bytes]:
    """Lines of a streamed (chunked) response as they arrive."""
    buf = b""
    for data in resp.stream(chunk, decode_content=True):
        buf += data
        while True:
            i = buf.find(b"\n")
            if i < 0:
                break
            yield buf[:i]
            buf = buf[i + 1 :]
    if buf:
        yield buf


@dataclass(frozen=True)
class KindSpec:
    name: str  # the store's kind: pods, nodes, ...
    group: str
    version: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


KIND_SPECS = {
    "pods": KindSpec("pods", "", "v1", "pods", True),
    "nodes": KindSpec("nodes", "", "v1", "nodes", False),
    "events": KindSpec("events", "", "v1", "events", True),
    "deployments": KindSpec("deployments", "apps", "v1", "deployments", True),
    "replicasets": KindSpec("replicasets", "apps", "v1", "replicasets", True),
    "services": KindSpec("services", "", "v1", "services", True),
    "endpoints": KindSpec("endpoints", "", "v1", "endpoints", True),
}


class Backoff:
    """Exponential backoff with jitter: 0.5 s doubling to a cap, reset on success."""

    def __init__(self, base: float = 0.5, cap: float = 15.0) -> None:
        self.base, self.cap, self.attempt = base, cap, 0

    def next(self) -> float:
        delay: float = min(self.cap, self.base * 2.0**self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self.attempt = 0


def classify(exc: BaseException, server: str, retry_in: float) -> KindStatus:
    """What the operator should read for a failure."""
    if isinstance(exc, ApiError):
        if exc.status == 403:
            return KindStatus(State.FORBIDDEN, exc.message)
        if exc.status == 401:
            return KindStatus(
                State.UNAUTHORIZED, "unauthorized: the credentials of this context were refused"
            )
        if exc.status == 404:
            return KindStatus(
                State.ABSENT, f"the server does not serve this resource ({exc.message})"
            )
        return KindStatus(State.ERROR, f"{exc.status} {exc.reason}: {exc.message}")
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError | ConnectionError):
        delay = f"{retry_in:.1f}" if retry_in < 10 else f"{retry_in:.0f}"
        return KindStatus(State.UNREACHABLE, f"cannot reach {server}, retrying in {delay}s")
    return KindStatus(State.ERROR, f"{type(exc).__name__}: {_one_line(exc)}")


SLOW_AFTER = 3.0  # seconds a request may wait before the feed says "slow"
# While the server cannot be reached, each feed asks again about this often (a refused
# connection costs nothing): the console is live again within seconds of its return.
UNREACHABLE_RETRY = 2.0


class ListWatch:
    """List then watch one kind forever, feeding a ChangeBuffer. Runs in a thread."""

    def __init__(
        self,
        kube: Kube,
        spec: KindSpec,
        sink: ChangeBuffer,
        namespace: str | None = None,
        page_size: int = 500,
        watch_timeout: int = 290,
        read_timeout: float = 60.0,
        parser: Callable[[JSON], Any] | None = None,
    ) -> None:
        self.kube, self.spec, self.sink = kube, spec, sink
        self.namespace = namespace
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.read_timeout = read_timeout
        self.parse = parser or PARSERS[spec.name]
        self.stop_event = threading.Event()
        self.backoff = Backoff()
        self._resp: Any = None
        self._state: State | None = None
        self.lists = 0  # how many complete lists were done (tests and the bench read it)
        # When the request now in flight was sent (None: none waiting), and whether the
        # feed said "slow" for it; both under the lock, as the UI thread checks them.
        self._lock = threading.Lock()
        self._waiting_since: float | None = None
        self._slow = False

    def stop(self) -> None:
        self.stop_event.set()
        resp = self._resp
        if resp is not None:
            with contextlib.suppress(Exception):
                resp.shutdown()

    def _status(self, status: KindStatus) -> None:
        with self._lock:
            self._slow = False
            self._state = status.state
            self.sink.put(StatusChange(self.spec.name, status))

    def _waiting(self, waiting: bool) -> None:
        """A request sent (True) or answered (False). An answer after "slow" says live."""
        with self._lock:
            self._waiting_since = time.monotonic() if waiting else None
            if waiting or not self._slow:
                return
            self._slow = False
            self._state = State.LIVE
            self.sink.put(StatusChange(self.spec.name, KindStatus(State.LIVE, "answering again")))

    def check_slow(self, after: float = SLOW_AFTER) -> None:
        """Called about once a second (from any thread): a live feed whose request has
        waited longer than `after` says so, and its rows are shown as last seen."""
        with self._lock:
            since = self._waiting_since
            if since is None or self._slow or self._state not in (State.LIVE, State.RELISTING):
                return
            waited = time.monotonic() - since
            if waited < after:
                return
            self._slow = True
            self._state = State.SLOW
            status = KindStatus(State.SLOW, f"the server has not answered for {waited:.0f}s")
            self.sink.put(StatusChange(self.spec.name, status))

    def run(self) -> None:
        relist_reason = ""
        self._status(KindStatus(State.CONNECTING, f"connecting to {self.kube.info.server}"))
        while not self.stop_event.is_set():
            try:
                rv = self._list()
                self.backoff.reset()
                self._status(KindStatus(State.LIVE, relist_reason))
                relist_reason = ""
                while not self.stop_event.is_set():
                    rv = self._watch(rv)
            except Gone:
                relist_reason = "relisted after 410 Gone"
                self._status(KindStatus(State.RELISTING, "resourceVersion expired, relisting"))
                continue
            except Exception as exc:
                if self.stop_event.is_set():
                    break
                delay = self.backoff.next()
                if isinstance(exc, ApiError) and exc.status in (401, 403, 404):
                    delay = max(delay, 5.0)
                elif not isinstance(exc, ApiError):  # refused or cut: cheap to ask again
                    delay = min(delay, UNREACHABLE_RETRY * random.uniform(0.8, 1.2))
                status = classify(exc, self.kube.info.server, delay)
                if isinstance(exc, ApiError) and exc.status == 401:
                    done = self.kube.reload_credentials()
                    status = KindStatus(status.state, f"{status.message}; {done}, retrying")
                self._status(status)
                self.stop_event.wait(delay)
            finally:
                self._resp = None

    def _list(self) -> str:
        items: list[Any] = []
        cont = ""
        rv = ""
        path = self.spec.path(self.namespace)
        self._waiting(True)
        while True:
            resp = self.kube.open(
                "GET",
                path,
                query={"limit": self.page_size, "continue": cont},
                timeout=(5.0, 60.0),
            )
            self._resp = resp
            try:
                data = resp.data
            finally:
                resp.release_conn()
            doc = orjson.loads(data)
            parse = self.parse
            for obj in doc.get("items") or ():
                if isinstance(obj, dict):
                    items.append(parse(obj))
            meta = doc.get("metadata") or {}
            rv = str(meta.get("resourceVersion") or rv)
            cont = str(meta.get("continue") or "")
            if not cont or self.stop_event.is_set():
                break
        self.sink.put(Replace(self.spec.name, tuple(items)))
        self._waiting(False)
        self.lists += 1
        return rv

    def _watch(self, rv: str) -> str:
        self._waiting(True)
        resp = self.kube.open(
            "GET",
            self.spec.path(self.namespace),
            query={
                "watch": "true",
                "resourceVersion": rv,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": self.watch_timeout,
            },
            timeout=(5.0, self.read_timeout),
        )
        self._waiting(False)  # the watch is open: what comes now is live
        self._resp = resp
        kind = self.spec.name
        put, parse = self.sink.put, self.parse
        try:
            for line in iter_lines(resp):
                if not line.strip():
                    continue
                ev = orjson.loads(line)
                etype = ev.get("type")
                obj = ev.get("object") or {}
                if etype == "ERROR":
                    code = obj.get("code") if isinstance(obj, dict) else None
                    if code == 410:
                        raise Gone(obj.get("message", ""))
                    raise ApiError(
                        int(code or 500), str(obj.get("reason", "")), str(obj.get("message", ""))
                    )
                new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                if new_rv:
                    rv = str(new_rv)
                if etype == "BOOKMARK":
                    continue
                item: Any = parse(obj)
                put(Delete(kind, item.uid) if etype == "DELETED" else Upsert(kind, item))
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError):
            # A quiet server or a dropped watch: watch again from where we were. If the
            # server is gone, the next request fails and the error path takes over.
            pass
        finally:
            with contextlib.suppress(Exception):
                resp.release_conn()
        return rv


def server_host(server: str) -> str:
    return urlsplit(server).netloc or server


CERTIFICATES = KindSpec("certificates", "cert-manager.io", "v1", "certificates", True)


def discover_certificates(kube: Kube) -> KindSpec | None:
    """cert-manager's Certificates, where the cluster serves them (optional)."""
    try:
        body = kube.json("GET", f"/apis/{CERTIFICATES.group}/{CERTIFICATES.version}")
    except (ApiError, OSError, urllib3.exceptions.HTTPError):
        return None
    names = {r.get("name") for r in body.get("resources") or [] if isinstance(r, dict)}
    return CERTIFICATES if CERTIFICATES.plural in names else None
