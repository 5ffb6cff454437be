"""Flux objects as `flux get all -A` shows them, derived once per change. Pure.

The CLI's rules (fluxcd/flux2 cmd/flux/get*.go): REVISION is
status.lastAppliedRevision (Kustomization, HelmRelease) else status.artifact.revision
(sources), hex digests of 40 to 64 characters shortened to 8; SUSPENDED is spec.suspend;
READY and MESSAGE come from the Ready condition, and without one read "False" and
"waiting to be reconciled"; an OCI HelmRepository has no Ready condition and is no
failure. Image kinds show LAST SCAN, IMAGE/TAG or LAST RUN instead of REVISION.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.store.meta import CONSOLE_BY, CONSOLE_SUSPENDED_AT, JSON, Object, _d, _l, _s, parse_meta
from tui.store.units import parse_time

# The CLI's order in `flux get all`: sources, image objects, HelmReleases, Kustomizations.
KIND_ORDER = (
    "GitRepository",
    "OCIRepository",
    "HelmRepository",
    "HelmChart",
    "Bucket",
    "ImageRepository",
    "ImagePolicy",
    "ImageUpdateAutomation",
    "HelmRelease",
    "Kustomization",
)
_HEX = re.compile(r"[a-f0-9]{40,64}")
SOPS_MARKERS = ("decryption failed", "sops", "age identity", "no identity matched")


CONTROLLERS = {
    "Kustomization": "kustomize-controller",
    "HelmRelease": "helm-controller",
    "ImageRepository": "image-reflector-controller",
    "ImagePolicy": "image-reflector-controller",
    "ImageUpdateAutomation": "image-automation-controller",
}


def controller_of(kind: str) -> str:
    """The Flux controller (its Deployment's app label in flux-system) reconciling a kind."""
    return CONTROLLERS.get(kind, "source-controller")


def truncate_hex(revision: str) -> str:
    return _HEX.sub(lambda m: m.group(0)[:8], revision)


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str
    last_transition: float | None


@dataclass(frozen=True, slots=True)
class FluxObject(Object):
    kind: str
    api_version: str
    generation: int
    observed_generation: int
    suspended: bool
    revision: str  # as the CLI shows it
    ready: str  # True | False | Unknown
    message: str
    reason: str
    stalled: bool
    reconciling: bool
    last_reconcile: float | None  # lastHandledReconcileAt, else the Ready transition
    last_handled: str  # status.lastHandledReconcileAt, verbatim (the reconcile wait compares it)
    conditions: tuple[Condition, ...]
    source_kind: str
    source_name: str
    source_namespace: str
    extra: tuple[tuple[str, str], ...]  # image kinds: (LAST SCAN|IMAGE|TAG|LAST RUN, value)
    sops_failure: bool
    # What a trace and a GitOps confirmation read (flux trace): how often it re-applies,
    # from where, and whether this console suspended it.
    interval: str = ""  # spec.interval, verbatim ("5m")
    path: str = ""  # Kustomization: spec.path in its source
    url: str = ""  # sources: spec.url
    full_revision: str = ""  # lastAppliedRevision / artifact.revision, untruncated
    ready_since: float | None = None  # the Ready condition's last transition
    suspended_by_console: float | None = None  # incident-console.io/suspended-at
    suspended_by: str = ""  # incident-console.io/by
    drift_detection: str = ""  # HelmRelease: spec.driftDetection.mode (enabled|warn|disabled)

    @property
    def failing(self) -> bool:
        """Ready=False, or Stalled: what the pane puts first and colours."""
        return self.stalled or self.ready == "False"

    @property
    def order(self) -> tuple[int, int, str, str]:
        kind = KIND_ORDER.index(self.kind) if self.kind in KIND_ORDER else len(KIND_ORDER)
        return (0 if self.failing else 1, kind, self.namespace, self.name)


def _conditions(status: JSON) -> tuple[Condition, ...]:
    out = []
    for c in _l(status, "conditions"):
        if isinstance(c, dict):
            out.append(
                Condition(
                    type=_s(c, "type", 64),
                    status=_s(c, "status", 16) or "Unknown",
                    reason=_s(c, "reason", 128),
                    message=_s(c, "message", 4096),
                    last_transition=parse_time(c.get("lastTransitionTime")),
                )
            )
    return tuple(out)


def parse_flux(obj: JSON) -> FluxObject:
    m = parse_meta(obj)
    kind = _s(obj, "kind", 64)
    spec, status, meta = _d(obj, "spec"), _d(obj, "status"), _d(obj, "metadata")
    conditions = _conditions(status)
    by_type = {c.type: c for c in conditions}
    ready_c = by_type.get("Ready")
    oci_helm_repo = kind == "HelmRepository" and _s(spec, "type", 16) == "oci"
    if ready_c is not None:
        ready, message, reason = ready_c.status, ready_c.message, ready_c.reason
    elif oci_helm_repo:
        ready, message, reason = "True", "", ""  # the CLI's rule: no Ready is no failure
    else:
        ready, message, reason = "False", "waiting to be reconciled", ""
    revision = _s(status, "lastAppliedRevision", 512) or _s(_d(status, "artifact"), "revision", 512)
    extra: list[tuple[str, str]] = []
    if kind == "ImageRepository":
        extra.append(("LAST SCAN", _s(_d(status, "lastScanResult"), "scanTime", 64)))
    elif kind == "ImagePolicy":
        latest = _d(status, "latestRef")
        image = _s(latest, "name", 512)
        tag = _s(latest, "tag", 128)
        if not image:  # v1beta2: status.latestImage "repo:tag"
            latest_image = _s(status, "latestImage", 640)
            image, _, tag = (
                latest_image.rpartition(":") if ":" in latest_image else (latest_image, "", "")
            )
        extra += [("IMAGE", image), ("TAG", tag)]
    elif kind == "ImageUpdateAutomation":
        extra.append(("LAST RUN", _s(status, "lastAutomationRunTime", 64)))
    source = _d(spec, "sourceRef") or _d(_d(_d(spec, "chart"), "spec"), "sourceRef")
    if kind == "ImagePolicy":
        source = _d(spec, "imageRepositoryRef")
    last_handled = _s(status, "lastHandledReconcileAt", 64)
    return FluxObject(
        *m.identity,
        kind=kind,
        api_version=_s(obj, "apiVersion", 128),
        generation=int(meta.get("generation") or 0)
        if isinstance(meta.get("generation"), int)
        else 0,
        observed_generation=int(status.get("observedGeneration") or 0)
        if isinstance(status.get("observedGeneration"), int)
        else 0,
        suspended=spec.get("suspend") is True,
        revision=truncate_hex(revision),
        ready=ready,
        message=message,
        reason=reason,
        stalled=by_type.get("Stalled") is not None and by_type["Stalled"].status == "True",
        reconciling=by_type.get("Reconciling") is not None
        and by_type["Reconciling"].status == "True",
        last_reconcile=parse_time(last_handled) or (ready_c.last_transition if ready_c else None),
        last_handled=last_handled,
        conditions=conditions,
        source_kind=_s(source, "kind", 64),
        source_name=_s(source, "name", 253),
        source_namespace=_s(source, "namespace", 253) or m.namespace,
        extra=tuple(extra),
        sops_failure=ready == "False" and any(s in message.lower() for s in SOPS_MARKERS),
        interval=_s(spec, "interval", 32),
        path=_s(spec, "path", 512),
        url=_s(spec, "url", 1024),
        full_revision=revision,
        ready_since=ready_c.last_transition if ready_c else None,
        suspended_by_console=parse_time(_d(meta, "annotations").get(CONSOLE_SUSPENDED_AT))
        if spec.get("suspend") is True
        else None,
        suspended_by=_s(_d(meta, "annotations"), CONSOLE_BY, 128),
        drift_detection=_s(_d(spec, "driftDetection"), "mode", 16),
    )


def get_all_row(o: FluxObject) -> tuple[str, ...]:
    """One row of `flux get all -A`: NAMESPACE, kind/NAME, REVISION (or the image kind's
    columns), SUSPENDED, READY, MESSAGE."""
    name = f"{o.kind.lower()}/{o.name}"
    if o.kind == "ImagePolicy":
        middle = tuple(v for _, v in o.extra)
        return (o.namespace, name, *middle, o.ready, o.message)
    middle = tuple(v for _, v in o.extra) if o.extra else (o.revision,)
    return (o.namespace, name, *middle, str(o.suspended), o.ready, o.message)
