"""The QR code of a redemption code (roadbook.feeds.qr): the data mask chosen in numpy is the
one segno chooses, penalty by penalty, so the symbol is segno's own."""

from __future__ import annotations

import numpy as np
import segno
from hypothesis import example, given, settings
from hypothesis import strategies as st
from segno import encoder

from partners.offers.redemption import ALPHABET, display
from roadbook.feeds import qr


def _segno_scores(symbol: np.ndarray) -> tuple[int, ...]:
    size = symbol.shape[0]
    rows = tuple(bytearray(row) for row in symbol.tolist())
    return tuple(encoder.mask_scores(rows, size, size))  # type: ignore[no-untyped-call]


@st.composite
def symbols(draw: st.DrawFn) -> np.ndarray:
    """A square of light (0) and dark (1) modules, of any density."""
    size = draw(st.integers(7, 25))
    dark = draw(st.floats(0, 1))
    cells = draw(st.lists(st.floats(0, 1), min_size=size * size, max_size=size * size))
    return (np.array(cells).reshape(size, size) < dark).astype(np.uint8)


# Two finder-like patterns 4 apart (1011101 sharing "101"), then 6 apart: counted in the order
# segno scans a line, not each on its own.
_CLOSE = np.zeros((11, 11), dtype=np.uint8)
_CLOSE[3] = [1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1]
_CLOSE[:, 2] = [1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1]


@settings(max_examples=400, deadline=None)
@given(symbols())
@example(_CLOSE)
@example(np.ones((21, 21), dtype=np.uint8))
def test_penalties_are_segnos(symbol: np.ndarray) -> None:
    assert tuple(int(score) for score in qr.mask_scores(symbol)) == _segno_scores(symbol)


def test_penalties_of_many_symbols_at_once_are_each_one_s() -> None:
    rng = np.random.default_rng(5)
    many = (rng.random((8, 21, 21)) < 0.5).astype(np.uint8)
    together = qr.mask_scores(many)
    assert together.shape == (8, 4)
    assert [tuple(int(x) for x in row) for row in together] == [_segno_scores(s) for s in many]


codes = st.text(alphabet=ALPHABET, min_size=8, max_size=8).map(display)


@settings(max_examples=300, deadline=None)
@given(st.one_of(codes, st.text(min_size=1, max_size=12)))
@example("ABCD-EFGH")
def test_the_symbol_is_segnos_with_the_same_mask(text: str) -> None:
    ours = qr.symbol(text)
    theirs = segno.make(text, error="m", micro=False)
    assert (ours.version, ours.error, ours.mask) == (theirs.version, theirs.error, theirs.mask)
    assert ours.matrix == theirs.matrix


def test_every_mask_is_chosen_for_some_code() -> None:
    """The eight masks all occur over a few hundred codes: the choice is not stuck on one."""
    masks = {qr.symbol(display(f"{n:08d}".translate(_DIGITS))).mask for n in range(400)}
    assert masks == set(range(8))


_DIGITS = str.maketrans("0123456789", ALPHABET[:10])
