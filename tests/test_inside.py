"""Inside the cluster (issue 24), against the emulator's real wire protocols: exec over
the websocket channel protocol (and kubectl, an independent client, against the same
server), the probes through the console (by exec when the image has the tool, else a
confirmed debug container or a throwaway pod that is deleted), port-forward with the pod
re-resolved after it is replaced, and the pod shell on a real pty."""

from __future__ import annotations

import os
import pty
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import audit_lines, make_app, mutations, until, wait_for
from tests.test_action_flow import log_text, screen_is
from tests.test_app import SIZE
from tests.test_gitops import flat, text_of
from tests.test_kubectl import KUBECTL, kubectl
from tui.demo.debugpods import seed_services
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import TailScreen
from tui.sources.client import Kube
from tui.sources.podexec import ExecError, exec_command, run_tty
from tui.sources.portforward import Forwarder


def gateway(cluster: Cluster) -> str:
    return wait_for(
        lambda: next(
            (p["metadata"]["name"] for p in cluster.list("Pod", "default")
             if p["metadata"]["name"].startswith("api-gateway-")
             and "deletionTimestamp" not in p["metadata"]), None),
        10, "an api-gateway pod",
    )  # fmt: skip


def test_exec_reads_stdout_stderr_and_the_exit_code_from_the_status_channel(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    pod = gateway(cluster)
    health = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "localhost:8080/health"]
    r = exec_command(kube, "default", pod, health)
    assert (r.code, r.out, r.protocol) == (0, "503", "v5.channel.k8s.io")  # OOMKilled
    r = exec_command(kube, "default", pod, ["sh", "-c", "echo out; cat /nope; exit 3"])
    assert (r.code, r.out, r.err) == (
        3,
        "out\n",
        "cat: can't open '/nope': No such file or directory\n",
    )
    r = exec_command(kube, "default", pod, ["nslookup", "kubernetes.default"])
    assert r.missing and "executable file not found" in r.out
    sent = [q for q in cluster.requests if q.path.endswith(f"/pods/{pod}/exec")]
    assert sent[0].query["command"] == health and sent[0].query["stdout"] == ["true"]
    cluster.faults.exec_v4_only = True  # a server before 1.30: the client falls back to v4
    r = exec_command(kube, "default", pod, ["sh", "-c", "echo v4; exit 5"])
    assert (r.code, r.out, r.protocol) == (5, "v4\n", "v4.channel.k8s.io")
    cluster.faults.codes["pods"] = 403
    with pytest.raises(ExecError, match="forbidden: your user may not create pods/exec"):
        exec_command(kube, "default", pod, ["sh"])
    kube.close()


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")
def test_kubectl_exec_works_against_the_same_server(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    pod = gateway(cluster)
    out = kubectl(kubeconfig, "exec", "-n", "default", pod, "--", "curl", "-sS", "-o",
                  "/dev/null", "-w", "%{http_code}", "localhost:8080/health")  # fmt: skip
    assert out == "503"


async def run_probe(app: Any, pilot: Any, action: str, value: str = "") -> None:
    table = app.query_one("#pods-table")
    await until(pilot, lambda: table.row_count > 5 and table.items[0].name.startswith("api-gat"))
    app.flow.start(action)
    await until(pilot, lambda: screen_is(app, ParamsScreen))
    if value:
        app.screen.query_one("Input").value = value
    await pilot.press("enter")


async def test_probe_http_by_exec_is_read_only_audited_and_judged_by_its_status(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await run_probe(app, pilot, "probe.http")  # the readiness probe's path by default
        await until(pilot, lambda: screen_is(app, TailScreen), 15)
        await until(pilot, lambda: "HTTP 503" in log_text(app), 15)
        said = flat(log_text(app))
        assert "failed · HTTP GET http://localhost:8080/health · from default/api-gateway-" in said
        assert "(exec)" in said and "curl -sS -o /dev/null" in said
        await until(pilot, lambda: audit_lines(audit), 10)
    (line,) = audit_lines(audit)
    assert (line["action"], line["outcome"]) == ("probe.http", "failed")
    assert not mutations(cluster)  # read-only: nothing changed


async def test_probe_dns_without_nslookup_runs_in_a_throwaway_pod_that_is_deleted(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    seed_services(cluster, "10.0.0.5")
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await run_probe(app, pilot, "probe.dns", "kubernetes.default")
        await until(pilot, lambda: screen_is(app, ConfirmScreen), 15)
        await until(pilot, lambda: "Throwaway pod in default" in text_of(app))
        assert "image has no nslookup" in flat(text_of(app)) and not mutations(cluster)
        await pilot.press("2")
        await until(pilot, lambda: "POST /api/v1/namespaces/default/pods" in text_of(app))
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: "ok · DNS" in log_text(app), 20)
        said = flat(log_text(app))
        assert "deleted" in said
        assert "Name: kubernetes.default.svc.cluster.local Address: 10.43.0.1" in said
        assert "ok · DNS kubernetes.default" in said and "(pod)" in said
        await pilot.press("escape")
        await until(pilot, lambda: len(audit_lines(audit)) == 1, 10)
    created = [r for r in mutations(cluster) if r.method == "POST"]
    name = created[0].json()["metadata"]["name"]
    assert created[0].json()["spec"]["containers"][0]["command"] == [
        "nslookup",
        "kubernetes.default",
    ]
    assert any(
        r.method == "DELETE" and r.path.endswith(f"/pods/{name}") for r in mutations(cluster)
    )
    assert cluster.get("Pod", "default", name) is None


async def test_probe_tcp_in_a_debug_container_stays_in_the_spec_and_database_host_fails(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    seed_services(cluster, "10.0.0.5")
    app = make_app(kubeconfig, audit_log=str(audit), probe_targets=["database-host:5432"])
    async with app.run_test(size=SIZE) as pilot:
        for target, expect in (
            ("mercurious-cluster-kafka-bootstrap.kafka.svc.cluster.local:9092", "open"),
            ("database-host:5432", "Connection timed out"),
        ):
            await run_probe(app, pilot, "probe.tcp", target)
            await until(pilot, lambda: screen_is(app, ConfirmScreen), 15)
            await until(pilot, lambda: "stays in its spec" in text_of(app))
            await pilot.press("enter")  # the first way: the debug container
            await until(pilot, lambda: screen_is(app, TailScreen))
            row = "ok · TCP" if expect == "open" else "failed · TCP"
            await until(pilot, lambda row=row: row in log_text(app), 20, row)
            assert expect in log_text(app)
            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1)
    (pod,) = [p for p in cluster.list("Pod", "default") if p["spec"].get("ephemeralContainers")]
    debuggers = pod["spec"]["ephemeralContainers"]
    assert [d["image"] for d in debuggers] == ["busybox:1.36", "busybox:1.36"]
    assert debuggers[1]["command"] == ["nc", "-zv", "-w", "3", "database-host", "5432"]


async def test_probe_git_source_from_source_controller(
    flux_demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: any(o.kind == "GitRepository" for o in app.store.flux_objects()))
        await until(pilot, lambda: any(p.name.startswith("source-controller")
                                       for p in app.store.pods.values()))  # fmt: skip
        app.flow.start("probe.git-source")
        await until(pilot, lambda: screen_is(app, ParamsScreen))
        await pilot.press("enter")  # flux-system/flux-system
        await until(pilot, lambda: screen_is(app, ConfirmScreen), 15)  # distroless: no git
        await until(pilot, lambda: "alpine/git" in text_of(app))
        await pilot.press("2", "enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: "ok · git ls-remote" in flat(log_text(app)), 20)
        said = flat(log_text(app))
        assert "refs/heads/main" in said and "git ls-remote https://github.com/" in said
        assert "from flux-system/source-controller-" in flat(log_text(app))


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_port_forward_counts_bytes_and_follows_the_pod_when_it_is_replaced(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    forwards = Forwarder(kube)
    first = wait_for(
        lambda: next(
            (n for p in cluster.list("Pod", "default")
             if (n := p["metadata"]["name"]).startswith("api-enrichment-")), None)
    )  # fmt: skip
    fwd = forwards.open("pod", "default", first, 8080)
    assert get(fwd.local_port, "/health") == (200, b"ok\n")
    status, body = get(fwd.local_port, "/bytes?n=1000000")
    assert status == 200 and len(body) == 1_000_000
    wait_for(lambda: fwd.bytes_in >= 1_000_000, 5, "the bytes counted")
    kubectl_free_delete(kube, first)
    replacement = wait_for(lambda: next(
        (p["metadata"]["name"] for p in cluster.list("Pod", "default")
         if p["metadata"]["name"].startswith("api-enrichment-") and p["metadata"]["name"] != first
         and all(s.get("ready") for s in p.get("status", {}).get("containerStatuses") or [{}])),
        None), 20, "the new pod ready")  # fmt: skip
    wait_for(lambda: cluster.get("Pod", "default", first) is None, 10, "the old pod gone")
    assert get(fwd.local_port, "/health") == (200, b"ok\n")
    assert fwd.pod == replacement and fwd.connections == 3
    sent = [r.path for r in cluster.requests if r.path.endswith("/portforward")]
    assert sent[-1] == f"/api/v1/namespaces/default/pods/{replacement}/portforward"
    forwards.close_all()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{fwd.local_port}/health", timeout=2)
    kube.close()


def kubectl_free_delete(kube: Kube, pod: str) -> None:
    kube.json("DELETE", f"/api/v1/namespaces/default/pods/{pod}")


def test_the_pod_shell_on_a_pty_sends_keys_and_the_window_size(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    kube = Kube.from_kubeconfig(str(kubeconfig), None)
    pod = gateway(cluster)
    keys_r, keys_w = os.pipe()
    screen_master, screen_slave = pty.openpty()
    os.write(keys_w, b"curl -sS localhost:8080/health\rexit\r")
    got: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: got.setdefault("code", run_tty(
        kube, "default", pod, ["sh", "-c", "command -v bash && exec bash || exec sh"],
        keys_r, screen_slave)))  # fmt: skip
    thread.start()
    out = b""
    os.set_blocking(screen_master, False)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            out += os.read(screen_master, 65536)
        except BlockingIOError:
            if not thread.is_alive():
                break
            thread.join(0.05)
    text = out.decode(errors="replace")
    assert f"root@{pod}:/# curl -sS localhost:8080/health" in text and "unhealthy" in text
    assert got["code"] == 0
    assert cluster.resizes and {"Width", "Height"} <= set(cluster.resizes[0])
    kube.close()


async def test_read_only_keeps_the_probes_and_removes_the_shell(
    demo: Any, kubeconfig: Path
) -> None:
    from actions import registry

    offered = {a.id for a in registry.all_actions(read_only=True)}
    assert {"probe.dns", "probe.tcp", "probe.http", "probe.git-source"} <= offered
    assert {"pod.port-forward", "service.port-forward"} <= offered
    assert "pod.shell" not in offered
    app = make_app(kubeconfig, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table")
        await until(pilot, lambda: table.row_count > 5)
        app.flow.start("pod.shell")
        await until(pilot, lambda: "pod.shell changes the cluster: not in read-only mode"
                    in " ".join(str(n.message) for n in app._notifications))  # fmt: skip


async def test_the_http_probe_goes_through_a_port_forward_the_console_holds(
    demo: Any, cluster: Cluster, kubeconfig: Path, audit: Path
) -> None:
    app = make_app(kubeconfig, audit_log=str(audit))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#pods-table")
        await until(
            pilot, lambda: table.row_count > 5 and table.items[0].name.startswith("api-gat")
        )
        pod = table.items[0].name
        fwd = app.flow.forwarder.open("pod", "default", pod, 8080)
        await run_probe(app, pilot, "probe.http")
        await until(pilot, lambda: screen_is(app, TailScreen), 15)
        await until(pilot, lambda: "HTTP 503" in log_text(app), 15)
        said = flat(log_text(app))
        assert f"from default/{pod} (port-forward)" in said
        assert f"127.0.0.1:{fwd.local_port}/health" in said
    assert not [r for r in cluster.requests if r.path.endswith("/exec")]  # no exec at all
    assert fwd.connections == 1
