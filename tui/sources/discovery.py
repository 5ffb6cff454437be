"""Every kind the server serves, and the names kubectl accepts for each.

Discovery asks `/api` and `/apis` for the aggregated documents (apidiscovery.k8s.io/v2,
one request each) and falls back on the legacy per-group-version documents when the
server answers with a plain APIVersions/APIGroupList. A group's preferred version is
the one kept. `Discovery.resolve` follows kubectl's RESTMapper: the plural, the singular,
a short name or the kind, any case; `plural.group` (or `plural.version.group`) names one
group; the core group wins a tie, then the groups in the server's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.sources.client import Kube

AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)
TIMEOUT = (5.0, 20.0)


@dataclass(frozen=True)
class ApiKind:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def name(self) -> str:
        """As kubectl prints it: `plural` for the core group, else `plural.group`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def listable(self) -> bool:
        return {"list", "watch"} <= set(self.verbs)

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


class Discovery:
    """The kinds found, in the server's order (core first), and the names for each."""

    def __init__(self, kinds: list[ApiKind]) -> None:
        self.kinds = kinds

    def resolve(self, text: str) -> ApiKind | None:
        name = text.strip().lower()
        if not name:
            return None
        candidates = self.kinds
        if "." in name:
            head, _, group = name.partition(".")
            version = ""
            first, _, rest = group.partition(".")
            if rest and any(k.version == first and k.group == rest for k in self.kinds):
                version, group = first, rest  # plural.version.group
            in_group = [
                k for k in self.kinds if k.group == group and (not version or k.version == version)
            ]
            if in_group:
                candidates, name = in_group, head
        for field in ("plural", "singular", "short", "kind"):
            for k in candidates:
                if field == "short":
                    hit = name in k.short_names
                else:
                    hit = name == str(getattr(k, field)).lower()
                if hit:
                    return k
        return None

    def names(self) -> list[tuple[str, ApiKind]]:
        """Every name that resolves (for completion): the kind's name first, then its
        short names and singular."""
        out: list[tuple[str, ApiKind]] = []
        for k in self.kinds:
            for n in (k.name, *k.short_names, k.singular):
                if n and (n, k) not in out:
                    out.append((n, k))
        return out


def parse_aggregated(doc: dict[str, Any]) -> list[ApiKind]:
    """An APIGroupDiscoveryList: each group's first version is its preferred one."""
    out: list[ApiKind] = []
    for item in doc.get("items") or []:
        group = str((item.get("metadata") or {}).get("name") or "")
        versions = item.get("versions") or []
        if not versions:
            continue
        v = versions[0]
        for r in v.get("resources") or []:
            kind = (r.get("responseKind") or {}).get("kind") or ""
            out.append(
                ApiKind(
                    group,
                    str(v.get("version") or ""),
                    str(r.get("resource") or ""),
                    str(r.get("singularResource") or "").lower() or str(kind).lower(),
                    str(kind),
                    r.get("scope") == "Namespaced",
                    tuple(str(s) for s in r.get("shortNames") or ()),
                    tuple(str(s) for s in r.get("verbs") or ()),
                )
            )
    return out


def parse_resource_list(group: str, version: str, doc: dict[str, Any]) -> list[ApiKind]:
    """A legacy APIResourceList (subresources, named `plural/sub`, left out)."""
    return [
        ApiKind(
            group,
            version,
            str(r.get("name") or ""),
            str(r.get("singularName") or "").lower() or str(r.get("kind") or "").lower(),
            str(r.get("kind") or ""),
            bool(r.get("namespaced")),
            tuple(str(s) for s in r.get("shortNames") or ()),
            tuple(str(s) for s in r.get("verbs") or ()),
        )
        for r in doc.get("resources") or []
        if "/" not in str(r.get("name") or "")
    ]


def discover(kube: Kube) -> Discovery:
    """Ask the server (aggregated first, legacy per group-version as the fallback)."""
    kinds: list[ApiKind] = []
    core = kube.json("GET", "/api", accept=AGGREGATED, timeout=TIMEOUT)
    if core.get("kind") == "APIGroupDiscoveryList":
        kinds += parse_aggregated(core)
    else:
        for version in core.get("versions") or ["v1"]:
            doc = kube.json("GET", f"/api/{version}", timeout=TIMEOUT)
            kinds += parse_resource_list("", str(version), doc)
    groups = kube.json("GET", "/apis", accept=AGGREGATED, timeout=TIMEOUT)
    if groups.get("kind") == "APIGroupDiscoveryList":
        kinds += parse_aggregated(groups)
    else:
        for g in groups.get("groups") or []:
            name = str(g.get("name") or "")
            preferred = (g.get("preferredVersion") or {}).get("version") or (
                (g.get("versions") or [{}])[0].get("version")
            )
            if name and preferred:
                doc = kube.json("GET", f"/apis/{name}/{preferred}", timeout=TIMEOUT)
                kinds += parse_resource_list(name, str(preferred), doc)
    return Discovery(kinds)
