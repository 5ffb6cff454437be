"""Flux: which kinds and versions the server serves, found by API discovery, each then
listed and watched with the foundation's ListWatch. No version is hard-coded: Flux 2.4
serves the image kinds as v1beta2, 2.7 as v1; OCIRepository became v1 in 2.6.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.sources.client import ApiError, Kube
from tui.sources.kube import KindSpec, classify
from tui.store import ChangeBuffer, FluxPaths, KindStatus, State, StatusChange
from tui.store.flux import KIND_ORDER

FLUX_SUFFIX = ".toolkit.fluxcd.io"
STATUS_KEY = "flux"  # the store's status for Flux as a whole (installed or not)


@dataclass(frozen=True)
class FluxKind:
    kind: str
    spec: KindSpec

    @property
    def store_kind(self) -> str:
        return f"flux/{self.kind}"

    @property
    def object_path(self) -> str:
        """A template for one object's path: format(namespace=..., name=...)."""
        s = self.spec
        return f"/apis/{s.group}/{s.version}/namespaces/{{namespace}}/{s.plural}/{{name}}"


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes' version priority: GA before beta before alpha, higher numbers first."""
    m = _VERSION.match(version)
    if not m:
        return (-1, 0, 0)
    stage = {"": 2, "beta": 1, "alpha": 0}[m.group(2) or ""]
    return (stage, int(m.group(1)), int(m.group(3) or 0))


def discover(kube: Kube) -> list[FluxKind]:
    """The Flux kinds the server serves, each at its best version: the group's preferred
    one where the kind is served there, else the highest-priority version serving it."""
    groups = kube.json("GET", "/apis", timeout=(5.0, 20.0)).get("groups") or []
    best: dict[str, tuple[tuple[int, int, int, int], FluxKind]] = {}
    for group in groups:
        name = str(group.get("name", ""))
        if not name.endswith(FLUX_SUFFIX):
            continue
        preferred = (group.get("preferredVersion") or {}).get("version")
        for v in group.get("versions") or []:
            version = str(v.get("version", ""))
            resources = kube.json("GET", f"/apis/{name}/{version}", timeout=(5.0, 20.0))
            rank = (1 if version == preferred else 0, *version_priority(version))
            for r in resources.get("resources") or []:
                plural, kind = str(r.get("name", "")), str(r.get("kind", ""))
                if "/" in plural or kind not in KIND_ORDER:
                    continue
                if kind not in best or rank > best[kind][0]:
                    spec = KindSpec(f"flux/{kind}", name, version, plural, True)
                    best[kind] = (rank, FluxKind(kind, spec))
    return sorted((fk for _, fk in best.values()), key=lambda f: KIND_ORDER.index(f.kind))


def discover_status(kube: Kube, sink: ChangeBuffer) -> list[FluxKind]:
    """Discover, and say in the store what was found: kinds, Flux absent, or the error."""
    try:
        kinds = discover(kube)
    except ApiError as e:
        sink.put(StatusChange(STATUS_KEY, classify(e, kube.info.server, 5.0)))
        return []
    except Exception as e:
        sink.put(StatusChange(STATUS_KEY, classify(e, kube.info.server, 5.0)))
        return []
    if not kinds:
        sink.put(StatusChange(STATUS_KEY, KindStatus(State.ABSENT, "Flux is not installed")))
    else:
        served = ", ".join(f"{k.kind} {k.spec.version}" for k in kinds)
        sink.put(FluxPaths(tuple((k.kind, k.object_path) for k in kinds)))
        sink.put(StatusChange(STATUS_KEY, KindStatus(State.LIVE, served)))
    return kinds
