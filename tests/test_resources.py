"""Any kind through the generic feed: the rows kubectl prints (the server's Table), live,
and the fallback columns where the server offers no Table."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tui.config import Settings
from tui.session import Session
from tui.sources.client import Kube
from tui.store.pods import FAILING, HEALTHY

KUBECTL = "/usr/bin/kubectl"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    from tui.demo import start_demo

    emulator, _demo, path = start_demo(kubeconfig=tmp_path / "kubeconfig", scenario=False)
    yield emulator, path
    emulator.stop()


@pytest.fixture
def session(demo: tuple[Any, Path]) -> Iterator[Session]:
    _, path = demo
    s = Session(Settings(kubeconfig=str(path)), Kube.from_kubeconfig(str(path), None))
    yield s
    s.stop()


def rows(session: Session, key: str, count: int) -> list[Any]:
    def listed() -> list[Any]:
        session.drain()
        found = list(session.store.objects.get(key, {}).values())
        return found if len(found) >= count else []

    return sorted(wait_for(listed, 10, f"{count} rows of {key}"), key=lambda r: r.name)


def kubectl_rows(kubeconfig: Path, *args: str) -> list[list[str]]:
    out = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "get", *args, "--no-headers"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines() if line.strip()]


def test_kafka_topics_as_kubectl_prints_them_and_the_not_ready_one_first(
    session: Session, demo: tuple[Any, Path]
) -> None:
    kind = session.resolve("kt")
    assert kind is not None and kind.name == "kafkatopics.kafka.strimzi.io"
    key = session.open_kind(kind, "kafka")
    got = rows(session, key, 3)
    assert [c.name for c in got[0].columns] == [
        "Name",
        "Cluster",
        "Partitions",
        "Replication factor",
        "Ready",
    ]
    if Path(KUBECTL).exists():
        assert sorted(list(r.cells) for r in got) == sorted(
            kubectl_rows(demo[1], "kt", "-n", "kafka")
        )
    broken = next(r for r in got if r.name == "enrichments")
    assert broken.ready == "False" and broken.attention == FAILING
    assert "partitions cannot be decreased" in broken.message
    assert sorted(got, key=lambda r: r.order)[0].name == "enrichments"


def test_a_change_arrives_live_and_another_kind_replaces_the_first(
    session: Session, demo: tuple[Any, Path]
) -> None:
    emulator, _ = demo
    kind = session.resolve("kafkatopic")
    assert kind is not None
    key = session.open_kind(kind, "kafka")
    rows(session, key, 3)
    topic = emulator.cluster.get("KafkaTopic", "kafka", "enrichments")
    topic["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    emulator.cluster.put("KafkaTopic", topic)

    def fixed() -> bool:
        session.drain()
        row = next(
            (r for r in session.store.objects[key].values() if r.name == "enrichments"), None
        )
        return row is not None and row.ready == "True" and row.attention == HEALTHY

    wait_for(fixed, 10, "the topic Ready through the watch")
    svc = session.resolve("svc")
    assert svc is not None
    other = session.open_kind(svc, "default")
    got = rows(session, other, 3)
    assert [c.name for c in got[0].columns][:5] == [
        "Name",
        "Type",
        "Cluster-IP",
        "External-IP",
        "Port(s)",
    ]
    # the first view is still on the stack: it stays live (issue 28.1: it came back empty)
    session.drain()
    assert any(r.name == "enrichments" for r in session.store.objects[key].values())
    session.close_kind(other)  # the services view closed: its rows go, the topics stay
    wait_for(lambda: (session.drain(), not session.store.objects[other])[1], 5, "svc rows gone")
    assert any(r.name == "enrichments" for r in session.store.objects[key].values())
    session.close_kind(key)
    wait_for(lambda: (session.drain(), not session.store.objects[key])[1], 5, "the topics gone")


def test_without_a_table_the_fallback_columns_come_from_the_crd(
    session: Session, demo: tuple[Any, Path]
) -> None:
    emulator, _ = demo
    emulator.cluster.faults.tables_absent = True
    kind = session.resolve("kafkatopics.kafka.strimzi.io")
    assert kind is not None
    got = rows(session, session.open_kind(kind, "kafka"), 3)
    assert [c.name for c in got[0].columns] == [
        "Namespace",
        "Name",
        "Ready",
        "Cluster",
        "Partitions",
        "Replication factor",
        "Age",
    ]
    broken = next(r for r in got if r.name == "enrichments")
    assert broken.cells[:6] == (
        "kafka",
        "enrichments",
        "False (KafkaError)",
        "mercurious-cluster",
        "12",
        "1",
    )
    assert broken.cells[-1] == "90d"


def test_flux_kinds_show_fluxs_printer_columns(session: Session, demo: tuple[Any, Path]) -> None:
    """Issue 28.4: `:ks`, `:hr` showed only NAMESPACE/NAME/AGE on the demo."""
    ks = session.resolve("ks")
    assert ks is not None
    got = rows(session, session.open_kind(ks), 3)
    names = [c.name for c in got[0].columns]
    assert names[-3:] == ["Age", "Ready", "Status"]  # Flux's own, in its order

    def cell(row: Any, name: str) -> str:
        return str(row.cells[[c.name for c in row.columns].index(name)])

    apps = next(r for r in got if r.name == "apps")
    assert cell(apps, "Ready") == "False" and "decryption failed" in cell(apps, "Status")
    assert cell(apps, "Age") == "212d"  # as old as the cluster, not just made
    repo = session.resolve("gitrepo")
    assert repo is not None
    (git,) = rows(session, session.open_kind(repo), 1)
    assert cell(git, "URL") == "https://github.com/mercurious/fleet.git"


def test_without_a_table_services_and_ingresses_get_kubectls_own_columns(
    session: Session, demo: tuple[Any, Path]
) -> None:
    emulator, _ = demo
    emulator.cluster.faults.tables_absent = True
    svc = session.resolve("svc")
    assert svc is not None
    got = rows(session, session.open_kind(svc, "default"), 3)
    assert [c.name for c in got[0].columns] == [
        "Namespace",
        "Name",
        "Type",
        "Cluster-IP",
        "External-IP",
        "Port(s)",
        "Age",
    ]
    gateway = next(r for r in got if r.name == "api-gateway")
    assert gateway.cells[2:6] == ("ClusterIP", gateway.cells[3], "<none>", "80/TCP")
    assert gateway.cells[3].startswith("10.43.")
    ing = session.resolve("ing")
    assert ing is not None
    routes = rows(session, session.open_kind(ing), 1)
    assert [c.name for c in routes[0].columns][2:6] == ["Class", "Hosts", "Address", "Ports"]
