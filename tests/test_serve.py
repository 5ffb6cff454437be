"""`incident-console serve`: the console in a real headless Chromium (Debian's), read-only
by default, behind a token; the emulator says what the viewers' consoles sent."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import mutations, wait_for
from tests.sshd import free_port
from tui.demo.state import Cluster
from tui.serve import refusal, viewer_command

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except urllib.error.URLError:
        return 0  # not listening (yet)


# -- safe by default ------------------------------------------------------------------------
def test_a_non_loopback_bind_is_refused_with_the_tunnel_to_use_instead() -> None:
    assert refusal("127.0.0.1", 8000, False) == ""
    assert refusal("::1", 8000, False) == ""
    assert refusal("localhost", 8000, False) == ""
    line = refusal("0.0.0.0", 8000, False)
    assert "ssh -L 8000:127.0.0.1:8000" in line and "--allow-remote" in line
    assert refusal("0.0.0.0", 8000, True) == ""
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--host", "0.0.0.0", "--no-hosts"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (only,) = proc.stderr.strip().splitlines()
    assert "not a loopback address" in only and "ssh -L 8000:127.0.0.1:8000" in only


def test_each_viewer_runs_read_only_with_the_same_flags_quoted() -> None:
    class Args:
        kubeconfig = "/k/it's here.yaml"
        context = ["prod", "staging"]  # --context given twice: both clusters watched
        namespace = None
        config = None
        audit_log = None
        ssh_key = None
        known_hosts = None
        prometheus = "http://127.0.0.1:9090"
        ssh = ["root@10.0.0.5"]
        local = True
        no_hosts = False

    command = viewer_command(Args(), read_only=True)
    assert command.endswith("--read-only")
    assert "--kubeconfig '/k/it'\"'\"'s here.yaml' --context prod --context staging" in command
    assert "--prometheus http://127.0.0.1:9090" in command
    assert "--ssh root@10.0.0.5 --local" in command
    assert "--read-only" not in viewer_command(Args(), read_only=False)


# -- the real thing, in a browser -------------------------------------------------------------
class Served:
    def __init__(self, proc: subprocess.Popen[str], url: str, lines: list[str]) -> None:
        self.proc, self.url, self.lines = proc, url, lines


def start_serve(kubeconfig: Path, tmp_path: Path, *extra: str) -> Served:
    port = free_port()
    out = tmp_path / f"serve-{port}.out"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "tui", "serve", "--port", str(port), "--no-hosts"),
            *("--kubeconfig", str(kubeconfig), "--audit-log", str(tmp_path / "audit.jsonl")),
            *extra,
        ],
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the viewers' consoles are its children: one group
        stdin=subprocess.DEVNULL,
    )
    text = wait_for(
        lambda: "open: " in out.read_text() and out.read_text(), timeout=30, what="the URL"
    )
    url = next(line for line in text.splitlines() if line.startswith("open: "))[6:]
    wait_for(lambda: status_of(url) == 200, timeout=30, what="the server answering")
    return Served(proc, url, text.splitlines())


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        pytest.skip(f"playwright is not installed: {e}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def terminal_text(page: Any) -> str:
    """The terminal's rows as the page holds them (xterm.js's screen reader layer)."""
    return str(page.inner_text(".xterm-accessibility-tree"))


def detail_line(text: str) -> str:
    """The pods pane's detail line: the selected pod, `namespace/name · ...` (the rows
    show the namespace and the name in columns of their own)."""
    rows = (line.strip("│ ") for line in text.splitlines())
    found = (re.match(r"((default|kube-system)/[^/\s]+)( · |$)", row) for row in rows)
    return next((m.group(1) for m in found if m), "")


def test_the_page_shows_the_pods_keys_move_and_mutation_keys_send_nothing(
    small_cluster: Cluster, kubeconfig: Path, tmp_path: Path, browser: Any
) -> None:
    served = start_serve(kubeconfig, tmp_path)
    try:
        assert "(read-only)" in served.lines[0]
        base = served.url.split("/?")[0]
        assert status_of(base + "/") == 403  # no token
        assert status_of(base + "/?token=wrong") == 403
        assert status_of(base + "/static/js/textual.js") == 403
        assert status_of(base + "/ws") == 403  # the console itself, without the token

        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(served.url)
        page.wait_for_selector(".xterm-accessibility-tree", state="attached", timeout=30_000)
        deadline = time.monotonic() + 30
        while "api-gateway-7d9f-abcde" not in terminal_text(page):
            assert time.monotonic() < deadline, terminal_text(page)[-2000:]
            page.wait_for_timeout(200)
        text = terminal_text(page)
        assert "READ-ONLY" in text and "CrashLoopBackOff" in text and "healthy-4" in text
        html = page.content()
        kube_secret = kubeconfig.read_text()
        for line in kube_secret.splitlines():
            if "token" in line:  # the kubeconfig's credentials never reach the page
                assert line.split(":", 1)[1].strip() not in html
        assert detail_line(text) == "default/api-gateway-7d9f-abcde", text

        page.locator(".xterm").click()
        before = [r for r in small_cluster.requests if r.method != "GET"]
        for key in ("r", "s", "e", "Control+d"):  # restart, scale, set-resources, delete
            page.keyboard.press(key)
        page.keyboard.press("ArrowDown")  # then the cursor moves: the keys were delivered
        deadline = time.monotonic() + 20
        while not detail_line(terminal_text(page)).startswith("kube-system/healthy-"):
            assert time.monotonic() < deadline, terminal_text(page)[-2000:]
            page.wait_for_timeout(200)
        text = terminal_text(page)
        assert "to confirm" not in text  # no confirmation opened
        assert [r for r in small_cluster.requests if r.method != "GET"] == before
        assert mutations(small_cluster) == []  # not even a dry run reached the server
        page.screenshot(path=str(tmp_path / "browser.png"))
    finally:
        os.killpg(served.proc.pid, signal.SIGTERM)
        served.proc.wait(timeout=30)


def test_allow_actions_warns_and_viewers_are_not_read_only(
    small_cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    served = start_serve(kubeconfig, tmp_path, "--allow-actions")
    try:
        assert any("WARNING: --allow-actions" in line for line in served.lines)
        assert any("(ACTIONS ALLOWED)" in line for line in served.lines)
    finally:
        os.killpg(served.proc.pid, signal.SIGTERM)
        served.proc.wait(timeout=30)


def test_no_token_in_the_logs_headers_that_forbid_framing_and_the_websocket_for_its_page(
    small_cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    """Issue 28.20: the token was in aiohttp's access log on every request. 28.21: the
    websocket took any Origin; no CSP, no X-Frame-Options."""
    import asyncio

    import aiohttp

    served = start_serve(kubeconfig, tmp_path)
    token = served.url.split("token=")[1]
    base = served.url.split("/?")[0]
    port = base.rsplit(":", 1)[1]
    try:
        with urllib.request.urlopen(served.url, timeout=10) as page:
            headers = page.headers
        assert headers["X-Frame-Options"] == "DENY"
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy

        async def handshake(origin: str) -> int:
            async with aiohttp.ClientSession() as session:
                try:
                    async with session.ws_connect(
                        f"{base.replace('http', 'ws')}/ws?token={token}&width=80&height=24",
                        headers={"Origin": origin},
                    ) as ws:
                        await ws.close()
                        return 101
                except aiohttp.WSServerHandshakeError as e:
                    return e.status

        assert asyncio.run(handshake("http://evil.example")) == 403
        assert asyncio.run(handshake(base)) == 101
        out = tmp_path / f"serve-{port}.out"
        wait_for(lambda: "GET /ws" in out.read_text() or "/ws" in out.read_text(), 10, "logged")
        logged = [
            line
            for line in out.read_text().splitlines()
            if token in line and not line.startswith(("open: ", "from another machine"))
        ]
        assert logged == []
    finally:
        os.killpg(served.proc.pid, signal.SIGTERM)
        served.proc.wait(timeout=30)


def test_each_viewers_console_knows_who_it_serves_for_its_audit_lines(
    small_cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    """Issue 28.18: under serve --allow-actions every viewer's actions were one user's."""
    import asyncio

    import aiohttp
    import psutil

    served = start_serve(kubeconfig, tmp_path, "--allow-actions")
    token = served.url.split("token=")[1]
    base = served.url.split("/?")[0]

    def viewers() -> list[str]:
        found = []
        for child in psutil.Process(served.proc.pid).children(recursive=True):
            try:
                env = child.environ()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if "INCIDENT_CONSOLE_VIEWER" in env:
                found.append(env["INCIDENT_CONSOLE_VIEWER"])
        return found

    async def watch() -> list[str]:
        async with aiohttp.ClientSession() as session:
            url = f"{base.replace('http', 'ws')}/ws?token={token}&width=80&height=24"
            async with session.ws_connect(url, headers={"Origin": base}) as ws:
                deadline = time.monotonic() + 30
                while not viewers() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                got = viewers()
                await ws.close()
                return got

    try:
        assert asyncio.run(watch())[:1] == ["viewer 1 from 127.0.0.1"]
    finally:
        os.killpg(served.proc.pid, signal.SIGTERM)
        served.proc.wait(timeout=30)


def test_the_audit_names_the_viewer_sudo_user_and_uid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from actions.audit import AuditLog
    from actions.base import Plan, Target

    monkeypatch.setenv("INCIDENT_CONSOLE_VIEWER", "viewer 3 from 127.0.0.1")
    monkeypatch.setenv("SUDO_USER", "alice")
    monkeypatch.setenv("SUDO_UID", "1000")
    log = AuditLog(tmp_path / "audit.jsonl")
    plan = Plan("deployment.restart", "t", Target("deployment", "d", "gw"), "ctx", (), "", "")
    entry = log.record(plan, "cancelled")
    assert entry["user"] == "alice" and entry["sudo_uid"] == 1000
    assert entry["uid"] == os.getuid() and entry["viewer"] == "viewer 3 from 127.0.0.1"
