"""GitOps units: Go durations, when Flux comes back, the findings of what the console
left out of Flux's hands (warning, then critical after [gitops] critical_after)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actions.provenance import next_reconcile, parse_go_duration, revert_text
from tui.config import ConfigError, load_settings
from tui.store import Store, Upsert
from tui.store.flux import parse_flux
from tui.store.models import parse_deployment
from tui.triage import evaluate

T0 = 1_800_000_000.0  # a fixed clock


def stamp(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def kustomization(**spec: Any) -> Any:
    annotations = spec.pop("annotations", {})
    handled = spec.pop("handled", None)
    return parse_flux(
        {
            "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system", "annotations": annotations},
            "spec": {"interval": "5m", "path": "./apps", **spec},
            "status": {
                **({"lastHandledReconcileAt": handled} if handled else {}),
                "conditions": [
                    {"type": "Ready", "status": "True", "lastTransitionTime": stamp(T0)}
                ],
            },
        }
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300.0), ("1h30m", 5400.0), ("10s", 10.0), ("1m0s", 60.0), ("500ms", 0.5)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5 m", "m5", "-1m", "0s"])
def test_not_go_durations(text: str) -> None:
    assert parse_go_duration(text) is None


def test_the_next_reconcile_counts_intervals_from_the_last_handled_one() -> None:
    ks = kustomization()  # from the Ready transition at T0
    assert next_reconcile(ks, T0 + 10) == T0 + 300
    assert next_reconcile(ks, T0 + 300) == T0 + 600
    handled = kustomization(handled=stamp(T0 + 100))
    assert next_reconcile(handled, T0 + 150) == T0 + 400
    assert "in 4m10s" in revert_text(handled, T0 + 150)
    assert "is suspended" in revert_text(kustomization(suspend=True), T0)


def findings(store: Store, now: float, after: float = 1800.0) -> dict[str, Any]:
    return {f.rule: f for f in evaluate(store, now, after)}


def test_a_suspension_by_the_console_is_a_warning_then_critical() -> None:
    s = Store()
    marks = {"incident-console.io/suspended-at": stamp(T0), "incident-console.io/by": "ops"}
    s.apply([Upsert("flux/Kustomization", kustomization(suspend=True, annotations=marks))])
    f = findings(s, T0 + 600)["flux-suspended-by-console"]
    assert f.severity.label == "warning" and f.title == (
        "Kustomization apps suspended by this console 10m ago"
    )
    assert f.actions == ("flux.resume",) and "by ops" in f.evidence
    assert findings(s, T0 + 1800)["flux-suspended-by-console"].severity.label == "critical"
    assert findings(s, T0 + 600, after=300)["flux-suspended-by-console"].severity.label == (
        "critical"
    )
    # suspended by someone else (no mark), or resumed with the mark left: no finding
    s.apply([Upsert("flux/Kustomization", kustomization(suspend=True))])
    assert "flux-suspended-by-console" not in findings(s, T0 + 600)
    s.apply([Upsert("flux/Kustomization", kustomization(annotations=marks))])
    assert "flux-suspended-by-console" not in findings(s, T0 + 600)


def test_an_object_excluded_by_the_console_is_a_finding_until_given_back() -> None:
    def dep(annotations: dict[str, str]) -> Any:
        return parse_deployment(
            {
                "metadata": {
                    "name": "api-gateway",
                    "namespace": "default",
                    "uid": "d",
                    "labels": {
                        "kustomize.toolkit.fluxcd.io/name": "apps",
                        "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
                    },
                    "annotations": annotations,
                },
                "spec": {"replicas": 1},
            }
        )

    s = Store()
    excluded = {
        "kustomize.toolkit.fluxcd.io/reconcile": "disabled",
        "incident-console.io/reconcile-disabled-at": stamp(T0),
    }
    s.apply([Upsert("deployments", dep(excluded))])
    f = findings(s, T0 + 60)["flux-reconcile-disabled-by-console"]
    assert (
        f.actions == ("flux.enable-reconcile",) and "Kustomization flux-system/apps" in f.evidence
    )
    s.apply([Upsert("deployments", dep({}))])
    assert "flux-reconcile-disabled-by-console" not in findings(s, T0 + 60)


def test_gitops_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[gitops]\ncritical_after = 45\n")
    assert load_settings(path).gitops_critical_after == 2700.0
    path.write_text("[gitops]\ncritical_after = 0\n")
    with pytest.raises(ConfigError, match=r"\[gitops\] takes critical_after"):
        load_settings(path)
