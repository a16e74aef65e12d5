"""Reading a request body (ingest, heartbeats): gzip inflated incrementally, the size limit on
the inflated bytes.

A zip bomb (a few kilobytes inflating to gigabytes) must never be held in memory: the inflater
is asked for at most ``limit + 1`` bytes in total, whatever the compressed input says.

A gzip body may hold several members, whose contents are concatenated (RFC 1952 §2.2, as
``gzip.decompress`` reads them); anything after a member that is not another whole member is
refused (400), never ignored. The compressed bytes count against the limit too: empty members
(or empty deflate blocks) inflate to nothing, so only their own size can bound them — and
compressed JSON is always smaller than the JSON.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable

from crm.core.errors import Problem

GZIP = 16 + zlib.MAX_WBITS  # zlib's wbits for a gzip header and trailer


def too_large(limit: int) -> Problem:
    """The 413 the uploader answers by halving its batch."""
    return Problem(
        413, "Content Too Large", f"the batch inflates past {limit} bytes; send fewer events"
    )


async def read_body(
    chunks: AsyncIterable[bytes], content_encoding: str | None, limit: int
) -> bytes:
    """The request body, inflated when gzip, refused with 413 past ``limit`` inflated bytes."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        parts: list[bytes] = []
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            parts.append(chunk)
        return b"".join(parts)
    if encoding not in ("gzip", "x-gzip"):
        raise Problem(
            415, "Unsupported Media Type", f"Content-Encoding {encoding!r}: use gzip or none"
        )
    inflater = zlib.decompressobj(wbits=GZIP)
    out: list[bytes] = []
    size = 0
    compressed = 0
    try:
        async for chunk in chunks:
            compressed += len(chunk)
            if compressed > limit:
                raise too_large(limit)
            data = chunk
            while data:
                if inflater.eof:  # the next member of a multi-member body
                    inflater = zlib.decompressobj(wbits=GZIP)
                piece = inflater.decompress(data, limit - size + 1)
                size += len(piece)
                if size > limit:
                    raise too_large(limit)
                out.append(piece)
                data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
        if not inflater.eof:
            raise Problem(400, "Bad Request", "the gzip body is truncated")
    except zlib.error as exc:
        raise Problem(400, "Bad Request", f"the body is not valid gzip: {exc}") from None
    return b"".join(out)
