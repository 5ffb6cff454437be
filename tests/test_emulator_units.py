"""The emulator's selector and patch semantics, which kubectl and the console rely on."""

from __future__ import annotations

import pytest

from tui.demo.patch import merge_patch, strategic_merge_patch
from tui.demo.selectors import SelectorError, field_matcher, label_matcher


def obj(labels: dict[str, str], phase: str = "Running") -> dict[str, object]:
    return {"metadata": {"labels": labels, "name": "x"}, "status": {"phase": phase}}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=api", {"app": "api"}, True),
        ("app==api", {"app": "web"}, False),
        ("app!=api", {"app": "web"}, True),
        ("app in (api,web)", {"app": "web"}, True),
        ("app notin (api,web)", {"app": "web"}, False),
        ("tier", {"tier": "x"}, True),
        ("!tier", {"tier": "x"}, False),
        ("app=api,tier=be", {"app": "api", "tier": "fe"}, False),
        ("", {}, True),
    ],
)
def test_label_selector(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert label_matcher(selector)(obj(labels)) is expected


def test_field_selector_and_errors() -> None:
    assert field_matcher("status.phase!=Running")(obj({}, "Pending"))
    assert not field_matcher("status.phase!=Running")(obj({}, "Running"))
    assert field_matcher("metadata.name=x")(obj({}))
    with pytest.raises(SelectorError):
        field_matcher("nonsense")


def test_merge_patch_and_strategic_merge_of_containers() -> None:
    dep = {
        "spec": {
            "template": {
                "metadata": {"annotations": {"a": "1"}},
                "spec": {
                    "containers": [
                        {"name": "gw", "image": "x", "resources": {"limits": {"memory": "256Mi"}}},
                        {"name": "side", "image": "y"},
                    ]
                },
            }
        }
    }
    patched = strategic_merge_patch(
        dep,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "gw", "resources": {"limits": {"memory": "1Gi"}}}]
                    }
                }
            }
        },
    )
    containers = patched["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["gw", "side"]
    assert containers[0]["resources"]["limits"]["memory"] == "1Gi"
    assert containers[0]["image"] == "x"
    merged = merge_patch(
        dep, {"spec": {"template": {"metadata": {"annotations": {"a": None, "b": "2"}}}}}
    )
    assert merged["spec"]["template"]["metadata"]["annotations"] == {"b": "2"}


# The emulator's own arithmetic: values from apimachinery's tests and docs, so that the
# server side of every integration test is right independently of the console's parsers.
@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (150, "2m30s"),
        (600, "10m"),
        (3 * 3600 + 59, "3h"),
        (5 * 3600 + 3 * 60, "5h3m"),
        (20 * 3600, "20h"),
        (3 * 86400 + 4 * 3600, "3d4h"),
        (120 * 86400, "120d"),
        (2 * 365 * 86400 + 30 * 86400, "2y30d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_emulator_human_duration(seconds: int, shown: str) -> None:
    from tui.demo.units import human_duration

    assert human_duration(seconds) == shown


def test_emulator_quantities_and_version_order() -> None:
    from tui.demo.units import quantity, version_order

    assert quantity("250m") == 0.25 and quantity("1Gi") == 2**30 and quantity("2k") == 2000
    assert quantity("1e3") == 1000 and quantity("bogus") == 0 and quantity(None) == 0
    given = ["v1alpha1", "v11alpha2", "foo10", "v1", "v2beta1", "v10", "v12alpha1", "v1beta1"]
    # the order Kubernetes documents for a group's versions (CRD versioning docs)
    assert sorted(given, key=version_order, reverse=True) == [
        "v10",
        "v1",
        "v2beta1",
        "v1beta1",
        "v12alpha1",
        "v11alpha2",
        "v1alpha1",
        "foo10",
    ]
