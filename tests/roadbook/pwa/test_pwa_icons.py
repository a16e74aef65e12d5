"""The committed icons are what roadbook/pwa/icons.py draws (so the design has one source)."""

from __future__ import annotations

from pathlib import Path

from roadbook.pwa import icons
from roadbook.pwa.assets import STATIC


def test_the_committed_icons_are_the_drawn_ones(tmp_path: Path) -> None:
    written = icons.write(tmp_path)
    assert sorted(p.name for p in written) == [
        "apple-touch-icon.png",
        "icon-192.png",
        "icon-512.png",
        "icon-maskable-512.png",
        "icon.svg",
    ]
    for path in written:
        assert (STATIC / path.name).read_bytes() == path.read_bytes(), path.name


def test_the_maskable_icon_keeps_its_drawing_in_the_safe_circle() -> None:
    # Every white point of the maskable icon lies within 40 % of its size from the centre.
    size, scale = next((s, k) for name, s, k in icons.ICONS if name == "icon-maskable-512.png")
    rows = icons.draw(size, scale)
    stride = 1 + 3 * size
    background = rows[1:4]
    for y in range(0, size, 4):
        for x in range(0, size, 4):
            pixel = rows[y * stride + 1 + 3 * x : y * stride + 4 + 3 * x]
            if pixel != background:
                assert (x - size / 2) ** 2 + (y - size / 2) ** 2 <= (0.4 * size) ** 2
