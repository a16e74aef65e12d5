"""FastJSONResponse writes the document Starlette's JSONResponse writes: the same bytes but for
how some numbers are spelt (1e-7, not 1e-07)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.core.responses import FastJSONResponse

documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(documents)
def test_the_same_document_as_starlettes_json_response(document: Any) -> None:
    fast, plain = bytes(FastJSONResponse(document).body), bytes(JSONResponse(document).body)
    assert json.loads(fast) == json.loads(plain) == document
    if not any(c in plain for c in b"eE"):  # no number in exponent notation (nor any text)
        assert fast == plain
