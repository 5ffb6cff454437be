"""Issue 28, the faults and bad input half: each with a test that failed before its fix
(the numbers are the issue's items)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from actions.base import Context, Target
from tests.conftest import make_app, mutations, until
from tests.test_app import SIZE, lines
from tui.demo.state import Cluster
from widgets.table import VirtualTable


def shown(app: Any) -> str:
    return "\n".join(line for w in app.screen.query("Static") for line in lines(w))


class FakePrometheus:
    """A local HTTP server answering the query API, 401 without the right credentials;
    it records the Authorization header of each request."""

    def __init__(self, wanted: str) -> None:
        import http.server
        import threading as t

        self.seen: list[str] = []
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                got = self.headers.get("Authorization", "")
                seen.append(got)
                ok = got == wanted
                body = b'{"status":"success","data":{"resultType":"vector","result":[]}}'
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body if ok else b'{"status":"error","error":"unauthorized"}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        t.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_19_prometheus_credentials_are_sent_as_a_header_and_never_shown(
    small_cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    import base64
    import subprocess
    import sys

    from tui.sources.prometheus import endpoint, query_error_rate
    from tui.store import State

    fake = FakePrometheus("Basic " + base64.b64encode(b"ops:s3cret").decode())
    try:
        good = query_error_rate(endpoint(f"http://ops:s3cret@127.0.0.1:{fake.port}"))
        assert good.status.state is State.LIVE and fake.seen[-1].startswith("Basic ")
        bad = query_error_rate(endpoint(f"http://ops:wrong@127.0.0.1:{fake.port}"))
        assert bad.status.state is State.ERROR and "HTTP 401" in bad.status.message
        assert f"http://127.0.0.1:{fake.port}" in bad.status.message
        assert "wrong" not in bad.status.message and "ops" not in bad.status.message
        # the bearer token from the config
        (tmp_path / "config.toml").write_text(
            f'[prometheus]\nurl = "http://127.0.0.1:{fake.port}"\nbearer_token = "tok-123"\n'
        )
        proc = subprocess.run(
            [sys.executable, "-m", "tui", "--config", str(tmp_path / "config.toml"),
             "check", "--json", "--no-hosts", "--kubeconfig", str(kubeconfig),
             "--timeout", "15"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert "Bearer tok-123" in fake.seen and "tok-123" not in proc.stdout + proc.stderr
        proc = subprocess.run(
            [sys.executable, "-m", "tui", "check", "--json", "--no-hosts",
             "--kubeconfig", str(kubeconfig), "--timeout", "15",
             "--prometheus", f"http://ops:wrong@127.0.0.1:{fake.port}"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        said = proc.stdout + proc.stderr
        assert "Prometheus unavailable" in said and "HTTP 401" in said
        assert "wrong" not in said and "ops:" not in said
    finally:
        fake.close()


def test_13_following_gives_up_at_its_timeout_while_the_api_fails_and_esc_is_not_failed(
    tmp_path: Path,
) -> None:
    from actions.deployments import follow_rollout
    from actions.pods import follow_replacement
    from tests.sshd import free_port
    from tui.sources.client import Kube
    from tui.store import Store

    dead = tmp_path / "dead-kubeconfig"
    dead.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        f"clusters: [{{name: x, cluster: {{server: 'http://127.0.0.1:{free_port()}'}}}}]\n"
        "users: [{name: x, user: {token: t}}]\n"
        "contexts: [{name: x, context: {cluster: x, user: x}}]\n"
    )
    ctx = Context(Kube.from_kubeconfig(str(dead), None), "x", Store())
    results: list[Any] = []

    def follow() -> None:
        never = threading.Event()
        results.append(follow_rollout(ctx, "default", "gw", lambda _l: None, never, timeout=0.5))
        pod = Target("pod", "default", "gw-1")
        results.append(follow_replacement(ctx, pod, "ReplicaSet/gw-x", lambda _l: None, never, 0.5))

    runner = threading.Thread(target=follow, daemon=True)
    runner.start()
    runner.join(30)  # a deadline, not a measure: before the fix these never returned
    assert not runner.is_alive(), "following ignored its timeout while the API failed"
    assert [r.ok for r in results] == [False, False]
    assert "the API kept failing" in results[0].message
    stopped = threading.Event()
    stopped.set()  # Esc: the change was made, only not watched
    esc = follow_rollout(ctx, "default", "gw", lambda _l: None, stopped)
    assert esc.ok and esc.audited_as == "done-not-followed"


async def test_14_a_bad_remembered_replica_count_is_said_not_swallowed(
    demo: Any, cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    """Issue 28.14: emergency.scale-restore with a remembered count "two" showed nothing."""
    from actions.emergency import REPLICAS_ANNOTATION
    from tui.screens.confirm import ConfirmScreen

    app = make_app(kubeconfig, audit_log=str(tmp_path / "audit.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.deployment("default", "api-enrichment") is not None)
        dep = cluster.get("Deployment", "default", "api-enrichment")
        dep["metadata"].setdefault("annotations", {})[REPLICAS_ANNOTATION] = "two"
        cluster.put("Deployment", dep)
        app.flow.start("emergency.scale-restore")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 15)
        await until(pilot, lambda: "not a replica count" in shown(app))
        assert "default/api-enrichment remembers 'two'" in " ".join(shown(app).split())
        assert mutations(cluster) == []


def test_15_a_local_line_over_64_kib_is_cut_and_the_output_goes_on() -> None:
    """Issue 28.15: asyncio's 64 KiB line limit ended `journalctl -f` tails."""
    import asyncio
    import sys

    from tui.sources.local import LocalHost

    script = "import sys; print('x' * 100_000); print('after'); sys.stdout.flush()"
    got: list[str] = []
    code = asyncio.run(LocalHost("here").run([sys.executable, "-c", script], got.append, 30))
    assert code == 0
    assert got[-1] == "after"
    assert got[0].startswith("x" * 1000) and len(got) == 2  # shown cut, once


