"""What the emulator answers to reads: discovery, list (pages, selectors, Table), get and
watch (from a resourceVersion, bookmarks, 410 Gone for a compacted one)."""

from __future__ import annotations

import contextlib
import socket
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import islice
from typing import Any

import orjson

from tui.demo.http import Plumbing
from tui.demo.selectors import SelectorError, field_matcher, label_matcher
from tui.demo.state import (
    ApiError,
    Obj,
    Resource,
    continue_token,
    parse_continue,
)
from tui.demo.tables import table, wants_table
from tui.demo.units import version_order


class Reads(Plumbing):
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

    def _aggregated(self, core: bool) -> Obj:
        """The aggregated discovery document (apidiscovery.k8s.io/v2) of /api or /apis:
        every group, its versions preferred first, each version's resources."""
        groups = [""] if core else list(self._groups())
        items = []
        for name in groups:
            versions = (
                ["v1"] if core else sorted(self._groups()[name], key=version_order, reverse=True)
            )
            item_versions = []
            for v in versions:
                resources = []
                for r in self.cluster.resources.values():
                    if r.group != name or r.version != v:
                        continue
                    kind = {"group": r.group, "version": r.version, "kind": r.kind}
                    resources.append(
                        {
                            "resource": r.plural,
                            "responseKind": kind,
                            "scope": "Namespaced" if r.namespaced else "Cluster",
                            "singularResource": r.kind.lower(),
                            "verbs": list(r.verbs),
                            **({"shortNames": list(r.short_names)} if r.short_names else {}),
                            "subresources": [
                                {
                                    "subresource": sub,
                                    "responseKind": {**kind, "kind": "Scale"}
                                    if sub == "scale"
                                    else kind,
                                    "verbs": ["get"]
                                    if sub == "log"
                                    else ["get", "patch", "update"],
                                }
                                for sub in r.subresources
                            ],
                        }
                    )
                if name == "metrics.k8s.io":
                    for plural, kind_name, scope in (
                        ("nodes", "NodeMetrics", "Cluster"),
                        ("pods", "PodMetrics", "Namespaced"),
                    ):
                        resources.append(
                            {
                                "resource": plural,
                                "responseKind": {"group": name, "version": v, "kind": kind_name},
                                "scope": scope,
                                "singularResource": "",
                                "verbs": ["get", "list"],
                            }
                        )
                item_versions.append({"version": v, "resources": resources, "freshness": "Current"})
            items.append(
                {"metadata": {"name": name, "creationTimestamp": None}, "versions": item_versions}
            )
        return {
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {},
            "items": items,
        }

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
                rv, after = parse_continue(cont)
                if rv < c.oldest[r.key]:
                    raise ApiError(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent "
                        "list result. You can start a new list without the continue parameter.",
                    )
            keys = c.sorted_keys(r.key)
            start = bisect_left(keys, (namespace, "")) if namespace is not None else 0
            if after is not None:
                start = max(start, bisect_right(keys, after))
            items: list[Obj] = []
            last: tuple[str, str] | None = None
            more = False
            store = c.objects[r.key]
            for k in islice(keys, start, None):
                if namespace is not None and k[0] != namespace:
                    break
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
                **({"continue": continue_token(rv, last)} if more and last else {}),
            }
            accept = self.headers.get("Accept") or ""
            if wants_table(accept) and not c.faults.tables_absent:
                include = q.get("includeObject", ["Metadata"])[0]
                body = table(r, items, list_meta, include)
            elif "as=PartialObjectMetadata" in accept:  # names and labels, never data
                body = {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": list_meta,
                    "items": [metadata_only(o) for o in items],
                }
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
        as_table = wants_table(self.headers.get("Accept") or "") and not c.faults.tables_absent
        include = q.get("includeObject", ["Metadata"])[0]

        metadata = "as=PartialObjectMetadata" in (self.headers.get("Accept") or "")

        def encode(etype: str, obj: Obj) -> bytes:
            if metadata and not as_table:
                obj = metadata_only(obj)
            if as_table:
                rv = (obj.get("metadata") or {}).get("resourceVersion", "")
                obj = table(r, [obj], {"resourceVersion": rv}, include)
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


def metadata_only(obj: Obj) -> Obj:
    """An object as the API server answers `as=PartialObjectMetadata`: its metadata."""
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }
