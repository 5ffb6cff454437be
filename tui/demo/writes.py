"""What the emulator does with writes: create, merge and strategic-merge patch, update and
delete, each with dryRun=All answered without a change."""

from __future__ import annotations

from tui.demo.patch import merge_patch, strategic_merge_patch
from tui.demo.reads import Reads
from tui.demo.state import (
    ApiError,
    Resource,
)


class Writes(Reads):
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
            # a copy: the patch may share the stored metadata (a dry run must change nothing)
            meta = result["metadata"] = dict(result.get("metadata") or {})
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
