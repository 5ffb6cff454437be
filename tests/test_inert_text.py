"""Fault matrix, text row: what the cluster and the containers write is data. Markup,
ANSI and OSC sequences, NUL and invalid UTF-8 in event, Flux and log text are shown
inert: the words stay, the controls go, nothing is interpreted, nothing crashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests import fixtures as fx
from tests.conftest import make_app, until
from tests.test_action_flow import log_text, ready, screen_is
from tests.test_app import SIZE, screen_text
from tui.demo.flux import seed_flux
from tui.demo.state import Cluster
from tui.screens.tail import TailScreen

# Rich markup, a hyperlink (OSC 8), a window title (OSC 0), colour (CSI), clear screen,
# a NUL and a bell
NASTY = (
    "[bold red]boom[/] \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 "
    "\x1b]0;owned\x07\x1b[31mred\x1b[0m\x1b[2J nul\x00here bell\x07end"
)


def inert(text: str) -> None:
    assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
    assert "owned" not in text and "evil.example" not in text  # the sequences' payloads


async def test_events_and_flux_messages_are_shown_inert(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    seed_flux(small_cluster, "2.7")
    ks = small_cluster.get("Kustomization", "flux-system", "apps")
    assert ks is not None
    ks["status"]["conditions"][0]["message"] = NASTY
    small_cluster.put("Kustomization", ks)
    small_cluster.put("Event", fx.event("nasty.1", message=NASTY, obj=("Pod", "victim")))
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "boom" in screen_text(app, "#events"))
        events = screen_text(app, "#events")
        assert "[bold red]boom[/] link" in events and "nulhere" in events.replace(" ", "")
        inert(events)
        await until(pilot, lambda: "boom" in screen_text(app, "#flux"))
        flux = screen_text(app, "#flux")
        assert "[bold red]boom[/] link" in flux
        inert(flux)


async def test_a_log_with_nul_invalid_utf8_and_sequences_is_shown_inert(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=SIZE) as pilot:
        table = await ready(pilot, app)
        pod = next(p for p in table.items if p.name.startswith("api-generation"))
        table.move_to(pod.uid)
        await pilot.press("l")
        await until(pilot, lambda: screen_is(app, TailScreen))
        # "\udcff" leaves the emulator as the byte 0xFF: not UTF-8
        cluster.append_log("default", pod.name, "api-generation", "bad \udcff byte", NASTY)
        await until(pilot, lambda: "bell" in log_text(app), timeout=15)
        text = log_text(app)
        assert "bad \ufffd byte" in text  # the replacement character, not a crash
        assert "[bold red]boom[/] link" in text
        inert(text)
        cluster.append_log("default", pod.name, "api-generation", "still following")
        await until(pilot, lambda: "still following" in log_text(app))
