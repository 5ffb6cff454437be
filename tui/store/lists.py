"""What a complete list costs, kept off the screen's thread.

A list of 10,000 pods makes about 30,000 objects the cyclic collector tracks (a pod, its
containers and their tuple); 50,000 pods about 150,000. Walking them holds the GIL: a
full collection took 18 ms at 10,000 pods and 90 ms at 50,000, freeing the replaced
generation 15 and 72 ms, sorting it 9 and 72 ms. The screen's thread must do none of
it, and no single C call anywhere may hold the GIL that long. So:

- `listing()`: while a list is read, the collector does not run (its young passes
  walked the growing list again and again: 10-14 ms each, on the feed's thread but
  holding the GIL all the same). At the end of a first list, what it made is frozen:
  the collector never walks it again (the store's objects are acyclic: reference
  counting frees them). Before the collector stops, it collects once, so the garbage
  frozen with the list is only what cyclic garbage the list's own second made.
- `index()`: a complete list is indexed by uid (and sorted, for the kinds that have an
  order) on the thread that read it, a slice at a time.
- `bury()`: the generation a list replaced is freed on a thread of its own, one object
  at a time, once the screen has let go of it.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import heapq
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import Any

SLICE = 500  # one C call sorts this many: about 0.1 ms
GRACE = 3.0  # seconds a replaced generation is kept: the panes draw the new one first


def tune_threads() -> None:
    """Before the feeds' threads start: a thread holding the GIL is asked to let go after
    2 ms, not 5 (the screen's thread waited behind a list's parse and its page fetch in
    turn; 50,000 pods: the worst wait 16.7 -> 12.2 ms, the list 8.0 -> 7.5 s), and the C
    heap's settings hold for every thread (see _Trimmer)."""
    sys.setswitchinterval(0.002)
    _trimmer.start()


def tune_gc() -> None:
    """Young passes of ~3 ms; a full pass every 10 middle ones, as by default: it walks
    what is not frozen only (the pods a watch changed, the screen's) and frees the cyclic
    garbage the screen makes (with no full pass, a soak's old generation held 116,000
    unreachable objects after 4 minutes). What exists now (the modules, Textual's and
    ours) is collected and frozen once, before the screen answers keys (the threads are
    tuned by then: tune_threads, at the session's start)."""
    gc.set_threshold(10_000, 10, 10)
    gc.collect()
    gc.freeze()


TRIM_EVERY = 30.0  # seconds between two returns of the C heap's free pages
# glibc's mallopt parameters (malloc.h) and what this process asks of them
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
MMAP_FROM = 256 * 1024  # a block this large is mapped on its own, unmapped when freed
ARENAS = 2  # C heaps the threads share (glibc's default: up to 8 per core)


class _Trimmer:
    """The C heap kept to what is in use (glibc only; elsewhere nothing is done).

    - Its free pages are given back to the system now and then (malloc_trim), on a
      thread of its own: the call lets go of the GIL. What the feeds' threads and the
      screen free there (pages of JSON, tables of thousands of rows) stayed in the
      process: a soak's RSS held 2-3 MB of it at the end.
    - Its threads share 2 heaps, not one each: every feed's thread had a heap of its
      own, each with its own holes.
    - A block of 256 KB or more (a page of a list, a burst of log lines) is always
      mapped on its own: glibc raises that size after freeing one, then carves the
      next ones from the heap, where their holes stay.
    Both: a 7-minute soak with 3 outages, RSS 119 -> 126 MB before, 117 -> 122 MB with
    them (set from the environment, MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_)."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.thread is not None:
                return
            try:
                libc = ctypes.CDLL(None)  # this process's own C library
                trim, mallopt = libc.malloc_trim, libc.mallopt
            except (OSError, AttributeError):
                return  # not glibc: nothing to do
            mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
            mallopt(M_ARENA_MAX, ARENAS)
            mallopt(M_MMAP_THRESHOLD, MMAP_FROM)
            trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
            self.thread = threading.Thread(target=self._run, args=(trim,), name="trim", daemon=True)
            self.thread.start()

    @staticmethod
    def _run(trim: Any) -> None:
        pause = threading.Event()
        while not pause.wait(TRIM_EVERY):
            trim(0)


_trimmer = _Trimmer()


_lock = threading.Lock()
_reading = 0  # lists being read now, in every feed
_freeze_due = False  # one of them is a first list: what it made is frozen at the end


@contextlib.contextmanager
def listing(first: bool) -> Iterator[None]:
    """The collector held off while a list is read. A feed's first list is frozen at its
    end, with everything else alive then: the screen's first layout, the kinds listed with
    it. A relist is not: freezing also keeps what is alive then and dies later in a cycle
    (a soak of 4 minutes and 3 relists kept 185,000 such objects, +48 % RSS); its objects
    are walked by the young passes once or twice, then left in the old generation."""
    global _reading, _freeze_due
    with _lock:
        _reading += 1
        if _reading == 1:
            if first:
                gc.collect()  # what waits is garbage: not frozen with the list
            gc.disable()
    try:
        yield
    finally:
        with _lock:
            _reading -= 1
            _freeze_due |= first
            if _reading == 0:
                if _freeze_due:
                    gc.freeze()
                _freeze_due = False
                gc.enable()


def ordered(objs: Sequence[Any]) -> bool:
    """Objects of a kind with an order of its own (`order`: pods, trouble first)."""
    return bool(objs) and hasattr(objs[0], "order")


def index(objs: Sequence[Any]) -> dict[str, Any]:
    """By uid; in their order if they have one, sorted a slice at a time and merged, so
    the pane that shows them finds them in order (a pass, not a sort)."""
    if ordered(objs):
        key = attrgetter("order")
        runs = [sorted(objs[i : i + SLICE], key=key) for i in range(0, len(objs), SLICE)]
        return {o.uid: o for o in heapq.merge(*runs, key=key)}
    return {o.uid: o for o in objs}


class _Graveyard:
    def __init__(self) -> None:
        self.due: list[tuple[float, dict[str, Any]]] = []
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None

    def bury(self, objs: dict[str, Any]) -> None:
        if len(objs) < SLICE:  # a small generation frees in well under a millisecond
            return
        with self.cond:
            self.due.append((time.monotonic() + GRACE, objs))
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="graveyard", daemon=True)
                self.thread.start()
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.due:
                    self.cond.wait()
                when, objs = self.due[0]
                wait = when - time.monotonic()
                if wait > 0:
                    self.cond.wait(wait)
                    continue
                self.due.pop(0)
            while objs:  # one object freed per step: the GIL changes hands in between
                objs.popitem()
            del objs


_graveyard = _Graveyard()


def bury(objs: dict[str, Any]) -> None:
    """Free a replaced generation later, off this thread."""
    _graveyard.bury(objs)
