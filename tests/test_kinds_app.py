"""`:kind [namespace]` in the console, as an operator types it: any kind's rows, the
runbook's views (Service endpoints, Ingress routes and certificates, Kafka topics' Ready
messages), describe and YAML with Secret values never shown, delete confirmed by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import audit_lines, dry_runs, make_app, mutations, until
from tests.test_app import lines
from tui.kinds import show_kind
from tui.screens.confirm import ConfirmScreen
from tui.screens.describe import DescribeScreen
from tui.screens.resources import ResourceScreen

SIZE = (160, 48)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    from tui.demo import start_demo

    emulator, _demo, path = start_demo(kubeconfig=tmp_path / "kubeconfig", scenario=False)
    yield emulator, path
    emulator.stop()


async def show(pilot: Any, words: str, rows: int) -> ResourceScreen:
    """`:` then the words, Enter on the first hit; the kind's rows listed."""
    from textual.command import CommandPalette
    from textual.widgets import Input

    app = pilot.app
    await pilot.press("colon")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    field = app.screen.query_one(Input)
    await until(pilot, lambda: field.has_focus)
    await pilot.press(*words)
    first = words.split()[0]
    options = app.screen.query_one("CommandList")

    def offered() -> bool:
        return options.option_count > 0 and str(options.get_option_at_index(0).prompt).startswith(
            "Show"
        )

    try:
        await until(pilot, offered, what=f"the kind {first} offered")
    except AssertionError:
        got = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        raise AssertionError(f"{field.value!r}: {got[:4]}") from None
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ResourceScreen))
    screen = app.screen
    await until(pilot, lambda: screen.pane.table.row_count >= rows, what=f"{rows} rows")
    return screen


def shown(screen: ResourceScreen) -> str:
    return "\n".join([*lines(screen.pane.table), *lines(screen.pane.detail)])


async def test_kafka_topics_the_broken_one_first_with_its_message(
    demo: tuple[Any, Path],
) -> None:
    app = make_app(demo[1])
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, "kt kafka", 3)
        text = shown(screen)
        assert "CLUSTER" in text and "PARTITIONS" in text and "REPLICATION FACTOR" in text
        first = screen.pane.table.items[0]
        assert first.name == "enrichments" and first.ready == "False"
        assert "Number of partitions cannot be decreased" in text
        assert "kafkatopics.kafka.strimzi.io in kafka 3 / 1 not ready" in str(
            screen.pane.border_title
        )
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DescribeScreen))
        body = "\n".join(app.screen.lines)
        assert "Conditions:" in body and "partitions cannot be decreased" in body


async def test_services_and_ingresses_answer_the_runbook(demo: tuple[Any, Path]) -> None:
    app = make_app(demo[1])
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, "svc default", 4)  # the apps' three and kubernetes
        table = screen.pane.table
        # no ready endpoint behind it: first, and counted as not ready
        await until(pilot, lambda: "4 / 1 not ready" in str(screen.pane.border_title))
        assert table.items[0].name == "api-gateway"
        gateway = next(r for r in table.items if r.name == "api-gateway")
        table.move_to(gateway.uid)
        await until(pilot, lambda: "not ready 3" in shown(screen), what="the not-ready endpoints")
        assert "ready 0: none" in shown(screen) and "(api-gateway-" in shown(screen)
        assert "(EndpointSlices)" in shown(screen)
        # a cluster without EndpointSlices for it: the Endpoints say the same
        emulator = demo[0]
        for s in emulator.cluster.list("EndpointSlice", "default"):
            emulator.cluster.remove("EndpointSlice", "default", s["metadata"]["name"])
        await until(pilot, lambda: "(Endpoints)" in shown(screen), what="the fallback")
        assert "not ready 3" in shown(screen)
        await pilot.press("escape")
        screen = await show(pilot, "ing", 2)
        table = screen.pane.table
        ui = next(r for r in table.items if r.name == "kafka-ui")
        table.move_to(ui.uid)
        await until(
            pilot,
            lambda: (
                "TLS kafka-ui-tls: Ready=False: Issuing certificate as Secret does not exist"
                in shown(screen)
            ),
            what="the certificate's state",
        )
        assert "kafka.mercurious.example.com/ → kafka-ui:80 (no such Service)" in shown(screen)
        # both lead nowhere ready (the gateway crash-loops); kafka-ui's certificate too
        assert "ingresses.networking.k8s.io 2 / 2 not ready" in str(screen.pane.border_title)


async def test_a_secret_shows_its_keys_never_its_values(demo: tuple[Any, Path]) -> None:
    app = make_app(demo[1])
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, "secret flux-system", 1)
        assert "QUdFLVNFQ1JF" not in shown(screen)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, DescribeScreen))
        body = "\n".join(app.screen.lines)
        assert "age.agekey: <25 bytes>" in body and "QUdFLVNFQ1JF" not in body
        await pilot.press("escape")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DescribeScreen))
        assert "QUdFLVNFQ1JF" not in "\n".join(app.screen.lines)


