"""The probes' targets are data, never a command line: what could be read as an option,
or a second command, is refused before anything runs."""

from __future__ import annotations

import pytest

from actions import registry
from actions.base import Context, Target

POD = Target("pod", "default", "api-gateway-1")


@pytest.mark.parametrize(
    ("action", "param", "value"),
    [
        ("probe.http", "url", "-o/tmp/x"),
        ("probe.http", "url", "localhost:8080/health;reboot"),
        ("probe.http", "url", "http://a b"),
        ("probe.tcp", "target", "-e:1"),
        ("probe.tcp", "target", "db:5432 -e sh"),
        ("probe.tcp", "target", "db:99999"),
        ("probe.dns", "name", "-x"),
        ("probe.dns", "name", "a.b;ls"),
    ],
)
def test_a_target_that_is_not_a_name_is_refused(action: str, param: str, value: str) -> None:
    ctx = Context(client=None, context="test", store=None)  # type: ignore[arg-type]
    plan = registry.get(action).plan(ctx, POD, {param: value})
    assert plan.refusal


def test_the_commands_are_the_fixed_words_and_the_target() -> None:
    probes = {a.id: a for a in registry.all_actions()}
    assert probes["probe.dns"].commands({"name": "kubernetes.default"}) == [  # type: ignore[attr-defined]
        ["nslookup", "kubernetes.default"]
    ]
    assert probes["probe.tcp"].commands({"target": "database-host:5432"}) == [  # type: ignore[attr-defined]
        ["nc", "-zv", "-w", "3", "database-host", "5432"]
    ]
