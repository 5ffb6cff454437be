"""The Kubernetes API: kubeconfig and auth through the official client, data as raw JSON.

One generic list+watch (`ListWatch`) serves every kind: list in pages with
limit/continue, then watch from the list's resourceVersion with bookmarks; relist on
410 Gone; back off with jitter on errors. Responses are read with orjson straight
into the store's dataclasses; the client's model deserialization is never used.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import urllib3

from tui.sources.client import JSON, ApiError, Gone, Kube, iter_lines, one_line
from tui.sources.paging import PAGES, Ahead, Parse
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
from tui.store.lists import listing
from tui.store.meta import share
from tui.store.store import MAX_EVENTS


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
    return KindStatus(State.ERROR, f"{type(exc).__name__}: {one_line(exc)}")


SLOW_AFTER = 3.0  # seconds a request may wait before the feed says "slow"
# While the server cannot be reached, each feed asks again about this often (a refused
# connection costs nothing): the console is live again within seconds of its return.
UNREACHABLE_RETRY = 2.0
ELSEWHERE = frozenset({"pods"})  # the kinds whose large first lists the pages' child parses


class Decoder(Protocol):
    """How a feed turns the server's answers into the store's objects."""

    accept: str
    query: dict[str, str]

    def items(self, doc: JSON, known: Mapping[str, Any]) -> list[Any]:
        """The page's objects; `known`: what this feed holds now, by uid."""

    def event(self, obj: JSON) -> Any: ...


class ObjectDecoder:
    """Plain JSON objects, each parsed into the store's type for the kind."""

    accept = "application/json"
    query: dict[str, str] = {}

    def __init__(self, parse: Callable[[JSON], Any]) -> None:
        self.parse = parse

    def items(self, doc: JSON, known: Mapping[str, Any]) -> list[Any]:
        """Parsed, except an object at the resourceVersion already held: that one is
        kept. A relist after an outage built a second store beside the first, and the
        soak's RSS stepped up 40-46 MB at each (the freed one left fragments)."""
        parse, out = self.parse, []
        for obj in doc.get("items") or ():
            if not isinstance(obj, dict):
                continue
            meta = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
            was = known.get(meta.get("uid", "")) if known else None
            rv = getattr(was, "resource_version", None)
            if rv and rv == meta.get("resourceVersion"):
                out.append(was)
            else:  # changed: what did not change is still the one held (see share)
                out.append(share(was, parse(obj)))
        return out

    def event(self, obj: JSON) -> Any:
        return self.parse(obj)


class MetadataDecoder(ObjectDecoder):
    """Only the objects' metadata (the server's PartialObjectMetadata): a Secret's name
    without its data ever reaching the console."""

    accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


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
        decoder: Decoder | None = None,
    ) -> None:
        self.kube, self.spec, self.sink = kube, spec, sink
        self.namespace = namespace
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.read_timeout = read_timeout
        if isinstance(parser, ObjectDecoder):  # a decoder of its own (metadata only)
            decoder, parser = parser, None
        self.decoder: Decoder = decoder or ObjectDecoder(parser or PARSERS[spec.name])
        self.stop_event = threading.Event()
        self.backoff = Backoff()
        self._resp: Any = None
        self._state: State | None = None
        self.lists = 0  # how many complete lists were done (tests and the bench read it)
        self.known: dict[str, Any] = {}  # what this feed sent, by uid (kept at a relist)
        # events: the store keeps the newest only, so the list does too, and the feed
        # keeps no `known` of them (it would hold every event ever seen)
        self.newest = MAX_EVENTS if spec.name == "events" else 0
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
        """List, then watch; after an outage or an error the watch resumes from the last
        resourceVersion seen (as client-go's reflector does), and only 410 Gone lists
        again (a relist at each outage: the soak's RSS stepped up 20 MB at each)."""
        relist_reason = ""
        rv = ""  # where the watch resumes; none: list first
        self._status(KindStatus(State.CONNECTING, f"connecting to {self.kube.info.server}"))
        while not self.stop_event.is_set():
            try:
                if not rv:
                    rv = self._list()
                    self.backoff.reset()
                    self._status(KindStatus(State.LIVE, relist_reason))
                    relist_reason = ""
                while not self.stop_event.is_set():
                    rv = self._watch(rv)
            except Gone:
                rv = ""
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
        """Every page, fetched ahead of its parse in a thread of its own, and parsed in a
        process of its own for a large kind's first list (paging, tui.store.pages)."""
        items: list[Any] = []
        path = self.spec.path(self.namespace)
        self._waiting(True)

        def fetch(cont: str) -> bytes:
            resp = self.kube.open(
                "GET",
                path,
                query={"limit": self.page_size, "continue": cont, **self.decoder.query},
                timeout=(5.0, 60.0),
                accept=self.decoder.accept,
            )
            self._resp = resp
            try:
                return bytes(resp.data)
            finally:
                resp.release_conn()

        decoder, known = self.decoder, self.known

        def here(page: bytes) -> list[Any]:
            return decoder.items(orjson.loads(page), known)

        def add(got: list[Any]) -> None:
            items.extend(got)
            if self.newest and len(items) > self.newest * 1.1:
                # page by page: a list of 40,000 events held them all, then freed 35,000
                items.sort(key=lambda e: e.last_seen or 0.0)
                del items[: -self.newest]

        elsewhere = (  # a large kind's first list: the pages' child may parse it
            self.spec.name in ELSEWHERE
            and not known
            and type(decoder) is ObjectDecoder
            and decoder.parse is PARSERS.get(self.spec.name)
        )
        with (
            listing(first=self.lists == 0),
            Ahead(fetch, self.stop_event, self.spec.name) as ahead,
            Parse(here, self.spec.name, PAGES if elsewhere else None) as parse,
        ):
            for page in ahead:
                for got in parse.page(page, ahead.more):
                    add(got)
            for got in parse.rest():
                add(got)
            done = Replace(self.spec.name, tuple(items))  # indexed here, not on the screen's
        if not self.newest:
            self.known = dict(done.by_uid)  # the feed's own: the store's is the UI's
        self.sink.put(done)
        self._waiting(False)
        self.lists += 1
        return ahead.rv

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
                **self.decoder.query,
            },
            timeout=(5.0, self.read_timeout),
            accept=self.decoder.accept,
        )
        self._waiting(False)  # the watch is open: what comes now is live
        self._resp = resp
        if self._state is not State.LIVE:  # resumed after an outage or an error
            self.backoff.reset()
            self._status(KindStatus(State.LIVE, "watch resumed where it stopped"))
        kind = self.spec.name
        put, decode, known = self.sink.put, self.decoder.event, self.known
        keep = not self.newest
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
                item: Any = decode(obj)
                if item is None:
                    continue
                if etype == "DELETED":
                    known.pop(item.uid, None)
                    put(Delete(kind, item.uid))
                else:
                    if keep:
                        item = known[item.uid] = share(known.get(item.uid), item)
                    put(Upsert(kind, item))
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError):
            # A quiet server or a dropped watch: watch again from where we were. If the
            # server is gone, the next request fails and the error path takes over.
            pass
        finally:
            with contextlib.suppress(Exception):
                resp.release_conn()
        return rv
