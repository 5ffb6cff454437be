"""Snapshot tests (pytest-textual-snapshot): the dashboard, the palette, the confirmation,
a log tail and describe, on the demo cluster held still, at 160x48. A change of layout
fails here until the new SVG is looked at and accepted with `pytest --snapshot-update`
(then `make screenshots` writes the same scenes into screenshots/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scenes import SCENES, SIZE, scene_app, still_demo


@pytest.mark.parametrize("name", list(SCENES))
def test_scene(name: str, snap_compare: Any, tmp_path: Path) -> None:
    with still_demo(tmp_path) as kubeconfig:
        app = scene_app(kubeconfig, tmp_path)
        assert snap_compare(app, terminal_size=SIZE, run_before=SCENES[name])
