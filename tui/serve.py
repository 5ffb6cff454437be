"""`incident-console serve`: the console in browsers, for the people on the incident call.

Each browser that opens the page gets its own console process (textual-serve runs the
command once per websocket), with `--read-only` unless `--allow-actions` was given.
Safe by default: it binds to 127.0.0.1, refuses a non-loopback address without
`--allow-remote`, and every request must carry the random token printed at start (in
the URL, then in a same-site cookie the page's own requests send); any other request
is answered 403. The page receives only the terminal's output: the kubeconfig, its
credentials and the cluster's Secrets stay on this machine.
"""

from __future__ import annotations

import copy
import hmac
import ipaddress
import logging
import secrets
import shlex
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from textual_serve.server import Server

COOKIE = "incident_console_token"
MAX_VIEWERS = 10
# xterm.js's screen reader mode mirrors the terminal's rows as text in the page: a
# viewer who uses a screen reader can follow the call, and the page's text can be read.
READER_MODE = (b"allowProposedApi:!0,", b"allowProposedApi:!0,screenReaderMode:!0,")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        try:
            return all(
                ipaddress.ip_address(a[4][0]).is_loopback for a in socket.getaddrinfo(host, None)
            )
        except OSError:
            return False


def refusal(host: str, port: int, allow_remote: bool) -> str:
    """Why this bind is refused, or "" when it is fine."""
    if is_loopback(host) or allow_remote:
        return ""
    return (
        f"serve binds to {host}, which is not a loopback address: the console would be "
        f"reachable from the network. Keep the default 127.0.0.1 and tunnel "
        f"(ssh -L {port}:127.0.0.1:{port} NODE), or pass --allow-remote"
    )


def csp(host: str) -> str:
    """The page loads its own script and styles (textual-serve's page has inline ones)
    and talks to its own websocket; nothing else, and no one frames it."""
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        f"connect-src 'self' ws://{host} wss://{host}; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


