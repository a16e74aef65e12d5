"""The roadbook app's addresses: its static files and service worker, the manifest, and the
"My data" page (consents, download, erasure) as plain forms."""

from __future__ import annotations

import json
import re
import struct

from crm.core.db import Database
from crm.destinations import service as destinations
from crm.visitors import service as visitors
from roadbook.pwa import assets
from tests.roadbook.app_support import PUBLIC, app_client


async def _visitor(db: Database, language: str = "fr") -> str:
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, f"pwa{language}", "Pagetown")
        enrolled = await visitors.enrol(
            session, dest.id, language=language, consents=["personalisation", "proximity"]
        )
        await session.commit()
        return enrolled.roadbook_token


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


async def test_static_files_are_kept_a_year_under_their_versioned_address(db: Database) -> None:
    async with app_client(db) as client:
        css = await client.get(assets.url("roadbook.css"))
        js = await client.get(assets.url("roadbook.js"))
        missing = await client.get("/pwa/nothing.css")
    assert css.status_code == js.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_the_service_worker_controls_the_roadbooks_and_precaches_what_exists(
    db: Database,
) -> None:
    async with app_client(db) as client:
        worker = await client.get("/pwa/sw.js")
        source = worker.text
        version = re.search(r'const VERSION = "(\w{12})";', source)
        precached = json.loads(re.search(r"const PRECACHED = (\[.*?\]);", source).group(1))  # type: ignore[union-attr]
        answers = [await client.get(url) for url in precached]
    assert worker.status_code == 200
    assert worker.headers["service-worker-allowed"] == "/r/"
    assert worker.headers["cache-control"] == "no-cache"
    # A worker runs under its own script's policy: it must be allowed to fetch this origin.
    assert worker.headers["content-security-policy"] == "default-src 'self'"
    assert version is not None and version.group(1) == assets.assets()["sw.js"].version
    assert "__PRECACHED__" not in source and "__VERSION__" not in source
    assert set(precached) == {assets.url(name) for name in assets.PRECACHED}
    assert [a.status_code for a in answers] == [200] * len(precached)


async def test_the_manifest_starts_at_the_roadbook_in_the_visitors_language(db: Database) -> None:
    token = await _visitor(db, "de")
    async with app_client(db) as client:
        response = await client.get(f"/r/{token}/manifest.webmanifest")
        manifest = response.json()
        icons = {icon["src"]: await client.get(icon["src"]) for icon in manifest["icons"]}
        unknown = await client.get("/r/" + "A" * 43 + "/manifest.webmanifest")
    assert response.headers["content-type"] == "application/manifest+json"
    assert response.headers["cache-control"] == "no-store"
    assert manifest["start_url"] == manifest["scope"] == manifest["id"] == f"/r/{token}"
    assert manifest["name"] == "Ihr Reisebuch — Pagetown"
    assert manifest["short_name"] == "Reisebuch"
    assert manifest["lang"] == "de"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b5a66" and manifest["background_color"] == "#ffffff"
    pngs = [
        (icon["sizes"], icon["purpose"], _png_size(icons[icon["src"]].content))
        for icon in manifest["icons"]
        if icon["type"] == "image/png"
    ]
    assert pngs == [
        ("192x192", "any", (192, 192)),
        ("512x512", "any", (512, 512)),
        ("512x512", "maskable", (512, 512)),
    ]
    svg = [icon for icon in manifest["icons"] if icon["type"] == "image/svg+xml"]
    assert svg and icons[svg[0]["src"]].text.startswith("<svg")
    assert unknown.status_code == 404


async def test_my_data_shows_my_choices_the_download_and_the_erasure(db: Database) -> None:
    token = await _visitor(db, "fr")
    async with app_client(db) as client:
        page = await client.get(f"/r/{token}/privacy")
        german = await client.get(f"/r/{token}/privacy?lang=de")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<html lang="fr">' in html and "<h1>Mes données</h1>" in html
    home = f"{PUBLIC}/r/{token}"
    assert f'<form method="post" action="{home}/privacy">' in html
    checked = re.findall(r'name="consents" value="(\w+)"( checked)?>', html)
    assert checked == [
        ("proximity", " checked"),
        ("personalisation", " checked"),
        ("marketing", ""),
    ]
    assert f'href="{home}/export.json">Télécharger mes données</a>' in html
    assert '<input type="checkbox" id="confirm" name="confirm" value="yes">' in html
    assert "<h1>Meine Daten</h1>" in german.text


