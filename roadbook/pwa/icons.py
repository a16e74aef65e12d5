"""The roadbook app's icons, drawn with the standard library: a beacon (a dot and two waves) in
white on the theme colour. The PNG files are committed under ``static/``; run

    python -m roadbook.pwa.icons

to draw them again after changing the design (tests/roadbook/pwa checks the files match).
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

from roadbook.pwa.assets import STATIC, THEME

WHITE = (255, 255, 255)
# (file, size in pixels, how much of the square the drawing fills): a maskable icon keeps its
# drawing inside the central safe circle (radius 40 % of the size), so it draws smaller.
ICONS = (
    ("icon-192.png", 192, 1.0),
    ("icon-512.png", 512, 1.0),
    ("icon-maskable-512.png", 512, 0.72),
    ("apple-touch-icon.png", 180, 0.9),
)
# The beacon in a unit square: the dot's centre and radius, each wave's radius and width, and
# the waves' half-angle around "up".
DOT = (0.5, 0.64, 0.085)
WAVES = ((0.24, 0.065), (0.38, 0.065))
HALF_ANGLE = math.radians(48)
SAMPLES = 4  # per pixel and axis (anti-aliasing)


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def _inside(x: float, y: float) -> bool:
    """Whether the point of the unit square is on the beacon's white."""
    cx, cy, r = DOT
    dx, dy = x - cx, y - cy
    distance = math.hypot(dx, dy)
    if distance <= r:
        return True
    if dy >= 0 or abs(math.atan2(dx, -dy)) > HALF_ANGLE:
        return False
    return any(abs(distance - radius) <= width / 2 for radius, width in WAVES)


def draw(size: int, scale: float) -> bytes:
    """The icon as RGB rows (each preceded by PNG's filter byte 0)."""
    background = _rgb(THEME)
    rows = bytearray()
    for py in range(size):
        rows.append(0)
        for px in range(size):
            hits = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = ((px + (sx + 0.5) / SAMPLES) / size - 0.5) / scale + 0.5
                    y = ((py + (sy + 0.5) / SAMPLES) / size - 0.5) / scale + 0.5
                    hits += _inside(x, y)
            share = hits / SAMPLES**2
            rows.extend(round(b + (w - b) * share) for b, w in zip(background, WHITE, strict=True))
    return bytes(rows)


def png(size: int, scale: float) -> bytes:
    """A PNG file (8-bit RGB, no alpha) of the icon."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(draw(size, scale), 9))
        + chunk(b"IEND", b"")
    )


def svg() -> str:
    """The same drawing as an SVG document (the page's favicon)."""
    cx, cy, r = DOT
    arcs = []
    for radius, width in WAVES:
        dx, dy = radius * math.sin(HALF_ANGLE), radius * math.cos(HALF_ANGLE)
        arcs.append(
            f'<path d="M{(cx - dx) * 100:.2f} {(cy - dy) * 100:.2f}A{radius * 100:.2f} '
            f'{radius * 100:.2f} 0 0 1 {(cx + dx) * 100:.2f} {(cy - dy) * 100:.2f}" '
            f'stroke-width="{width * 100:.2f}"/>'
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" rx="18" fill="{THEME}"/>'
        f'<circle cx="{cx * 100:.2f}" cy="{cy * 100:.2f}" r="{r * 100:.2f}" fill="#fff"/>'
        f'<g fill="none" stroke="#fff">{"".join(arcs)}</g></svg>\n'
    )


def write(folder: Path = STATIC) -> list[Path]:
    """Draw every icon into ``folder``; the paths written."""
    written = []
    for name, size, scale in ICONS:
        path = folder / name
        path.write_bytes(png(size, scale))
        written.append(path)
    path = folder / "icon.svg"
    path.write_text(svg(), encoding="utf-8")
    written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
