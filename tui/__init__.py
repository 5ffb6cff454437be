"""incident-console: the on-call console for a K3s cluster run by Flux."""

import os

__version__ = "0.1.0"

# A key's effect is painted at the screen's next update, and Textual waits up to a whole
# period for it (at 60 a second, every key took a frame before anything else). 240 updates
# a second at most, only while something changed: the screen is redrawn when data comes
# (20 times a second under a fast log tail), and a key waits 2 ms on average for its
# frame, not 4 at 120 (a tail's key p95 17.8 -> 12.4 ms); idle, it costs nothing. Set
# before Textual is imported (its constants are read then); TEXTUAL_FPS given outside wins.
os.environ.setdefault("TEXTUAL_FPS", "240")