async def test_saving_choices_appends_to_the_ledger_and_comes_back(db: Database) -> None:
    token = await _visitor(db, "en")
    async with app_client(db) as client:
        saved = await client.post(
            f"/r/{token}/privacy",
            data={"action": "consents", "lang": "en", "consents": ["proximity", "marketing"]},
        )
        state = (await client.get(f"/r/{token}/consents")).json()
        back = await client.get(saved.headers["location"].removeprefix(PUBLIC))
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PUBLIC}/r/{token}/privacy?lang=en&saved=true#choices"
    assert state["state"] == {"proximity": True, "personalisation": False, "marketing": True}
    # Only the changes were recorded, by the visitor: withdrawing one, giving another.
    changes = [(e["scope"], e["granted"], e["by"]) for e in state["ledger"][-2:]]
    assert sorted(changes) == [
        ("marketing", True, "visitor"),
        ("personalisation", False, "visitor"),
    ]
    assert len(state["ledger"]) == 4
    assert '<p class="saved" role="status">Your choices are saved.</p>' in back.text


async def test_an_unknown_choice_changes_nothing_and_says_so(db: Database) -> None:
    token = await _visitor(db, "en")
    async with app_client(db) as client:
        before = (await client.get(f"/r/{token}/consents")).json()
        refused = await client.post(
            f"/r/{token}/privacy", data={"action": "consents", "consents": ["everything"]}
        )
        after = (await client.get(f"/r/{token}/consents")).json()
    assert refused.status_code == 422
    assert (
        'id="consents-error">This choice does not exist; nothing was changed.</p>' in refused.text
    )
    assert before == after


async def test_erasing_needs_the_box_ticked_then_the_roadbook_is_gone(db: Database) -> None:
    token = await _visitor(db, "nl")
    async with app_client(db) as client:
        unconfirmed = await client.post(f"/r/{token}/privacy", data={"action": "erase"})
        still = await client.get(f"/r/{token}")
        erased = await client.post(
            f"/r/{token}/privacy", data={"action": "erase", "confirm": "yes", "lang": "nl"}
        )
        gone = [await client.get(f"/r/{token}{path}") for path in ("", "/privacy", "/feed.json")]
    assert unconfirmed.status_code == 422
    assert 'aria-invalid="true" aria-describedby="confirm-error" autofocus>' in unconfirmed.text
    assert (
        'id="confirm-error">Vink het vakje aan om het wissen te bevestigen.</p>' in unconfirmed.text
    )
    assert still.status_code == 200
    assert erased.status_code == 200
    assert '<html lang="nl" data-erased="">' in erased.text
    assert "<h1>Uw gegevens zijn gewist</h1>" in erased.text
    assert token not in erased.text
    assert [r.status_code for r in gone] == [404, 404, 404]


async def test_a_post_started_by_another_site_changes_nothing(db: Database) -> None:
    token = await _visitor(db, "en")
    erase = {"action": "erase", "confirm": "yes"}
    async with app_client(db) as client:
        by_origin = await client.post(
            f"/r/{token}/privacy", data=erase, headers={"Origin": "https://evil.example"}
        )
        by_fetch = await client.post(
            f"/r/{token}/privacy", data=erase, headers={"Sec-Fetch-Site": "cross-site"}
        )
        own = await client.post(
            f"/r/{token}/privacy",
            data={"action": "consents", "consents": ["proximity"]},
            headers={"Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"},
        )
        # Our pages send no Referer: their posts say "Origin: null".
        no_referrer = await client.post(
            f"/r/{token}/privacy",
            data={"action": "consents", "consents": ["proximity"]},
            headers={"Origin": "null"},
        )
        alive = await client.get(f"/r/{token}/consents")
    assert by_origin.status_code == by_fetch.status_code == 403
    assert "This request does not come from your roadbook; nothing was changed." in by_origin.text
    assert own.status_code == no_referrer.status_code == 303
    assert alive.status_code == 200
