"""The Kubernetes API client: the kubeconfig found and read as kubectl does (K3s's own
file too), auth and TLS through the official client, requests answered as raw bytes or
orjson, and the errors an operator can act on (one line each)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

from tui.config import Settings

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


def kubeconfig_shape(path: Path) -> str:
    """Why a file cannot be a kubeconfig ("" when it may be): YAML that is not a mapping
    (a lone string, a list) or whose clusters/contexts/users are not lists."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(errors="replace"))
    except yaml.YAMLError as e:
        return f"is not valid YAML: {one_line(e)}"
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    if data is None:
        return "is empty: it needs clusters, users and contexts (kubectl config view)"
    if not isinstance(data, dict):
        what = type(data).__name__.replace("str", "a string").replace("list", "a list")
        return (
            f"is not a kubeconfig: it holds {what}, not a mapping of clusters, users and "
            "contexts (kubectl config view shows one)"
        )
    for key in ("clusters", "contexts", "users"):
        if data.get(key) is not None and not isinstance(data.get(key), list):
            return f"is not a kubeconfig: its {key} is not a list"
    return ""


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
    for p in readable:  # the client's own message for these is a Python error's
        shape = kubeconfig_shape(p)
        if shape:
            raise KubeConfigError(f"kubeconfig {p} {shape}", named=named)
    try:
        contexts, active = config.list_kube_config_contexts(config_file=where)
    except (ConfigException, ValueError, TypeError, AttributeError, KeyError) as e:
        raise KubeConfigError(
            f"kubeconfig {where} cannot be used: {one_line(e)}", named=named
        ) from None
    except Exception as e:  # yaml errors and the like
        raise KubeConfigError(
            f"kubeconfig {where} is not valid YAML: {one_line(e)}", named=named
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
            f"context {chosen.get('name')!r} in {where} cannot be used: {one_line(e)}"
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


def one_line(e: BaseException) -> str:
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
        accept: str = "application/json",
    ) -> Any:
        """Send a request; return the raw urllib3 response (unread) or raise ApiError."""
        headers = {"Accept": accept}
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


MAX_LINE = 16 * 2**20  # a watch event of the largest object etcd stores fits many times


def iter_lines(resp: Any, chunk: int = 65536, most: int = MAX_LINE) -> Iterator[bytes]:
    """Lines of a streamed (chunked) response as they arrive. A stream that sends more
    than `most` bytes without a newline is not held without bound: what came is handed
    on as one line (cut), and the rest of that line is dropped up to its newline."""
    buf = b""
    skipping = False
    for data in resp.stream(chunk, decode_content=True):
        buf += data
        while True:
            i = buf.find(b"\n")
            if i < 0:
                break
            if not skipping:
                yield buf[:i]
            skipping = False
            buf = buf[i + 1 :]
        if len(buf) > most:
            if not skipping:
                yield buf[:most]
            skipping, buf = True, b""
    if buf and not skipping:
        yield buf


def connect(settings: Settings) -> Kube:
    """The cluster's client, or a NoCluster naming why there is none (hosts first).
    KubeConfigError when the operator named a kubeconfig or context that is wrong."""
    try:
        return Kube.from_kubeconfig(settings.kubeconfig, settings.context)
    except KubeConfigError as e:
        if e.named:
            raise
        return NoCluster(str(e))
