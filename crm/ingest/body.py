"""Reading an ingest body: gzip inflated incrementally, the size limit on the inflated bytes.

A zip bomb (a few kilobytes inflating to gigabytes) must never be held in memory: the inflater
is asked for at most ``limit + 1`` bytes in total, whatever the compressed input says.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable

from crm.core.errors import Problem


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
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            data = chunk
            while data:
                piece = inflater.decompress(data, limit - size + 1)
                size += len(piece)
                if size > limit:
                    raise too_large(limit)
                out.append(piece)
                data = inflater.unconsumed_tail
                if inflater.eof:
                    break
            if inflater.eof:
                break
        if not inflater.eof:
            raise Problem(400, "Bad Request", "the gzip body is truncated")
    except zlib.error as exc:
        raise Problem(400, "Bad Request", f"the body is not valid gzip: {exc}") from None
    return b"".join(out)
