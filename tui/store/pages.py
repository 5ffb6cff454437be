"""A large list's pages parsed in a process of its own, beside the console's.

A list of 10,000 pods is 27 MB of JSON: decoding it, parsing each pod and freeing the
decoded pages took 0.45 s of the GIL on the list's thread, while the screen's thread
built the first screen (0.4-0.6 s) on the same GIL. Launch -> rows listed was their sum.
Here a child process (`python -m tui.store.pages`: the store's parsers, no screen)
decodes and parses each page on the other core, and the list's thread only unpickles
the parsed objects (0.09 s for 10,000 pods; a page's strings shared within it as the
child's were).

- The child is started by a list that proves large (a first page with more after it);
  until it says it is ready, and whenever it is busy, dead or fails a page, the list's
  thread parses the page itself, as it does for every small list. Nothing is lost: a
  page the child could not answer is parsed here (and fails here, the same way, if bad).
- A list claims the child, sends it pages as they come and receives their objects in
  the same order, two pages in flight (the child parses one while the next arrives).
- The child exits when its input closes (the console quit) or after IDLE seconds
  without a page; the next large list starts another. One that does not answer within
  ANSWER seconds is killed, and its page parsed here.
- What is sent back is pickled by the child, our own code, from the objects it parsed:
  the API's text is data inside them, never code.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from typing import Any

FRAME = struct.Struct("!I")
IDLE = 20.0  # seconds without a page before the child exits
ANSWER = 10.0  # seconds the console waits for the child at most, at each step
READY = b"R"
F_SETPIPE_SZ = 1031  # Linux's fcntl: a pipe's buffer size
PIPE_SIZE = 1 << 20  # a page of 250 pods is 0.7 MB (the system's cap: 1 MB unprivileged)


def _ready(fd: int, event: int, timeout: float) -> bool:
    """Whether fd can be read (POLLIN) or written (POLLOUT) within `timeout` seconds (poll,
    not select: any descriptor number)."""
    poll = select.poll()
    poll.register(fd, event)
    return bool(poll.poll(timeout * 1000))


def _read_exact(fd: int, n: int, timeout: float | None = None) -> bytes:
    """n bytes from fd; TimeoutError if any wait for them exceeds `timeout` (a child
    that stopped answering does not hold the list: it is killed, the page parsed here)."""
    parts, left = [], n
    while left:
        if timeout is not None and not _ready(fd, select.POLLIN, timeout):
            raise TimeoutError("no answer")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _read_frame(fd: int, timeout: float | None = None) -> bytes:
    (n,) = FRAME.unpack(_read_exact(fd, FRAME.size, timeout))
    return _read_exact(fd, n, timeout)


def _write_frames(fd: int, *frames: bytes, timeout: float | None = None) -> None:
    data = b"".join(FRAME.pack(len(f)) + f for f in frames)
    view = memoryview(data)
    while view:
        if timeout is not None and not _ready(fd, select.POLLOUT, timeout):
            raise TimeoutError("not read")
        view = view[os.write(fd, view) :]


class PageParser:
    """The console's side: one child, used by one list at a time (another list, or any
    list while the child starts, parses its pages itself)."""

    def __init__(self, answer: float = ANSWER) -> None:
        self.answer = answer
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._start_lock = threading.Lock()
        self._use = threading.Lock()
        self.pages = 0  # pages the child parsed (the tests and the bench read it)

    def start(self) -> None:
        """Start the child if none runs (a few ms: the list's thread, never the screen's)."""
        with self._start_lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            self._ready = False
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "tui.store.pages"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    close_fds=True,
                )
            except OSError:
                self._proc = None
                return
            for pipe in (self._proc.stdin, self._proc.stdout):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    # a page in one write, not 64 KB at a time each way (Linux's fcntl)
                    fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, PIPE_SIZE)  # type: ignore[union-attr]

    @property
    def alive(self) -> bool:
        """A child was started and has not failed (it may have exited since: idle)."""
        return self._proc is not None

    def wait_ready(self, timeout: float) -> bool:
        """Whether the child is ready, waiting up to `timeout` for it (the tests do)."""
        with self._use:
            proc = self._proc
            if proc is None or proc.stdout is None:
                return False
            if not self._ready and _ready(proc.stdout.fileno(), select.POLLIN, timeout):
                self._ready = os.read(proc.stdout.fileno(), 1) == READY
            return self._ready

    def claim(self) -> bool:
        """The child for one list, if one is ready and no other list has it (never waits).
        True: `release` must follow; meanwhile `send` and `receive`, in order."""
        if not self._use.acquire(blocking=False):
            return False
        try:
            proc = self._proc
            if proc is None or proc.stdout is None:
                raise LookupError("no child")
            if not self._ready:
                out = proc.stdout.fileno()
                if not _ready(out, select.POLLIN, 0):
                    raise LookupError("still starting")
                if _read_exact(out, 1) != READY:
                    raise EOFError("the child did not start")
                self._ready = True
            return True
        except LookupError:
            self._use.release()
        except Exception:
            self._stop()
            self._use.release()
        return False

    def send(self, kind: str, page: bytes) -> bool:
        """A page to the child (it parses pages in the order sent); False: it is gone."""
        try:
            proc = self._proc
            if proc is None or proc.stdin is None:
                return False
            _write_frames(proc.stdin.fileno(), kind.encode(), page, timeout=self.answer)
            return True
        except Exception:  # dead or silent: pages are parsed here until the next start
            self._stop()
            return False

    def receive(self) -> list[Any] | None:
        """The objects of the oldest page sent, or None: parse it here (the child could not
        decode it, or is gone)."""
        try:
            proc = self._proc
            if proc is None or proc.stdout is None:
                return None
            body = _read_frame(proc.stdout.fileno(), self.answer)
            if not body:
                return None
            items: list[Any] = pickle.loads(body)
            self.pages += 1
            return items
        except Exception:
            self._stop()
            return None

    def release(self, answered: bool) -> None:
        """The list is done with the child; not `answered`: pages it was sent are still
        unread (the list failed), and the child is stopped rather than left out of step."""
        if not answered:
            self._stop()
        self._use.release()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()
            threading.Thread(target=proc.wait, name="pages-reap", daemon=True).start()


PAGES = PageParser()  # the console's one


def serve(inp: int, out: int) -> None:
    """The child: pages in, their objects out, until the input ends or stays quiet IDLE
    seconds."""
    import gc
    import importlib

    for module in ("orjson", "tui.store"):  # before it says ready: the first page waits not
        importlib.import_module(module)
    # A page decoded is 25,000 containers: the collector walked them again and again
    # (a list 3-5 times slower). Nothing here is cyclic: reference counting frees it all.
    gc.disable()
    os.write(out, READY)
    while _ready(inp, select.POLLIN, IDLE):
        try:
            kind, page = _read_frame(inp).decode(), _read_frame(inp)
        except EOFError:
            return
        _write_frames(out, _parsed(kind, page))


def _parsed(kind: str, page: bytes) -> bytes:
    """A page's objects, pickled; empty if it cannot be parsed: the console then parses
    the page itself (and fails, the same way)."""
    import orjson

    from tui.store import PARSERS

    try:
        doc = orjson.loads(page)
        parse = PARSERS[kind]
        items = [parse(obj) for obj in doc.get("items") or () if isinstance(obj, dict)]
        return pickle.dumps(items, pickle.HIGHEST_PROTOCOL)
    except Exception:
        return b""


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        serve(sys.stdin.fileno(), sys.stdout.fileno())
