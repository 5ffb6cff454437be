"""What an action acts on, resolved once: from the operator's selection (keys and the
palette) or from a finding's subject. No Textual: the UI hands over a Selection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actions.base import Action, Target
from actions.flux import flux_target
from tui.sources.discovery import ApiKind
from tui.store import Pod, Store
from tui.store.flux import KIND_ORDER, FluxObject
from tui.store.resources import Row
from tui.triage import Finding


@dataclass(frozen=True)
class Selection:
    """What the dashboard has selected: the pods table's row, the Flux table's row, the
    host shown in the node metrics pane."""

    pod: Pod | None = None
    flux: FluxObject | None = None
    host: str = ""


def container_of(store: Store, namespace: str, name: str) -> str:
    """The first container of a pod the store knows ("" when it does not)."""
    pod = store.find("pods", namespace, name)
    return pod.containers[0].name if pod is not None and pod.containers else ""


def target_for(action: Action, store: Store, selection: Selection) -> Target | str:
    """The target an action takes from the selection, or why there is none."""
    kind = action.target_kind
    if kind == "cluster":
        return Target("cluster")
    if kind == "host":
        if not selection.host:
            return "no host: run with --local or --ssh TARGET"
        return Target("host", name=selection.host)
    if kind == "alert":
        return "an alert is chosen in the findings: f, then Enter on it"
    if kind == "flux":
        if selection.flux is None:
            return "select a Flux object first"
        return flux_target(store, selection.flux)
    pod = selection.pod
    if pod is None:
        return "select a pod first"
    if kind == "pod":
        return Target("pod", pod.namespace, pod.name, container_of(store, pod.namespace, pod.name))
    dep = store.deployment_of(pod)
    if dep is None:
        return f"{pod.namespace}/{pod.name} is not run by a Deployment"
    if kind in ("deployment", "endpoints"):
        return Target(kind, dep.namespace, dep.name)
    return f"no target for {action.id}"


def finding_target(action: Action, store: Store, finding: Finding) -> Target | str:
    """The target an action of a finding acts on: the finding's subject, or why not."""
    subject = finding.subject
    kind = action.target_kind
    if kind == "pod":
        if not subject.pod and subject.kind != "pod":
            return "no pod named by this finding"
        name = subject.pod or subject.name
        return Target("pod", subject.namespace, name, container_of(store, subject.namespace, name))
    if kind in ("deployment", "endpoints"):
        wanted = "deployment" if kind == "deployment" else "service"
        if subject.kind == wanted:
            return Target(kind, subject.namespace, subject.name)
        return f"{subject} is not a {'Deployment' if kind == 'deployment' else 'Service'}"
    if kind == "flux":
        return Target(subject.kind, subject.namespace, subject.name, path=subject.path)
    if kind == "alert":
        if subject.kind != "alert":
            return f"{subject} is not an Alertmanager alert"
        return Target("alert", subject.namespace, subject.name, path=subject.path)
    if kind == "host":
        if subject.kind == "host":
            return Target("host", name=subject.name)
        view = store.host_of_node(subject.name) if subject.kind == "node" else None
        if view is None:
            return f"no host known for {subject}: map the node to an SSH target in [hosts]"
        return Target("host", name=view.name)
    return Target("cluster")


def row_actions(kind: ApiKind) -> list[str]:
    """The actions that apply to a row of this kind, in the registry's terms."""
    ids = []
    if kind.group == "" and kind.plural == "pods":
        ids += ["pod.logs", "pod.logs-previous", "pod.describe", "pod.delete"]
    elif kind.group == "apps" and kind.plural == "deployments":
        ids += ["deployment.restart", "deployment.scale", "deployment.set-resources"]
    elif kind.group == "" and kind.plural == "endpoints":
        ids += ["endpoints.recreate"]
    elif kind.group.endswith(".toolkit.fluxcd.io") and kind.kind in KIND_ORDER:
        ids += ["flux.reconcile", "flux.reconcile-with-source", "flux.suspend", "flux.resume"]
    if "delete" in kind.verbs:
        ids.append("resource.delete")
    ids.append("flux.trace")  # any object: what Flux object applies it, if one does
    return ids


def row_target(action: Action, kind: ApiKind, row: Row, store: Store) -> Target | str:
    """The target an action takes from a row of any kind (`:kind`), or why not."""
    if action.id not in row_actions(kind):
        return f"{action.id} does not act on {kind.name}"
    path = f"{kind.path(row.namespace)}/{row.name}"
    if action.target_kind == "resource" or action.id == "flux.trace":
        return Target(kind.name, row.namespace, row.name, path=path)
    if action.target_kind == "pod":
        return Target("pod", row.namespace, row.name, container_of(store, row.namespace, row.name))
    if action.target_kind in ("deployment", "endpoints"):
        return Target(action.target_kind, row.namespace, row.name)
    if action.target_kind == "flux":
        return Target(kind.kind, row.namespace, row.name, path=path)
    return f"no target for {action.id}"


def services_selecting(store: Store, namespace: str, name: str) -> list[Any]:
    """The Services whose selector picks the pod (its endpoints), by name."""
    pod = store.find("pods", namespace, name) if store is not None else None
    if pod is None:
        return []
    return sorted(
        (
            s
            for s in store.objects.get("services", {}).values()
            if s.namespace == pod.namespace
            and s.selector
            and all(pod.labels.get(k) == v for k, v in s.selector.items())
        ),
        key=lambda s: s.name,
    )
