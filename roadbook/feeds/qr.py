"""The QR code of a redemption code, drawn by segno with its data mask chosen in numpy.

A QR symbol's encoder applies each of the eight data masks and keeps the one of lowest penalty
(ISO/IEC 18004 § 7.8.3). segno does that in pure Python, ~90 % of the ~1.4 ms a code cost on
the first roadbook that shows it. :func:`mask_scores` scores the eight at once exactly as segno
does (``segno.encoder.mask_scores``: the tests compare both on random matrices, and the symbols
on random codes), and segno draws the symbol with the mask chosen: the same symbol, and its SVG,
in ~0.6 of the time (1.0 against 1.6 ms here).
Only version 1 (21 x 21 modules, every redemption code) is judged here; any larger symbol is
left to segno.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import segno
from numpy.typing import NDArray

SIZE = 21  # modules a side of a version 1 symbol
_ROW, _COL = np.indices((SIZE, SIZE))
# The eight data masks (ISO/IEC 18004 Table 10): where each flips a data module.
_MASKS = np.array(
    [
        (_ROW + _COL) % 2 == 0,
        _ROW % 2 == 0,
        _COL % 3 == 0,
        (_ROW + _COL) % 3 == 0,
        (_ROW // 2 + _COL // 3) % 2 == 0,
        (_ROW * _COL) % 2 + (_ROW * _COL) % 3 == 0,
        ((_ROW * _COL) % 2 + (_ROW * _COL) % 3) % 2 == 0,
        ((_ROW + _COL) % 2 + (_ROW * _COL) % 3) % 2 == 0,
    ]
)


def _regions() -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Version 1's format modules (still light while the masks are judged, the dark module
    included) and data modules (the ones a mask flips)."""
    fmt = np.zeros((SIZE, SIZE), dtype=bool)
    fmt[8, :9] = fmt[:9, 8] = True
    fmt[8, SIZE - 8 :] = fmt[SIZE - 8 :, 8] = True
    fmt[8, 6] = fmt[6, 8] = False  # timing modules
    data = ~fmt
    for row, col in ((0, 0), (0, SIZE - 8), (SIZE - 8, 0)):  # finder patterns and separators
        data[row : row + 8, col : col + 8] = False
    data[6, :] = data[:, 6] = False  # timing patterns
    return fmt, data


_FORMAT, _DATA = _regions()
_FLIPS = _MASKS & _DATA
_FINDER_LIKE = np.array([1, 0, 1, 1, 1, 0, 1], dtype=np.uint8)  # 1:1:3:1:1, dark light dark...
_FINDER_LIKE_BITS = 0b1011101


def _finder_like(lines: NDArray[np.uint8]) -> NDArray[np.int64]:
    """N3 of each line (last axis): 40 for each 1:1:3:1:1 pattern with 4 light modules (or the
    symbol's edge) on one side, found as segno finds them: left to right, the next search 7
    modules on after a pattern counted, 4 after one not. Where two patterns are less than 7
    apart that order matters, and those (rare) lines are scanned so."""
    size = lines.shape[-1]
    starts = size - 6
    window = np.zeros((*lines.shape[:-1], starts), dtype=np.int64)
    for offset in range(7):  # each 7-module window as a 7-bit number
        window |= lines[..., offset : offset + starts].astype(np.int64) << (6 - offset)
    found = window == _FINDER_LIKE_BITS
    dark = np.zeros((*lines.shape[:-1], size + 1), dtype=np.int64)
    np.cumsum(lines, axis=-1, out=dark[..., 1:])
    at = np.arange(starts)
    light_before = dark[..., at] == dark[..., np.maximum(at - 4, 0)]
    light_after = dark[..., np.minimum(at + 11, size)] == dark[..., at + 7]
    edge = (at == 0) | (at == size - 7)
    scores: NDArray[np.int64] = 40 * (found & (edge | light_before | light_after)).sum(axis=-1)
    # lines with two patterns starting less than 7 apart: 2 or more in some 7 starts
    seen = np.zeros((*lines.shape[:-1], starts + 1), dtype=np.int64)
    np.cumsum(found, axis=-1, out=seen[..., 1:])
    span = min(7, starts)
    close = (seen[..., span:] - seen[..., :-span] > 1).any(axis=-1)
    for index in zip(*np.nonzero(close), strict=True):
        scores[index] = _finder_like_in_order(bytes(lines[index]))
    return scores