def test_17_a_stream_with_no_newline_is_not_held_without_bound() -> None:
    from tui.sources.client import iter_lines

    class Response:
        def stream(self, chunk: int, decode_content: bool = True) -> Any:
            yield from [b"a" * 100] * 10  # 1,000 bytes and no newline
            yield b"tail of that line\nnext\n"

    assert list(iter_lines(Response(), most=300)) == [b"a" * 300, b"next"]


def test_17_the_followed_pods_are_the_selectors_with_its_match_expressions(
    cluster: Cluster, kubeconfig: Path
) -> None:
    """A rollout's tail could follow another workload's pod: matchExpressions ignored."""
    from actions.kubernetes import selector
    from actions.pods import newest_pod
    from tests import fixtures as fx
    from tui.sources.client import Kube
    from tui.store import Store

    spec = {
        "selector": {
            "matchLabels": {"app": "gw"},
            "matchExpressions": [
                {"key": "track", "operator": "NotIn", "values": ["canary"]},
                {"key": "tier", "operator": "Exists"},
            ],
        }
    }
    dep = {"metadata": {"name": "gw", "namespace": "default"}, "spec": spec}
    assert selector(dep) == "app=gw,track notin (canary),tier"
    cluster.put("Deployment", dep)
    for name, labels, created in (
        ("gw-stable", {"app": "gw", "tier": "web"}, "2026-01-01T00:00:00Z"),
        ("gw-canary", {"app": "gw", "tier": "web", "track": "canary"}, "2026-01-02T00:00:00Z"),
    ):
        pod = fx.pod(name)
        pod["metadata"]["labels"] = labels
        pod["metadata"]["creationTimestamp"] = created
        cluster.put("Pod", pod)
    ctx = Context(Kube.from_kubeconfig(str(kubeconfig), None), "test", Store())
    assert newest_pod(ctx, "default", "gw") == "gw-stable"  # the canary is newer, not its


async def test_3_at_60x20_one_pane_at_a_time_with_the_essential_columns_first(
    small_cluster: Cluster, kubeconfig: Path
) -> None:
    app = make_app(kubeconfig)
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one("#pods-table", VirtualTable)
        await until(pilot, lambda: table.row_count == 6)
        pods, findings = app.query_one("#pods"), app.query_one("#findings")
        await until(
            pilot,
            lambda: pods.display and not findings.display and not app.query_one("#nodes").display,
        )
        await until(
            pilot,
            lambda: [c.label for c in table.columns][:4] == ["NAME", "READY", "STATUS", "RESTARTS"],
        )
        await until(pilot, lambda: pods.size.height >= 14, what="the whole screen but the bars")
        header = lines(table)[0]
        assert header.startswith("NAME") and "READY" in header
        await pilot.press("right")  # a whole column, not one character
        await until(pilot, lambda: int(table.scroll_x) == table.columns[0].width + 1)
        await pilot.press("f")
        await until(pilot, lambda: findings.display and not pods.display)