class TokenFilter(logging.Filter):
    """No token in any log line: aiohttp's access log prints each request's query."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self.token in text:
            record.msg, record.args = text.replace(self.token, "<token>"), ()
        return True


class ConsoleServer(Server):
    """textual-serve's server, behind a token, with a cap on viewers."""

    def __init__(
        self,
        command: str,
        host: str,
        port: int,
        token: str,
        max_viewers: int = MAX_VIEWERS,
    ) -> None:
        super().__init__(command, host=host, port=port, title="incident-console")
        self.token = token
        self.max_viewers = max_viewers
        self.viewers = 0
        self.viewer_count = 0  # viewers since start, each numbered in its audit lines
        static = self.statics_path / "js" / "textual.js"
        self.textual_js = static.read_bytes().replace(*READER_MODE, 1)

    def url(self, host: str | None = None) -> str:
        where = host or (self.host if ":" not in self.host else f"[{self.host}]")
        return f"http://{where}:{self.port}/?token={self.token}"

    def allowed(self, request: web.Request) -> bool:
        given = request.query.get("token") or request.cookies.get(COOKIE) or ""
        return hmac.compare_digest(given.encode(), self.token.encode())

    @web.middleware
    async def require_token(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.allowed(request):
            raise web.HTTPForbidden(
                text="incident-console: this URL needs the token printed by serve\n"
            )
        if request.path == "/ws":
            # a page of another origin holding the cookie must not drive a console
            if request.headers.get("Origin") != f"{request.scheme}://{request.host}":
                raise web.HTTPForbidden(
                    text="incident-console: the websocket is for the console's own page\n"
                )
            if self.viewers >= self.max_viewers:
                raise web.HTTPServiceUnavailable(
                    text=f"incident-console: {self.max_viewers} viewers already (--max-viewers)\n"
                )
            self.viewers += 1
            try:
                return await handler(request)
            finally:
                self.viewers -= 1
        if request.path == "/static/js/textual.js":  # the same script, reader mode on
            response: web.StreamResponse = web.Response(
                body=self.textual_js, content_type="application/javascript"
            )
        else:
            response = await handler(request)
        if request.query.get("token"):
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token stays in this tab
        response.headers["X-Frame-Options"] = "DENY"  # no page frames the console
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = csp(request.host)
        return response

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.require_token)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Say where to point a browser (textual-serve's banner would print the command)."""

    def initialize_logging(self) -> None:
        super().initialize_logging()
        hide = TokenFilter(self.token)
        for name in ("aiohttp.access", "aiohttp.server", "aiohttp.web", "textual-serve", ""):
            logging.getLogger(name).addFilter(hide)
        for handler in logging.getLogger().handlers:
            handler.addFilter(hide)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Each viewer's console knows who it serves, for its audit lines: a number and
        the remote address, in its environment (a copy of the server with its own
        command, so two viewers connecting at once cannot swap theirs)."""
        self.viewer_count += 1
        who = f"viewer {self.viewer_count} from {request.remote or 'unknown'}"
        view = copy.copy(self)
        view.command = f"env INCIDENT_CONSOLE_VIEWER={shlex.quote(who)} {self.command}"
        response: web.WebSocketResponse = await Server.handle_websocket(view, request)
        return response

    async def handle_index(self, request: web.Request) -> Any:
        # The page's script and websocket URLs are built from public_url: make them the
        # address the browser used (a tunnel's localhost:PORT, or the bound address).
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)


# The console's own flags a viewer's console is started with, as serve was given them.
FORWARDED = (
    ("--kubeconfig", "kubeconfig"),
    ("--context", "context"),
    ("--namespace", "namespace"),
    ("--config", "config"),
    ("--audit-log", "audit_log"),
    ("--ssh-key", "ssh_key"),
    ("--known-hosts", "known_hosts"),
    ("--prometheus", "prometheus"),
    ("--alertmanager", "alertmanager"),
)


def viewer_command(args: Any, read_only: bool, demo_kubeconfig: Path | None = None) -> str:
    """The shell command textual-serve runs for each viewer: this console, same flags."""
    argv = [sys.executable, "-m", "tui"]
    for flag, name in FORWARDED:
        value = getattr(args, name, None)
        for each in value if isinstance(value, list) else [value]:  # --context: repeatable
            if each:
                argv += [flag, str(each)]
    for target in getattr(args, "ssh", None) or []:
        argv += ["--ssh", target]
    for flag, name in (("--local", "local"), ("--no-hosts", "no_hosts")):
        if getattr(args, name, False):
            argv.append(flag)
    if demo_kubeconfig is not None:
        argv += ["--demo-attach", str(demo_kubeconfig)]
    if read_only:
        argv.append("--read-only")
    return shlex.join(argv)


def serve_command(
    args: Any, settings: Any, start_demo: Callable[[], tuple[Any, Any, Path]] | None = None
) -> int:
    """`incident-console serve`: refuse what is unsafe, start the demo once if asked (the
    CLI hands over its starter: only the CLI imports the emulator), print the URL with
    its token, serve until interrupted."""
    host, port = str(args.host), int(args.port)
    why = refusal(host, port, bool(args.allow_remote))
    if why:
        print(f"incident-console: {why}", file=sys.stderr)
        return 2
    if not 1 <= port <= 65535:
        print(f"incident-console: --port {port} is not between 1 and 65535", file=sys.stderr)
        return 2
    read_only = bool(settings.read_only) or not args.allow_actions
    demo_kubeconfig = None
    emulator = None
    if start_demo is not None:
        # one demo cluster for every viewer: they follow the same incident
        emulator, _demo, demo_kubeconfig = start_demo()
    token = secrets.token_urlsafe(24)
    server = ConsoleServer(
        viewer_command(args, read_only, demo_kubeconfig),
        host,
        port,
        token,
        max_viewers=max(1, int(args.max_viewers)),
    )
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        except OSError as e:
            print(
                f"incident-console: cannot serve on {host}:{port}: {e.strerror}: "
                "choose another --port",
                file=sys.stderr,
            )
            if emulator is not None:
                emulator.stop()
            return 2
    if not read_only:
        print(
            "incident-console: WARNING: --allow-actions: every viewer can run the "
            "mutating actions (each still confirmed and audited)",
            file=sys.stderr,
        )
    mode = "read-only" if read_only else "ACTIONS ALLOWED"
    print(f"incident-console: serving the console to browsers ({mode})", flush=True)
    print(f"open: {server.url()}", flush=True)
    if is_loopback(host):
        print(
            f"from another machine: ssh -L {port}:127.0.0.1:{port} THIS-HOST, then open "
            f"http://127.0.0.1:{port}/?token={token}",
            flush=True,
        )
    print(f"up to {server.max_viewers} viewers, one console each; Ctrl+C stops", flush=True)
    try:
        server.serve()
    finally:
        if emulator is not None:
            emulator.stop()
    return 0
