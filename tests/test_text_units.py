"""Inert text, quantities, ages."""

from __future__ import annotations

import pytest

from tui.store.units import fmt_bytes, fmt_cpu, human_duration, parse_quantity, parse_time
from tui.text import clean, strip_controls


def test_escape_sequences_and_controls_are_stripped() -> None:
    raw = "ok \x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07 bell\x07 \x9b2J end\r\n"
    assert clean(raw) == "ok red link bell  end "


def test_markup_is_left_as_text_for_the_renderer() -> None:
    assert clean("[bold red]boom[/]") == "[bold red]boom[/]"


def test_newlines_kept_on_request_and_long_text_cut() -> None:
    assert strip_controls("a\nb\x00c", keep_newlines=True) == "a\nbc"
    assert clean("x" * 10_000, limit=100) == "x" * 99 + "…"


@pytest.mark.parametrize(
    ("q", "value"),
    [
        ("250m", 0.25),
        ("2", 2.0),
        ("512Mi", 512 * 2**20),
        ("1Gi", 2**30),
        ("1500000n", 0.0015),
        ("8129300Ki", 8129300 * 1024),
        ("1e3", 1000.0),
        ("", None),
        ("bogus", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_quantity(q: object, value: float | None) -> None:
    got = parse_quantity(q)
    assert got == pytest.approx(value) if value is not None else got is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5s"),
        (119, "119s"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 + 60, "3h1m"),
        (20 * 3600, "20h"),
        (3 * 86400 + 3600 * 4, "3d4h"),
        (212 * 86400, "212d"),
        (3 * 365 * 86400 + 86400 * 30, "3y30d"),
    ],
)
def test_human_duration_like_kubectl(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_times_and_formats() -> None:
    assert parse_time("2026-01-02T03:04:05Z") == 1767323045.0
    assert parse_time("not a time") is None
    assert fmt_cpu(250.4) == "250m"
    assert fmt_bytes(300 * 2**20) == "300Mi"
    assert fmt_bytes(6.3 * 2**30) == "6.3Gi"
