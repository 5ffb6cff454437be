"""incident-console: the on-call console for a K3s cluster run by Flux."""

import os

__version__ = "0.1.0"

# A key's effect is painted at the screen's next update, and Textual waits a whole period
# for it (1/60 s: every key took one frame before anything else). 120 updates a second
# at most, only while something changed: half the wait, no cost when idle. Set before
# Textual is imported (its constants are read then); TEXTUAL_FPS given outside wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
