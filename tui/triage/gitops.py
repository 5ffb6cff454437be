"""What this console left out of Flux's hands stays visible: a Kustomization or HelmRelease
it suspended, an object it excluded with `kustomize.toolkit.fluxcd.io/reconcile:
disabled`. A warning at once, critical once it has lasted `critical_after` (the
`[gitops] critical_after` setting), each with the action that gives it back to Flux.

The console marks what it does with annotations (incident-console.io/suspended-at,
.../reconcile-disabled-at), so any console sees it, after any restart. Pure.
"""

from __future__ import annotations

from tui.store import Store
from tui.store.units import human_duration
from tui.triage.findings import Finding, Severity, Subject

CRITICAL_AFTER = 1800.0  # seconds: a suspension forgotten past the incident
SECTION = "GitOps: bring the fix back to Git"


def gitops_rules(store: Store, now: float, critical_after: float = CRITICAL_AFTER) -> list[Finding]:
    out = []
    for o in store.flux_objects():
        if not o.suspended or o.suspended_by_console is None:
            continue
        lasted = max(now - o.suspended_by_console, 0.0)
        by = f" by {o.suspended_by}" if o.suspended_by else ""
        out.append(
            Finding(
                "flux-suspended-by-console",
                f"{o.kind} {o.name} suspended by this console {human_duration(lasted)} ago",
                Severity.CRITICAL if lasted >= critical_after else Severity.WARNING,
                Subject(
                    o.kind, o.name, o.namespace, path=store.flux_path(o.kind, o.namespace, o.name)
                ),
                f"spec.suspend: true{by}: Flux applies nothing from {o.kind} {o.name} (no new"
                " revision, no drift corrected) until it is resumed; commit the change to Git"
                " (the report lists it), then resume",
                ("flux.resume",),
                SECTION,
                since=o.suspended_by_console,
            )
        )
    for d in store.deployments.values():
        if not d.reconcile_disabled or d.disabled_by_console is None:
            continue
        lasted = max(now - d.disabled_by_console, 0.0)
        kind, ns, name = d.manager
        who = f"{kind} {ns}/{name}" if kind else "Flux"
        out.append(
            Finding(
                "flux-reconcile-disabled-by-console",
                f"Deployment {d.name} excluded from Flux by this console {human_duration(lasted)}"
                " ago",
                Severity.CRITICAL if lasted >= critical_after else Severity.WARNING,
                Subject("deployment", d.name, d.namespace),
                f"kustomize.toolkit.fluxcd.io/reconcile: disabled: {who} leaves it as changed by"
                " hand; commit the change to Git (the report lists it), then give it back",
                ("flux.enable-reconcile",),
                SECTION,
                since=d.disabled_by_console,
            )
        )
    return out
