"""Reading a gzip ingest body: every member inflated, nothing after the last one, the limit kept.

A gzip body may hold several members (RFC 1952 §2.2: their contents are concatenated); bytes that
are not a gzip member after the first one are refused (400), never ignored.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_support import GZIP_JSON, Tenant, auth, batch, gateway_names, uid_event

from crm.core.body import read_body
from crm.core.errors import Problem
from crm.core.models import utcnow

URL = "/api/v1/gateway/events"


def inflate(body: bytes, limit: int = 1 << 20, *, cuts: list[int] | None = None) -> bytes:
    """``read_body`` over ``body`` sent in chunks cut at ``cuts``."""
    bounds = [0, *sorted({c for c in cuts or [] if 0 < c < len(body)}), len(body)]

    async def chunks() -> AsyncIterator[bytes]:
        for start, end in itertools.pairwise(bounds):
            yield body[start:end]

    return asyncio.run(read_body(chunks(), "gzip", limit))


def refused(body: bytes, limit: int = 1 << 20, *, cuts: list[int] | None = None) -> int:
    with pytest.raises(Problem) as problem:
        inflate(body, limit, cuts=cuts)
    return problem.value.status


def test_every_member_is_inflated() -> None:
    body = gzip.compress(b'{"a": ') + gzip.compress(b"1}")
    assert inflate(body) == b'{"a": 1}'
    assert inflate(body + gzip.compress(b"")) == b'{"a": 1}'  # an empty member adds nothing


@pytest.mark.parametrize(
    "trailer",
    [b"garbage", b"\x00", b"\x00" * 8, b"\x1f", b"\x1f\x8b", b"{}"],
    ids=["text", "zero", "zeros", "half-magic", "magic-only", "json"],
)
def test_bytes_after_a_member_are_refused(trailer: bytes) -> None:
    assert refused(gzip.compress(b'{"a": 1}') + trailer) == 400


def test_a_truncated_second_member_is_refused() -> None:
    second = gzip.compress(b"1}")
    assert refused(gzip.compress(b'{"a": ') + second[:-3]) == 400


def test_the_limit_counts_every_member() -> None:
    body = gzip.compress(b"x" * 600) + gzip.compress(b"y" * 600)
    assert refused(body, limit=1000) == 413
    assert inflate(body, limit=1200) == b"x" * 600 + b"y" * 600


def test_endless_empty_members_are_cut_off_by_the_limit() -> None:
    # each empty member inflates to nothing: the compressed size is what bounds them
    empty = gzip.compress(b"")
    assert refused(gzip.compress(b"{}") + empty * 1000, limit=1000) == 413


members = st.lists(st.binary(max_size=300), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(parts=members, cuts=st.lists(st.integers(0, 2000), max_size=6), tail=st.binary(max_size=8))
def test_any_chunking_of_any_members_inflates_like_gzip(
    parts: list[bytes], cuts: list[int], tail: bytes
) -> None:
    body = b"".join(gzip.compress(p) for p in parts)
    assert inflate(body, cuts=cuts) == b"".join(parts)
    if tail:
        # whatever follows is either refused or a valid member (never a valid gzip prefix here)
        assert refused(body + tail, cuts=cuts) == 400


async def test_a_multi_member_batch_is_stored_whole(
    client: httpx2.AsyncClient, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    events = [
        uid_event(tenant.passes["lea"], utcnow() - timedelta(seconds=i + 1)) for i in range(6)
    ]
    raw = json.dumps(batch(gw, events)).encode()
    half = len(raw) // 2
    headers = {**auth(tenant, gw), **GZIP_JSON}
    body = gzip.compress(raw[:half]) + gzip.compress(raw[half:])
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 6, "duplicates": 0, "rejected": []}


async def test_trailing_garbage_after_a_batch_is_a_400(
    client: httpx2.AsyncClient, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    raw = json.dumps(batch(gw, [uid_event(tenant.passes["lea"], utcnow())])).encode()
    headers = {**auth(tenant, gw), **GZIP_JSON}
    response = await client.post(URL, content=gzip.compress(raw) + b"trailing", headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    again = await client.post(URL, content=gzip.compress(raw), headers=headers)
    assert again.json()["accepted"] == 1  # nothing of the refused body was stored