async def test_delete_asks_for_the_name_and_read_only_offers_none(
    demo: tuple[Any, Path], tmp_path: Path
) -> None:
    emulator, path = demo
    audit = tmp_path / "audit.jsonl"
    app = make_app(path, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot, "kafkatopic kafka", 3)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert dry_runs(emulator.cluster)[-1].path.endswith(
            "/namespaces/kafka/kafkatopics/enrichments"
        )
        await pilot.press("escape")
        await until(pilot, lambda: audit_lines(audit))
    assert mutations(emulator.cluster) == []
    assert audit_lines(audit)[-1]["action"] == "resource.delete"
    assert audit_lines(audit)[-1]["outcome"] == "cancelled"
    before = len(emulator.cluster.requests)
    app = make_app(path, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, "kafkatopic kafka", 3)
        await pilot.press("D")
        await pilot.pause(0.3)
        assert app.screen is screen
    assert [r for r in list(emulator.cluster.requests)[before:] if r.method != "GET"] == []


async def test_a_deployment_row_offers_its_own_actions(demo: tuple[Any, Path]) -> None:
    from textual.command import CommandPalette

    emulator, path = demo
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await show(pilot, "deploy default", 3)
        table = screen.pane.table
        assert table.items[0].name == "api-gateway"  # 0 of 3 replicas ready: first
        assert "0 of 3 replicas ready" in shown(screen)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        options = app.screen.query_one("CommandList")
        await until(pilot, lambda: options.option_count >= 5)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(
            p.startswith("Restart deployment (rollout restart) — deployment/api-gateway")
            for p in prompts
        )
        index = next(i for i, p in enumerate(prompts) if p.startswith("Restart deployment"))
        options.highlighted = index
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert (
            dry_runs(emulator.cluster)[-1].path
            == "/apis/apps/v1/namespaces/default/deployments/api-gateway"
        )
        await pilot.press("escape")


async def test_a_forbidden_kind_says_so_with_the_servers_message(demo: tuple[Any, Path]) -> None:
    from textual.command import CommandPalette

    emulator, path = demo
    emulator.cluster.fail("kafkatopics", 403)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.pause(0.2)
        await pilot.press(*"kt kafka")
        options = app.screen.query_one("CommandList")
        await until(
            pilot,
            lambda: (
                options.option_count
                and str(options.get_option_at_index(0).prompt).startswith("Show kafkatopics")
            ),
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ResourceScreen))
        screen = app.screen
        await until(pilot, lambda: "forbidden" in shown(screen), what="the refusal shown")
        assert 'cannot list resource "kafkatopics"' in shown(screen)
        assert app.store.status["pods"].state.value == "live"  # the rest goes on


async def test_a_view_under_another_stays_live_and_comes_back_with_its_rows(
    demo: tuple[Any, Path],
) -> None:
    """Issue 28.1: `:svc`, then `:cert` from it, then Esc showed "0 / 0 · none"."""
    app = make_app(demo[1])
    async with app.run_test(size=SIZE) as pilot:
        services = await show(pilot, "svc default", 4)
        certificates = await show(pilot, "cert", 1)
        assert certificates is not services
        # a Service made while the certificates are on top reaches the view under them
        demo[0].cluster.put(
            "Service",
            {
                "metadata": {"name": "late-arrival", "namespace": "default"},
                "spec": {"ports": [{"port": 80}], "clusterIP": "10.43.99.9", "type": "ClusterIP"},
            },
        )
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is services)
        await until(pilot, lambda: services.pane.table.row_count == 5, what="5 live rows")
        assert "late-arrival" in shown(services)
        assert "0 / 0" not in str(services.pane.border_title)


def footer_keys(screen: Any) -> list[Any]:
    from textual.widgets._footer import FooterKey

    return list(screen.query(FooterKey))


def footer_text(screen: Any) -> str:
    return " ".join("".join(lines(k)) for k in footer_keys(screen))


async def test_footers_show_the_keys_of_what_has_the_focus(demo: tuple[Any, Path]) -> None:
    """The :kind screen's footer, mounted once its table has the focus, has the table's
    keys and keeps them; the dashboard's, not redrawn while covered, has its keys back
    when the screen closes."""
    app = make_app(demo[1])
    async with app.run_test(size=SIZE) as pilot:
        dashboard = app.screen
        await until(pilot, lambda: "Pod logs" in footer_text(dashboard), what="its keys")
        await until(pilot, lambda: app.session.discovery is not None, what="discovery")
        # as after discovery was asked again (look_again): straight from the dashboard
        show_kind(app, app.session.discovery.resolve("pods"), None)
        await until(pilot, lambda: isinstance(app.screen, ResourceScreen))
        screen = app.screen
        await until(pilot, lambda: footer_keys(screen), what="its footer")
        keys = footer_keys(screen)
        assert "Filter" in footer_text(screen) and "Describe" in footer_text(screen)
        await pilot.pause(0.5)
        assert footer_keys(screen) == keys
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is dashboard, what="the dashboard back")
        await until(pilot, lambda: "Pod logs" in footer_text(dashboard), what="its keys back")
