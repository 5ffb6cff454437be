"""Pod logs as `kubectl logs -f` reads them: follow, previous, tailLines, container.

The stream runs in a thread and hands lines over through a bounded LineBuffer: when the
UI falls behind, the oldest waiting lines are dropped and counted (backpressure by
bounded loss, said on screen, never an unbounded queue). A stream that ends while
following is reconnected from the last timestamp seen; a pod that is gone is said so.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from dataclasses import dataclass

import urllib3

from tui.sources.client import ApiError, Kube, iter_lines
from tui.sources.kube import Backoff

# A follow that hears nothing for this long asks again from its last line (sinceTime,
# de-duplicated): a server that vanished without closing the connection (power lost,
# a partition) is noticed, and a quiet container costs one request a minute.
IDLE_RECONNECT = 60.0


# A stream that has this many lines waiting for the screen reads no more until it drains
# them (20 times a second): a replay after an outage (10 s at 2,000 lines/s) came in at
# once, 10,000 lines held waiting and as many made for the view in one turn, and the
# heap kept the peak (the soak's RSS stepped up 4-6 MB at its first outages).
HIGH_WATER = 2_000


class LineBuffer:
    """Thread-safe, bounded: (text, kind) pairs; kind "" for log lines, notice, error."""

    def __init__(self, limit: int = 20_000) -> None:
        self._items: deque[tuple[bytes | str, str]] = deque()
        self._lock = threading.Lock()
        self._drained = threading.Condition(self._lock)
        self.limit = limit
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def wait_room(self, stop: threading.Event, high: int = HIGH_WATER) -> None:
        """Until fewer than `high` lines wait (or `stop`): the stream's own backpressure,
        its lines held in the socket meanwhile, none lost."""
        with self._drained:
            while len(self._items) >= high and not stop.is_set():
                self._drained.wait(0.1)

    def put(self, line: bytes | str, kind: str = "") -> None:
        with self._lock:
            self._items.append((line, kind))
            if len(self._items) > self.limit and not self._items.popleft()[1]:
                self.dropped += 1  # the stream's lines: our own words are not its count

    def drain(self) -> tuple[list[tuple[bytes | str, str]], int]:
        with self._lock:
            items, self._items = list(self._items), deque()
            dropped, self.dropped = self.dropped, 0
            self._drained.notify_all()
        return items, dropped


@dataclass
class LogRequest:
    namespace: str
    pod: str
    container: str = ""
    previous: bool = False
    follow: bool = True
    tail_lines: int = 500


class PodLogStream:
    def __init__(self, kube: Kube, request: LogRequest, sink: LineBuffer) -> None:
        self.kube, self.req, self.sink = kube, request, sink
        self.stop_event = threading.Event()
        self._resp: object | None = None
        self.last_stamp = ""
        self._at_last_stamp: set[bytes] = set()  # lines seen with the last timestamp

    def stop(self) -> None:
        self.stop_event.set()
        resp = self._resp
        if resp is not None:
            with contextlib.suppress(Exception):
                resp.shutdown()  # type: ignore[attr-defined]

    def path(self) -> str:
        return f"/api/v1/namespaces/{self.req.namespace}/pods/{self.req.pod}/log"

    def run(self) -> None:
        backoff = Backoff(base=1.0, cap=10.0)
        first, idle = True, False
        while not self.stop_event.is_set():
            query: dict[str, object] = {
                "timestamps": "true",
                "container": self.req.container,
                "follow": "true" if self.req.follow and not self.req.previous else "",
                "previous": "true" if self.req.previous else "",
            }
            if first:
                query["tailLines"] = self.req.tail_lines
            elif self.last_stamp:
                query["sinceTime"] = self.last_stamp.split(".")[0] + "Z"
            try:
                resp = self.kube.open(
                    "GET", self.path(), query=query, timeout=(5.0, IDLE_RECONNECT)
                )
            except ApiError as e:
                if e.status == 404:
                    self.sink.put(f"pod {self.req.namespace}/{self.req.pod} is gone", "notice")
                    return
                self.sink.put(f"{e.status} {e.reason}: {e.message}", "error")
                if e.status in (400, 403):
                    return
                self.stop_event.wait(backoff.next())
                continue
            except Exception as e:
                self.sink.put(f"cannot reach {self.kube.info.server}: {type(e).__name__}", "error")
                self.stop_event.wait(min(backoff.next(), 3.0))
                continue
            self._resp = resp
            if self.stop_event.is_set():  # stopped while the request was on its way
                with contextlib.suppress(Exception):
                    resp.shutdown()
                return
            backoff.reset()
            if not first and not idle:
                self.sink.put("reconnected", "notice")
            first, idle = False, False
            # After a reconnect, sinceTime replays from the last second seen: skip what is
            # older than the last line seen, and the lines already seen at its timestamp.
            resume_after, replayed = self.last_stamp, set(self._at_last_stamp)
            try:
                for line in iter_lines(resp):
                    if self.stop_event.is_set():
                        break
                    stamp = line.partition(b" ")[0].decode("ascii", "replace")
                    if resume_after and stamp[:4].isdigit():
                        if stamp < resume_after or (stamp == resume_after and line in replayed):
                            continue
                        resume_after = ""
                    if stamp[:4].isdigit():
                        if stamp != self.last_stamp:
                            self.last_stamp, self._at_last_stamp = stamp, set()
                        self._at_last_stamp.add(line)
                    if len(self.sink) >= HIGH_WATER:
                        self.sink.wait_room(self.stop_event)
                    self.sink.put(line)
            except urllib3.exceptions.ReadTimeoutError:
                idle = True  # nothing for a while: ask again from the last line, quietly
            except Exception:
                pass
            finally:
                self._resp = None
                with contextlib.suppress(Exception):
                    resp.release_conn()
            if self.stop_event.is_set():
                return
            if not query["follow"]:
                self.sink.put("end of log", "notice")
                return
            if idle:
                continue
            self.sink.put("stream ended; reconnecting", "notice")
            self.stop_event.wait(1.0)