def _finder_like_in_order(line: bytes) -> int:
    """N3 of one line, scanned in order (segno's own loop)."""
    size, pattern, count = len(line), bytes(_FINDER_LIKE), 0
    at = line.find(pattern)
    while at != -1:
        after = at + 7
        edge = at in (0, size - 7)
        if edge or not any(line[max(at - 4, 0) : at]) or not any(line[after : after + 4]):
            count += 40
        else:
            after = at + 4
        at = line.find(pattern, after)
    return count


def _runs(lines: NDArray[np.uint8]) -> NDArray[np.int64]:
    """N1 of each line (last axis): L - 2 for each run of L >= 5 modules of one colour, counted
    as (windows of 5 in the run: L - 4) + 2 for the run's first window."""
    same = lines[..., 1:] == lines[..., :-1]
    five = same[..., :-3] & same[..., 1:-2] & same[..., 2:-1] & same[..., 3:]
    first = five.copy()
    first[..., 1:] &= ~same[..., :-4]  # a window that starts a run
    runs: NDArray[np.int64] = five.sum(axis=-1) + 2 * first.sum(axis=-1)
    return runs


def mask_scores(symbols: NDArray[np.uint8]) -> NDArray[np.int64]:
    """The penalties (N1, N2, N3, N4) of each square symbol (``symbols[..., row, col]``, 0
    light, 1 dark), as ``segno.encoder.mask_scores`` gives them: shape ``(..., 4)``."""
    size = symbols.shape[-1]
    lines = np.concatenate([symbols, np.swapaxes(symbols, -1, -2)], axis=-2)
    n1 = _runs(lines).sum(axis=-1)
    corner = symbols[..., :-1, :-1]
    blocks = (
        (corner == symbols[..., 1:, :-1])
        & (corner == symbols[..., :-1, 1:])
        & (corner == symbols[..., 1:, 1:])
    )
    n2 = 3 * blocks.sum(axis=(-1, -2))
    n3 = _finder_like(lines).sum(axis=-1)
    dark = symbols.sum(axis=(-1, -2))
    n4 = 10 * np.floor(np.abs(dark / size**2 * 100 - 50) / 5).astype(np.int64)
    return np.stack([n1, n2, n3, n4], axis=-1)


def _symbol(text: str, mask: int | None = None) -> segno.QRCode:
    return segno.make(text, error="m", micro=False, mask=mask)


def symbol(text: str) -> segno.QRCode:
    """The QR symbol of ``text`` (error correction "M" or better, never a Micro QR), the same as
    ``segno.make(text, error="m", micro=False)``, its mask chosen by :func:`mask_scores`."""
    first = _symbol(text, 0)
    if first.version != 1:
        return _symbol(text)
    drawn = np.array(first.matrix, dtype=np.uint8)
    plain = drawn ^ _FLIPS[0]
    judged = np.where(_FORMAT, 0, plain ^ _FLIPS).astype(np.uint8)
    best = int(np.argmin(mask_scores(judged).sum(axis=-1)))  # the first of the lowest, as segno
    return first if best == 0 else _symbol(text, best)


# QR codes drawn lately, by shown code: a visitor's code never changes. ~0.9 KB each. The key is
# the code alone (random, tied to no one here); an erased visitor's code ages out of it.
QR_KEPT = 4096


@lru_cache(maxsize=QR_KEPT)
def qr_svg(shown: str) -> str:
    """The QR code of ``shown`` as an inline SVG document: a full QR code, never a Micro QR
    (which segno would choose for a code this short, and which many phones' camera apps cannot
    read at the counter)."""
    return symbol(shown).svg_inline(omitsize=True, title=shown)
