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
