"""What every kind's parser shares: tolerant readers of raw JSON and the metadata."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from sys import intern
from typing import Any, TypeVar

from tui.store.units import parse_time
from tui.text import clean

JSON = dict[str, Any]
INF = float("inf")


def _d(obj: object, key: str) -> JSON:
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, dict) else {}


def _l(obj: object, key: str) -> list[Any]:
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, list) else []


def _s(obj: object, key: str, limit: int = 4096) -> str:
    v = obj.get(key) if isinstance(obj, dict) else None
    if type(v) is str and len(v) <= limit and v.isprintable():
        return v  # inert already (see clean): most strings of a list, without a call
    if v is None or isinstance(v, dict | list):
        return ""
    return clean(v, limit)


def _shared(obj: object, key: str, limit: int = 4096) -> str:
    """_s for a value many objects have (a namespace, node, phase, image, label): one str
    for all of them. 10,000 pods held 150,000 copies, 8 of their 21 MB, and every change
    made its copies again (the soak's churn and its memory's fragments)."""
    v = obj.get(key) if isinstance(obj, dict) else None
    if type(v) is str and len(v) <= limit and v.isprintable():
        return intern(v)  # as _s, without its call: a list of 10,000 pods makes 100,000
    return intern(_s(obj, key, limit))


def _i(obj: object, key: str) -> int:
    v = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(v, bool) or not isinstance(v, int | float) or v != v or v in (INF, -INF):
        return 0  # a JSON number too big for a float (1e999) parses as infinity
    return int(v)


def _texts(raw: object, limit: int, most: int = 64) -> dict[str, str]:
    """A map of text (labels, a container's requests) as inert text, its values shared:
    clean() inlined where a value is inert already (most of them: 18 calls a pod were a
    tenth of a list's parse). Keys: orjson's own key cache shares them already."""
    if not isinstance(raw, dict) or not raw:
        return {}
    items = raw.items() if len(raw) <= most else list(raw.items())[:most]
    return {
        (k if type(k) is str and len(k) <= limit and k.isprintable() else clean(k, limit)): intern(
            v if type(v) is str and len(v) <= limit and v.isprintable() else clean(v, limit)
        )
        for k, v in items
    }


def _labels(meta: JSON) -> dict[str, str]:
    return _texts(meta.get("labels"), 253)


def _owner(meta: JSON) -> tuple[str, str]:
    for ref in _l(meta, "ownerReferences"):
        if isinstance(ref, dict) and ref.get("controller"):
            return _shared(ref, "kind", 64), _shared(ref, "name", 253)
    for ref in _l(meta, "ownerReferences"):
        if isinstance(ref, dict):
            return _shared(ref, "kind", 64), _shared(ref, "name", 253)
    return "", ""


# Flux provenance, as `flux trace` reads it: the labels kustomize-controller and
# helm-controller put on every object they apply.
KUSTOMIZE_NAME = "kustomize.toolkit.fluxcd.io/name"
KUSTOMIZE_NAMESPACE = "kustomize.toolkit.fluxcd.io/namespace"
HELM_NAME = "helm.toolkit.fluxcd.io/name"
HELM_NAMESPACE = "helm.toolkit.fluxcd.io/namespace"
RECONCILE = "kustomize.toolkit.fluxcd.io/reconcile"  # "disabled": Flux leaves the object alone
# What this console writes beside its own GitOps changes, so that what it left suspended
# or excluded from Flux is seen (a finding) by any console, after any restart.
CONSOLE_SUSPENDED_AT = "incident-console.io/suspended-at"
CONSOLE_DISABLED_AT = "incident-console.io/reconcile-disabled-at"
CONSOLE_BY = "incident-console.io/by"


def flux_manager(meta: JSON) -> tuple[str, str, str]:
    """(Kustomization|HelmRelease, namespace, name) from an object's own labels, or
    ("", "", "") when neither controller's labels are there."""
    labels = _d(meta, "labels")
    for kind, name_key, ns_key in (
        ("Kustomization", KUSTOMIZE_NAME, KUSTOMIZE_NAMESPACE),
        ("HelmRelease", HELM_NAME, HELM_NAMESPACE),
    ):
        name = _s(labels, name_key, 253)
        if name:
            return kind, _s(labels, ns_key, 253) or _s(meta, "namespace", 253), name
    return "", "", ""


def reconcile_disabled(meta: JSON) -> bool:
    """Flux reads the annotation, or the label, `kustomize.toolkit.fluxcd.io/reconcile`."""
    return "disabled" in (
        _s(_d(meta, "annotations"), RECONCILE, 16),
        _s(_d(meta, "labels"), RECONCILE, 16),
    )


@dataclass(slots=True, frozen=True)
class Object:
    """What every kind the store holds has: who it is and since when. A model is built
    as `Kind(*meta.identity, its own fields...)`."""

    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None


@dataclass(slots=True, frozen=True)
class Meta:
    uid: str
    namespace: str
    name: str
    resource_version: str
    created: float | None
    deleting: bool
    labels: dict[str, str]

    @property
    def identity(self) -> tuple[str, str, str, str, float | None]:
        """The fields of Object, in its order."""
        return self.uid, self.namespace, self.name, self.resource_version, self.created


def parse_meta(obj: object) -> Meta:
    meta = _d(obj, "metadata")
    ns, name = _shared(meta, "namespace", 253), _s(meta, "name", 253)
    uid = _s(meta, "uid", 128) or f"{ns}/{name}"
    return Meta(
        uid=uid,
        namespace=ns,
        name=name,
        resource_version=_s(meta, "resourceVersion", 64),
        created=parse_time(meta.get("creationTimestamp")),
        deleting=meta.get("deletionTimestamp") is not None,
        labels=_labels(meta),
    )


T = TypeVar("T")
_FIELDS: dict[type, tuple[str, ...]] = {}


def share(was: T, new: T) -> T:
    """`new` (just parsed, not yet seen by anyone), holding `was`'s own value wherever the
    two are equal: a pod's change is mostly its containers' states, and its name, labels,
    containers' resources and text stay as they were. The objects the first list packed
    together then stay alive, and a change makes only what changed: a soak of 30 minutes
    replaced every pod many times over and its memory held the holes (+12-14 MB)."""
    cls = type(new)
    if type(was) is not cls or not is_dataclass(cls):
        return new
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    for name in names:
        a, b = getattr(was, name), getattr(new, name)
        if a is b or type(a) is not type(b):
            continue
        if a == b:
            object.__setattr__(new, name, a)
        elif type(b) is tuple and len(a) == len(b) and b and is_dataclass(b[0]):
            parts = tuple(x if x == y else share(x, y) for x, y in zip(a, b, strict=True))
            object.__setattr__(new, name, parts)
    return new
