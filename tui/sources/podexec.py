"""Exec in a pod through the API's websocket channel protocol (v5.channel.k8s.io, the
server falling back to v4): stdout and stderr kept apart, the exit status read from the
status channel. Each stream gets an API client of its own: the official client's
stream() swaps its ApiClient's request method while it runs, which is not safe on the
client every feed shares."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from tui.sources.client import Kube

NOT_FOUND_CODES = (126, 127)


class ExecError(Exception):
    """The exec could not start (forbidden, no such pod or container, no upgrade)."""


@dataclass
class ExecResult:
    code: int | None  # None: stopped or timed out before the end
    out: str
    err: str
    protocol: str
    seconds: float

    @property
    def missing(self) -> bool:
        """The image lacks the program (the runtime's "executable file not found")."""
        return self.code in NOT_FOUND_CODES and "executable file not found" in self.out + self.err


def core_api(kube: Kube) -> Any:
    from kubernetes import client

    api = client.ApiClient(kube.api.configuration)  # its own: stream() patches it
    api.user_agent = "incident-console"
    return client.CoreV1Api(api)


def open_stream(kube: Kube, ns: str, pod: str, argv: list[str], container: str = "",
                stdin: bool = False, tty: bool = False) -> Any:  # fmt: skip
    """The websocket, open; ExecError saying why not."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import stream

    kw: dict[str, Any] = {"container": container} if container else {}
    try:
        return stream(
            core_api(kube).connect_get_namespaced_pod_exec, pod, ns, command=argv,
            stderr=not tty, stdin=stdin, stdout=True, tty=tty, _preload_content=False,
            binary=True, **kw,
        )  # fmt: skip
    except ApiException as e:
        raise ExecError(explain(e, pod, ns)) from None
    except Exception as e:
        raise ExecError(f"exec in {ns}/{pod}: {type(e).__name__}: {e}") from None


def explain(e: Any, pod: str, ns: str) -> str:
    text = str(getattr(e, "reason", "") or e)
    if "403" in text:
        return f"exec in {ns}/{pod} is forbidden: your user may not create pods/exec there"
    if "404" in text:
        return f"pod {ns}/{pod} not found: it may have been replaced; choose it again"
    if "400" in text:
        return f"exec in {ns}/{pod} refused (400): the container may not be running"
    return f"exec in {ns}/{pod}: {text[:300]}"


def exec_command(
    kube: Kube,
    ns: str,
    pod: str,
    argv: list[str],
    container: str = "",
    timeout: float = 30.0,
    stop: threading.Event | None = None,
) -> ExecResult:
    """Run argv to its end (bounded), its output and exit code."""
    started = time.monotonic()
    resp = open_stream(kube, ns, pod, argv, container)
    out, err = bytearray(), bytearray()
    try:
        while resp.is_open():
            if (stop is not None and stop.is_set()) or time.monotonic() - started > timeout:
                break
            resp.update(timeout=0.25)
            if resp.peek_stdout():
                out += as_bytes(resp.read_stdout())
            if resp.peek_stderr():
                err += as_bytes(resp.read_stderr())
        out += as_bytes(resp.read_stdout(timeout=0) if resp.peek_stdout() else b"")
        err += as_bytes(resp.read_stderr(timeout=0) if resp.peek_stderr() else b"")
        code = None if resp.is_open() else resp.returncode
    finally:
        resp.close()
    return ExecResult(
        code,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        str(getattr(resp, "subprotocol", "") or ""),
        time.monotonic() - started,
    )


def as_bytes(data: Any) -> bytes:
    return data if isinstance(data, bytes) else str(data or "").encode()


RESIZE_CHANNEL = 4


def run_tty(
    kube: Kube, ns: str, pod: str, argv: list[str], fd_in: int, fd_out: int, container: str = ""
) -> int | None:
    """An interactive exec on this terminal (raw mode, restored after): keys to stdin,
    the pod's output to the screen, the window's size sent at start and at each change.
    Returns the shell's exit code (None: the connection ended first)."""
    import json
    import os
    import select
    import termios
    import tty

    resp = open_stream(kube, ns, pod, argv, container, stdin=True, tty=True)
    saved = termios.tcgetattr(fd_in) if os.isatty(fd_in) else None
    size: tuple[int, int] | None = None
    try:
        if saved is not None:
            tty.setraw(fd_in)
        while resp.is_open():
            try:
                now = os.get_terminal_size(fd_out)
                if (now.columns, now.lines) != size:
                    size = (now.columns, now.lines)
                    resize = json.dumps({"Width": size[0], "Height": size[1]})
                    resp.write_channel(RESIZE_CHANNEL, resize.encode())
            except OSError:
                pass
            readable, _, _ = select.select([fd_in, resp.sock.sock], [], [], 0.2)
            if fd_in in readable:
                data = os.read(fd_in, 4096)
                if not data:
                    resp.close_channel(0) if hasattr(resp, "close_channel") else None
                    break
                resp.write_stdin(data)
            resp.update(timeout=0)
            if resp.peek_stdout():
                os.write(fd_out, as_bytes(resp.read_stdout()))
        resp.update(timeout=0.2)
        if resp.peek_stdout():
            os.write(fd_out, as_bytes(resp.read_stdout()))
        return None if resp.is_open() else resp.returncode
    finally:
        if saved is not None:
            termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)
        resp.close()
