"""Discovery: every served kind, and the names kubectl accepts for each (kubectl is the
independent judge of which resource a name means)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui.sources.client import Kube
from tui.sources.discovery import ApiKind, Discovery, discover, parse_aggregated

KUBECTL = "/usr/bin/kubectl"
RUNBOOK_NAMES = [
    "svc",
    "ep",
    "ing",
    "cert",
    "kafka",
    "kafkatopic",
    "kafkatopics.kafka.strimzi.io",
    "kt",
    "pvc",
    "deploy",
    "deployments.apps",
    "sts",
    "ds",
    "job",
    "cm",
    "secret",
    "crd",
    "Ingress",
    "endpointslices",
]


def kinds() -> Discovery:
    return Discovery(
        [
            ApiKind("", "v1", "services", "service", "Service", True, ("svc",)),
            ApiKind("", "v1", "events", "event", "Event", True, ("ev",)),
            ApiKind("events.k8s.io", "v1", "events", "event", "Event", True, ("ev",)),
            ApiKind("kafka.strimzi.io", "v1beta2", "kafkas", "kafka", "Kafka", True, ("k",)),
            ApiKind("apps", "v1", "deployments", "deployment", "Deployment", True, ("deploy",)),
        ]
    )


def test_names_resolve_as_kubectl_resolves_them() -> None:
    d = kinds()
    assert d.resolve("svc").plural == "services"  # type: ignore[union-attr]
    assert d.resolve("Service").plural == "services"  # type: ignore[union-attr]
    assert d.resolve("kafka").group == "kafka.strimzi.io"  # type: ignore[union-attr]
    assert d.resolve("ev").group == ""  # type: ignore[union-attr]  # the core group wins
    assert d.resolve("events.events.k8s.io").group == "events.k8s.io"  # type: ignore[union-attr]
    assert d.resolve("deployments.v1.apps").path("x") == "/apis/apps/v1/namespaces/x/deployments"  # type: ignore[union-attr]
    assert d.resolve("nothing") is None and d.resolve("") is None


def test_the_aggregated_document_is_read() -> None:
    doc = {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "items": [
            {
                "metadata": {"name": "apps"},
                "versions": [
                    {
                        "version": "v1",
                        "resources": [
                            {
                                "resource": "deployments",
                                "responseKind": {
                                    "group": "apps",
                                    "version": "v1",
                                    "kind": "Deployment",
                                },
                                "scope": "Namespaced",
                                "singularResource": "deployment",
                                "shortNames": ["deploy"],
                                "verbs": ["get", "list", "watch"],
                            }
                        ],
                    },
                    {"version": "v1beta1", "resources": []},
                ],
            }
        ],
    }
    (k,) = parse_aggregated(doc)
    assert (k.group, k.version, k.plural, k.kind, k.namespaced) == (
        "apps",
        "v1",
        "deployments",
        "Deployment",
        True,
    )
    assert k.short_names == ("deploy",) and k.listable


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    from tui.demo import start_demo

    emulator, _demo, path = start_demo(kubeconfig=tmp_path / "kubeconfig", scenario=False)
    yield emulator, path
    emulator.stop()


def kubectl_path(kubeconfig: Path, name: str) -> str:
    """The resource path kubectl lists for a name (from its -v=6 request log)."""
    out = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "get", name, "-n", "kafka", "-v=6"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    found = re.findall(r"GET https?://[^/]+(/[^? ]+)", out.stderr)
    assert found, out.stderr
    return str(found[-1])  # after discovery, the list itself


def test_aggregated_discovery_and_the_legacy_documents_agree(demo: tuple[Any, Path]) -> None:
    emulator, path = demo
    kube = Kube.from_kubeconfig(str(path), None)
    before = len(emulator.cluster.requests)
    aggregated = discover(kube)
    asked = [r.path for r in list(emulator.cluster.requests)[before:]]
    assert asked == ["/api", "/apis"]  # two documents: every group at once
    emulator.cluster.faults.aggregated_absent = True
    legacy = discover(kube)
    assert len(list(emulator.cluster.requests)) - before > 10  # a document per group
    assert {(k.group, k.plural, k.short_names) for k in aggregated.kinds} == {
        (k.group, k.plural, k.short_names) for k in legacy.kinds
    }


def test_every_runbook_name_means_what_it_means_to_kubectl(demo: tuple[Any, Path]) -> None:
    if not Path(KUBECTL).exists():
        pytest.skip("kubectl is not installed at /usr/bin/kubectl")
    demo_kubeconfig = demo[1]
    kube = Kube.from_kubeconfig(str(demo_kubeconfig), None)
    found = discover(kube)
    for name in RUNBOOK_NAMES:
        kind = found.resolve(name)
        assert kind is not None, name
        assert kind.path("kafka") == kubectl_path(demo_kubeconfig, name), name
    assert {"svc", "kt", "cert", "crd"} <= {n for n, _ in found.names()}
