"""``/widget.js``: JavaScript with the right type, gzipped when accepted, revalidated by ETag,
loadable from any page; its gzipped size is what the bench reports, within the 15 KB budget."""

from __future__ import annotations

import gzip

from crm.core.db import Database
from roadbook.widget.asset import BUDGET_GZ_BYTES, TEXTS_MARKER, asset, gzipped_size
from tests.roadbook.app_support import app_client


async def test_the_script_is_javascript_cached_an_hour_and_revalidated(db: Database) -> None:
    async with app_client(db, "https://crm.example") as client:
        plain = await client.get("/widget.js", headers={"Accept-Encoding": "identity"})
        again = await client.get(
            "/widget.js",
            headers={"Accept-Encoding": "identity", "If-None-Match": plain.headers["etag"]},
        )
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["cache-control"] == "public, max-age=3600"
    assert plain.headers["access-control-allow-origin"] == "*"
    assert plain.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "content-encoding" not in plain.headers
    assert plain.content == asset().raw
    assert TEXTS_MARKER not in plain.content  # its words are in (test_widget_texts.py)
    assert "customElements.define(TAG, BaliseRoadbook)" in plain.text
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == plain.headers["etag"]


async def test_the_script_is_sent_gzipped_with_its_own_etag(db: Database) -> None:
    async with app_client(db, "https://crm.example") as client:
        plain = await client.get("/widget.js", headers={"Accept-Encoding": "identity"})
        # httpx2 decodes the body; the raw bytes on the wire are the gzip stream.
        packed = await client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
        stale = await client.get(
            "/widget.js", headers={"Accept-Encoding": "gzip", "If-None-Match": '"old"'}
        )
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) == gzipped_size()
    assert packed.content == plain.content
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'
    assert stale.status_code == 200


def test_the_gzipped_size_is_measured_and_within_budget() -> None:
    size = gzipped_size()
    assert size == len(gzip.compress(asset().raw, compresslevel=9, mtime=0))
    assert 1000 < size <= BUDGET_GZ_BYTES
