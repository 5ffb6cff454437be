"""describe, as kubectl describe pod shows what an operator needs."""

from __future__ import annotations

import time

from tests import fixtures as fx
from tui.describe import describe_pod


def test_describe_shows_conditions_last_termination_resources_and_events() -> None:
    pod = fx.pod(
        "api-gateway-1",
        waiting="CrashLoopBackOff",
        waiting_message="back-off 40s",
        restarts=6,
        last_terminated="OOMKilled",
        last_finished=30,
        owner=("ReplicaSet", "api-gateway-5f7c9"),
    )
    pod["spec"]["containers"][0]["resources"] = {
        "limits": {"memory": "256Mi"},
        "requests": {"cpu": "100m"},
    }
    events = [
        fx.event("e1", reason="BackOff", count=12, message="Back-off [red]restarting[/]\x1b[2J")
    ]
    text = "\n".join(describe_pod(pod, events, now=time.time()))
    assert "Controlled By: ReplicaSet/api-gateway-5f7c9" in text
    assert "Ready              False" in text
    assert "State:          Waiting" in text and "reason: CrashLoopBackOff" in text
    assert (
        "Last State:     Terminated" in text
        and "reason: OOMKilled" in text
        and "exitCode: 137" in text
    )
    assert "Restart Count:  6" in text
    assert "Limits:         memory=256Mi" in text and "Requests:       cpu=100m" in text
    assert "BackOff" in text and "(x12)" in text and "Back-off [red]restarting[/]" in text
    assert "\x1b" not in text


def test_describe_survives_a_bare_object() -> None:
    assert "Events:" in describe_pod({"metadata": {"name": "x"}}, [])
