"""The emulator's time and chance: the real clock and a free random generator, or, for
the snapshot scenes, a clock held still at one second and a seeded generator, so that
every age, name and figure the demo serves is the same from run to run."""

from __future__ import annotations

import random
import time
import uuid
import zlib


class Clock:
    def __init__(self) -> None:
        self.held: float | None = None

    def __call__(self) -> float:
        return time.time() if self.held is None else self.held


CLOCK = Clock()
RNG = random.Random()


def now() -> float:
    return CLOCK()


def hold(at: float | None, seed: int | None = None) -> None:
    """Hold the clock at `at` (None: the real clock again); seed the generator."""
    CLOCK.held = at
    RNG.seed(seed)


def new_uid() -> str:
    return str(uuid.UUID(int=RNG.getrandbits(128), version=4))


def stable_hash(text: str) -> int:
    """The same number for the same text in every process (str hashes are salted)."""
    return zlib.crc32(text.encode())
