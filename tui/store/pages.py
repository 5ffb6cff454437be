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
- A page is answered in two frames: its list metadata first (the next page's fetch
  starts on it: `send`), then its objects (`receive`).
- The child exits when its input closes (the console quit) or after IDLE seconds
  without a page; the next large list starts another. One that does not answer within
  ANSWER seconds is killed, and its page parsed here.
- What is sent back is pickled by the child, our own code, from the objects it parsed:
  the API's text is data inside them, never code.
"""

from __future__ import annotations

import contextlib
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

JSON = dict[str, Any]


def _read_exact(fd: int, n: int, timeout: float | None = None) -> bytes:
    """n bytes from fd; TimeoutError if any wait for them exceeds `timeout` (a child
    that stopped answering does not hold the list: it is killed, the page parsed here)."""
    parts, left = [], n
    while left:
        if timeout is not None and not select.select([fd], [], [], timeout)[0]:
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
        if timeout is not None and not select.select([], [fd], [], timeout)[1]:
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

    def wait_ready(self, timeout: float) -> bool:
        """Whether the child is ready, waiting up to `timeout` for it (the tests do)."""
        with self._use:
            proc = self._proc
            if proc is None or proc.stdout is None:
                return False
            if not self._ready and select.select([proc.stdout.fileno()], [], [], timeout)[0]:
                self._ready = os.read(proc.stdout.fileno(), 1) == READY
            return self._ready

    def send(self, kind: str, page: bytes) -> Any:
        """The page to the child; its list metadata back as soon as the child has decoded
        it, or None: parse the page here. Not None: `receive` must follow."""
        if not self._use.acquire(blocking=False):
            return None
        try:
            proc = self._proc
            if proc is None or proc.stdin is None or proc.stdout is None:
                raise LookupError("no child")
            out, inp = proc.stdout.fileno(), proc.stdin.fileno()
            if not self._ready:
                if not select.select([out], [], [], 0)[0]:
                    raise LookupError("still starting")
                if _read_exact(out, 1) != READY:
                    raise EOFError("the child did not start")
                self._ready = True
            _write_frames(inp, kind.encode(), page, timeout=self.answer)
            meta = _read_frame(out, self.answer)
            if not meta:  # the child could not decode it: here, with the same outcome
                _read_frame(out, self.answer)
                raise LookupError("not decoded")
            return pickle.loads(meta)
        except LookupError:
            self._use.release()
            return None
        except Exception:  # dead or confused: pages are parsed here until the next start
            self._stop()
            self._use.release()
            return None

    def receive(self) -> list[Any] | None:
        """The objects of the page sent, or None: parse them here."""
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
        finally:
            self._use.release()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()
            threading.Thread(target=proc.wait, name="pages-reap", daemon=True).start()


PAGES = PageParser()  # the console's one


def serve(inp: int, out: int) -> None:
    """The child: pages in, their metadata and objects out, until the input ends or stays
    quiet IDLE seconds."""
    import orjson

    from tui.store import PARSERS

    os.write(out, READY)
    while select.select([inp], [], [], IDLE)[0]:
        try:
            kind, page = _read_frame(inp).decode(), _read_frame(inp)
        except EOFError:
            return
        try:
            doc = orjson.loads(page)
            meta = doc.get("metadata") or {}
            head = pickle.dumps(meta, pickle.HIGHEST_PROTOCOL)
        except Exception:
            _write_frames(out, b"", b"")
            continue
        _write_frames(out, head)
        try:
            parse = PARSERS[kind]
            items = [parse(obj) for obj in doc.get("items") or () if isinstance(obj, dict)]
            body = pickle.dumps(items, pickle.HIGHEST_PROTOCOL)
        except Exception:  # the console's side sees an empty frame: it parses the page itself
            body = b""
        del doc
        _write_frames(out, body)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        serve(sys.stdin.fileno(), sys.stdout.fileno())
