"""Roadbook benchmark: feed and page latency at a destination's full size, one uvicorn worker.

Creates its own database on the ``DATABASE_URL`` server (the embedded one when unset), migrates
it and builds, as the superuser (no row-level security in the way) with ``COPY`` and
``INSERT ... SELECT FROM generate_series``, a destination the size of Amnéville's over a season:

- 70 partners with 300 sites within 0.1 degree of Amnéville (49.26 N, 6.14 E);
- 20,000 catalogue items (``ITEMS``): 70 % places (one per site, the rest on their own) with
  opening hours in ``roadbook.content.hours.Schedule``'s JSON (daily, split, seasonal,
  weekdays, 24 h, Christmas closed, an out-of-date schedule), 20 % events with periods around
  today (some with dozens of dates, a third already over), 10 % tours with stops and a route;
  titles and summaries in 2-4 languages, descriptions, images, links, a source record, a few
  office overrides and publishing windows;
- 2,000 partner offers (``OFFERS``) in every review state (60 % approved), with schedules,
  targeting, caps and quotas, and ~16,000 redemption codes;
- 100,000 visitors (``VISITORS``) with stays over the last 60 days, their consent ledgers
  (proximity 95 %, personalisation ~70 %, a few withdrawals), 1,000,000 visits (``VISITS``)
  inside their stays, a history of exposures for the visitors staying now, and the
  co-visitation table computed by its real job (``roadbook.covisitation.job.compute``).

Then a seeded sample of ``SAMPLE`` visitors is put in known states, each kind in a fixed share
(consenting or not, at a site now or not, staying or not) and given a roadbook token through
``crm.core.credentials.issue`` (as ``crm.visitors.service`` issues them). The real app runs
under uvicorn, one worker, on 127.0.0.1, with the scratch database's ``DATABASE_URL`` (the
scheduler off, so that no job shares the worker; the roadbook rate limit off). One client
(``http.client``, keep-alive: a few tens of microseconds a request) sends, one at a time:

1. **cold**: the first roadbook request of the process (the catalogue loaded into the process's
   cache): ``cold_ms``;
2. a warm-up on visitors outside the sample;
3. ``REQUESTS`` requests of each of ``/r/{token}/feed.json``, ``/r/{token}`` and ``/healthz``
   (the trivial endpoint: the ratio's base), interleaved in a seeded order, each roadbook request
   for a visitor drawn from the sample (so a visitor's first request records its exposures, as
   in life).

Figures: p50 / p99 of each endpoint (``p50_ms``, ``p99_ms`` are the feed's), the server's CPU per
request, the host's load average (the box is shared) and the widget's gzipped size
(``roadbook.widget.asset.gzipped_size``). Ratio = feed p99 / trivial p99. Budget
(bench/README.md): p99 <= 30 ms, one worker.

Environment: ``BENCH_ROADBOOK_REQUESTS`` (default 2,000 per endpoint), ``BENCH_ROADBOOK_VISITORS``
(100,000), ``BENCH_ROADBOOK_ITEMS`` (20,000), ``BENCH_ROADBOOK_OFFERS`` (2,000),
``BENCH_ROADBOOK_VISITS`` (1,000,000);
``BENCH_ROADBOOK_DATABASE`` reuses a database an earlier run built and kept
(``BENCH_ROADBOOK_KEEP=1`` keeps it and prints its URL); ``BENCH_ROADBOOK_PROFILE=FILE.svg``
records the server with py-spy (``BENCH_PYSPY``: its path) during the measured requests.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import math
import os
import random
import signal
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from bench import create_database, drop_database, dsn
from bench import start_server as serve
from bench.report import report

VISITORS = int(os.environ.get("BENCH_ROADBOOK_VISITORS", "100000"))
ITEMS = int(os.environ.get("BENCH_ROADBOOK_ITEMS", "20000"))
OFFERS = int(os.environ.get("BENCH_ROADBOOK_OFFERS", "2000"))
VISITS = int(os.environ.get("BENCH_ROADBOOK_VISITS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_ROADBOOK_REQUESTS", "2000"))
REUSE = os.environ.get("BENCH_ROADBOOK_DATABASE", "")
KEEP = os.environ.get("BENCH_ROADBOOK_KEEP", "") == "1"
PROFILE = os.environ.get("BENCH_ROADBOOK_PROFILE", "")
PARTNERS = 70
SITES = 300
SAMPLE = 200
WARM_VISITORS = 20
WARM_REQUESTS = 60
HISTORY_DAYS = 60
CENTRE = (49.26, 6.14)
PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("fr", "en", "de", "nl")
WISHES = ("nature", "wellness", "family", "gastronomy", "culture", "nightlife", "sport", "shopping")
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The sample's kinds and their shares (they add up to SAMPLE).
KINDS = {
    "personal, at a site now": 80,
    "personal, staying, not at a site": 50,
    "editorial, at a site now": 30,
    "editorial, staying, not at a site": 20,
    "personal, stay over": 20,
}
assert sum(KINDS.values()) == SAMPLE


# --- the data ---------------------------------------------------------------------------------

_WORDS = {
    "fr": ("Le", "Jardin", "Musée", "Ferme", "Château", "Moulin", "Étang", "Auberge", "Atelier"),
    "en": ("The", "Garden", "Museum", "Farm", "Castle", "Mill", "Pond", "Inn", "Workshop"),
    "de": ("Der", "Garten", "Museum", "Hof", "Burg", "Mühle", "Teich", "Gasthof", "Werkstatt"),
    "nl": ("De", "Tuin", "Museum", "Boerderij", "Kasteel", "Molen", "Vijver", "Herberg", "Atelier"),
}
_PLACES = ("Amnéville", "Coulange", "Rombas", "Hagondange", "Moyeuvre", "Clouange", "Talange")
_SENTENCE = {
    "fr": "Un lieu à découvrir en famille ou entre amis, au cœur de la vallée de l'Orne. ",
    "en": "A place to discover with family or friends, in the heart of the Orne valley. ",
    "de": "Ein Ort für Familien und Freunde, mitten im Orne-Tal. ",
    "nl": "Een plek om te ontdekken met familie of vrienden, midden in het Orne-dal. ",
}


def _texts(rng: random.Random, languages: tuple[str, ...], n: int) -> dict[str, str]:
    """A name in each of ``languages`` (the same thing, translated word by word)."""
    noun = 1 + rng.randrange(len(_WORDS["fr"]) - 1)
    town = rng.choice(_PLACES)
    return {lang: f"{_WORDS[lang][noun]} {town} {n}" for lang in languages}


def _prose(rng: random.Random, languages: tuple[str, ...], sentences: int) -> dict[str, str]:
    return {lang: (_SENTENCE[lang] * rng.randint(1, sentences)).strip() for lang in languages}


def _rule(opens: str | None, closes: str | None, **more: Any) -> dict[str, Any]:
    rule: dict[str, Any] = dict(more)
    if opens:
        rule["opens"] = opens
    if closes:
        rule["closes"] = closes
    return rule


_CHRISTMAS = {"annual": True, "valid_from": "2000-12-25", "valid_through": "2000-12-25"}
_HOURS: tuple[dict[str, Any], ...] = (
    {},  # no hours known
    {"rules": [_rule("10:00", "18:00")]},
    {"rules": [_rule("11:30", "14:30"), _rule("18:30", "22:30")]},  # a restaurant
    {
        "rules": [
            _rule(
                "09:30", "18:30", annual=True, valid_from="2000-04-01", valid_through="2000-09-30"
            ),
            _rule(
                "10:00", "17:00", annual=True, valid_from="2000-10-01", valid_through="2000-03-31"
            ),
            {**_CHRISTMAS, "closed": True},
        ],
        "remark": {
            "fr": "Dernière entrée une heure avant la fermeture.",
            "en": "Last entry an hour before closing.",
        },
    },
    {"rules": [_rule("14:00", "19:00", days=["wed", "thu", "fri", "sat", "sun"])]},
    {"rules": [_rule("22:00", "03:00", days=["fri", "sat"])]},  # a night club
    {"rules": [{"days": list(WEEK)}]},  # a hotel's reception: every day, no times
    {
        "rules": [
            _rule("09:00", "12:00", days=["mon", "tue", "wed", "thu", "fri"]),
            _rule("14:00", "18:00", days=["mon", "tue", "wed", "thu", "fri"]),
            _rule("09:00", "12:00", days=["sat"]),
        ]
    },
    {"rules": [_rule("10:00", "22:00", valid_from="2022-04-01", valid_through="2022-10-31")]},
)


def _periods(rng: random.Random, today: date) -> list[dict[str, Any]]:
    """An event's dates: one stretch, a run of evenings, or dozens of single dates."""
    shape = rng.random()
    first = today + timedelta(days=rng.randint(-40, 60))
    if shape < 0.15:  # a season of dated shows
        days = sorted(
            {first + timedelta(days=rng.randint(0, 90)) for _ in range(rng.randint(10, 40))}
        )
        return [
            {
                "start": d.isoformat(),
                "end": d.isoformat(),
                "start_time": "20:30",
                "end_time": "22:30",
            }
            for d in days
        ]
    period: dict[str, Any] = {
        "start": first.isoformat(),
        "end": (first + timedelta(days=rng.choice((0, 0, 1, 2, 6, 13, 27)))).isoformat(),
    }
    if rng.random() < 0.7:
        period["start_time"] = rng.choice(("10:00", "14:00", "19:00", "20:30"))
        period["end_time"] = rng.choice(("12:00", "18:00", "23:00", "01:00"))
    if rng.random() < 0.3:
        period["days"] = rng.sample(WEEK, rng.randint(1, 3))
    return [period]


def _span(periods: list[dict[str, Any]]) -> tuple[date, date]:
    """First and last local dates of the periods (a slot past midnight adds a day), as
    ``roadbook.content.hours.span`` computes them."""
    starts = [date.fromisoformat(p["start"]) for p in periods]
    ends = [
        date.fromisoformat(p["end"])
        + timedelta(days=1 if p.get("start_time") or p.get("end_time") else 0)
        for p in periods
    ]
    return min(starts), max(ends)


def _near(rng: random.Random, spread: float = 0.1) -> tuple[float, float]:
    return (
        round(CENTRE[0] + rng.uniform(-spread, spread), 6),
        round(CENTRE[1] + rng.uniform(-spread, spread), 6),
    )


@dataclass
class Built:
    destination_id: uuid.UUID
    site_ids: list[uuid.UUID]
    item_ids: list[str]  # the roadbook's item ids ("place:<uuid>"...)
    offers: list[tuple[str, uuid.UUID]]  # the approved offers' roadbook ids and partners
    seconds: dict[str, float]


def _copy(
    conn: psycopg.Connection[Any],
    table: str,
    columns: tuple[str, ...],
    rows: Iterator[tuple[Any, ...]],
) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def build_places(
    conn: psycopg.Connection[Any], destination_id: uuid.UUID, rng: random.Random
) -> list[uuid.UUID]:
    """70 partners and their 300 sites; returns the site ids."""
    now = datetime.now(UTC)
    partners = [uuid.uuid4() for _ in range(PARTNERS)]
    _copy(
        conn,
        "partner",
        ("destination_id", "id", "slug", "name", "created_at"),
        ((destination_id, p, f"partner-{n}", f"Partner {n}", now) for n, p in enumerate(partners)),
    )
    kinds = ("venue", "venue", "venue", "restaurant", "hotel", "office")
    sites = [uuid.uuid4() for _ in range(SITES)]

    def site_rows() -> Iterator[tuple[Any, ...]]:
        for n, site in enumerate(sites):
            lat, lon = _near(rng)
            hours = {day: [["10:00", "18:00"]] for day in WEEK[: rng.randint(0, 7)]}
            yield (
                destination_id,
                site,
                partners[n % PARTNERS] if n % 10 else None,
                f"site-{n}",
                f"Site {n}",
                rng.choice(kinds),
                lat,
                lon,
                Jsonb(hours),
                Jsonb(rng.sample(WISHES, rng.randint(1, 2))),
                now,
            )

    _copy(
        conn,
        "site",
        (
            "destination_id",
            "id",
            "partner_id",
            "slug",
            "name",
            "kind",
            "latitude",
            "longitude",
            "opening_hours",
            "wishes",
            "created_at",
        ),
        site_rows(),
    )
    return sites


_ITEM_COLUMNS = (
    "destination_id", "id", "kind", "subtype", "slug", "uri", "title", "summary", "description",
    "latitude", "longitude", "address", "contact", "booking", "images", "wishes", "themes",
    "accessibility", "price", "labels", "opening_hours", "periods", "active_from", "active_until",
    "stops", "route", "length_m", "duration_min", "mode", "site_id", "source", "producer",
    "source_updated_on", "source_version", "raw", "overrides", "published", "published_from",
    "published_until", "created_at", "updated_at",
)  # fmt: skip


def build_items(
    conn: psycopg.Connection[Any],
    destination_id: uuid.UUID,
    sites: list[uuid.UUID],
    site_at: dict[uuid.UUID, tuple[float, float]],
    rng: random.Random,
) -> list[str]:
    """ITEMS catalogue items: 70 % places (the first SITES of them at a site), 20 % events,
    10 % tours; returns their roadbook ids."""
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    ids: list[str] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(ITEMS):
            roll = (n * 7919) % 100  # fixed shares, spread over the catalogue
            kind = "place" if roll < 70 else "event" if roll < 90 else "tour"
            item_id = uuid.uuid4()
            ids.append(f"{kind}:{item_id}")
            languages = ("fr", *rng.sample(LANGUAGES[1:], rng.choice((1, 1, 2, 3))))
            site = (
                sites[n] if n < len(sites) else (rng.choice(sites) if rng.random() < 0.2 else None)
            )
            lat, lon = site_at[site] if site else _near(rng)
            coordinates: tuple[float | None, float | None] = (lat, lon)
            if rng.random() < 0.03 and not site:
                coordinates = (None, None)  # no coordinates in the source
            title = _texts(rng, languages, n)
            summary = _prose(rng, languages, 2)
            description = _prose(rng, languages, 8) if rng.random() < 0.6 else {}
            hours: dict[str, Any] = {}
            periods: list[dict[str, Any]] = []
            active: tuple[date | None, date | None] = (None, None)
            stops: list[dict[str, Any]] = []
            route = length = duration = mode = None
            subtype = "leisure"
            if kind == "place":
                hours = rng.choice(_HOURS)
                subtype = rng.choice(
                    ("point_of_interest", "restaurant", "lodging", "site", "shop", "leisure")
                )
            elif kind == "event":
                periods = _periods(rng, today)
                active = _span(periods)
                subtype = rng.choice(("festival", "show", "exhibition", "market", "sport", "other"))
            else:
                points = [_near(rng, 0.03) for _ in range(rng.randint(3, 8))]
                stops = [
                    {"title": f"Stop {k}", "lat": p[0], "lon": p[1]} for k, p in enumerate(points)
                ]
                route = {"type": "LineString", "coordinates": [[p[1], p[0]] for p in points]}
                length, duration = rng.randint(1500, 25000), rng.randint(30, 300)
                mode = rng.choice(("foot", "bike", "car"))
                subtype = {"foot": "walk", "bike": "cycling", "car": "drive"}[mode]
            source = "datatourisme" if rng.random() < 0.85 else "office"
            uri = f"https://data.datatourisme.fr/13/{item_id}" if source == "datatourisme" else None
            overrides: dict[str, Any] = {}
            if rng.random() < 0.05:
                overrides = {
                    "title": {"fr": f"{title['fr']} (office)"},
                    "wishes": rng.sample(WISHES, 2),
                }
            window: tuple[datetime | None, datetime | None] = (None, None)
            if rng.random() < 0.03:
                window = (
                    now - timedelta(days=rng.randint(0, 20)),
                    now + timedelta(days=rng.randint(-5, 40)),
                )
            updated = now - timedelta(days=rng.uniform(0, 400))
            address = {
                "street": f"{n} rue du Parc",
                "postal_code": "57360",
                "locality": "Amnéville",
            }
            contact = (
                {"websites": [f"https://example.org/{kind}/{n}"]} if rng.random() < 0.5 else {}
            )
            image = {"url": f"https://images.example.org/{n}.jpg", "credit": "Office de tourisme"}
            images = [image] if rng.random() < 0.6 else []
            wishes = rng.sample(WISHES, rng.choice((1, 1, 2, 3)))
            needs = rng.sample(("wheelchair", "hearing", "visual", "pets"), rng.randint(0, 2))
            price = {"min": 5.0, "max": 25.0, "currency": "EUR", "free": False}
            imported = source == "datatourisme"
            producer = "Moselle Attractivité" if imported else None
            producer_day = (now - timedelta(days=rng.randint(1, 300))).date() if imported else None
            version = updated.isoformat()[:19] if imported else None
            raw = {"@id": uri, "rdfs:label": title, "rdfs:comment": summary}
            raw["hasDescription"] = description
            yield (
                destination_id, item_id, kind, subtype, f"{kind}-{n}", uri, Jsonb(title),
                Jsonb(summary), Jsonb(description), *coordinates, Jsonb(address), Jsonb(contact),
                Jsonb({}), Jsonb(images), Jsonb(wishes), Jsonb(["schema:TouristAttraction"]),
                Jsonb(needs), Jsonb(price if rng.random() < 0.4 else {}), Jsonb([]), Jsonb(hours),
                Jsonb(periods), active[0], active[1], Jsonb(stops),
                Jsonb(route) if route else None, length, duration, mode, site, source, producer,
                producer_day, version, Jsonb(raw) if imported else None, Jsonb(overrides),
                rng.random() < 0.97, window[0], window[1], updated, updated,
            )  # fmt: skip

    _copy(conn, "content_item", _ITEM_COLUMNS, rows())
    return ids


_OFFER_COLUMNS = (
    "destination_id", "id", "partner_id", "site_ids", "title", "summary", "image", "url",
    "valid_from", "valid_until", "schedule", "wishes", "with_children", "languages", "trigger",
    "cap_per_day", "cap_total", "cap_min_interval_min", "quota", "redemption_kind", "status",
    "boost", "created_at", "updated_at", "approved_at", "approved_by",
)  # fmt: skip
_OFFER_SCHEDULES: tuple[dict[str, Any] | None, ...] = (
    None,
    None,
    {"rules": [_rule("09:00", "19:00")]},
    {"rules": [_rule("17:00", "22:00", days=["fri", "sat"])]},
    {"rules": [_rule("10:00", "12:00", days=["mon", "tue", "wed", "thu", "fri"])]},
)


def build_offers(
    conn: psycopg.Connection[Any],
    destination_id: uuid.UUID,
    sites: list[uuid.UUID],
    rng: random.Random,
) -> list[tuple[str, uuid.UUID]]:
    """OFFERS partner offers in every review state (60 % approved), most of them valid around
    today; returns the approved ones' (roadbook id, partner)."""
    now = datetime.now(UTC)
    partners = [r[0] for r in conn.execute("SELECT id FROM partner ORDER BY slug")]
    sites_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    for site, partner in conn.execute(
        "SELECT id, partner_id FROM site WHERE partner_id IS NOT NULL"
    ):
        sites_of.setdefault(partner, []).append(site)
    approved: list[tuple[str, uuid.UUID]] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(OFFERS):
            offer_id = uuid.uuid4()
            partner = partners[n % len(partners)]
            own = sites_of.get(partner, [])
            site_ids = [str(s) for s in rng.sample(own, min(len(own), rng.randint(1, 2)))]
            languages = ("fr", *rng.sample(LANGUAGES[1:], rng.choice((1, 2, 3, 3))))
            status = rng.choice(("approved",) * 6 + ("draft", "submitted", "paused", "ended"))
            start = now - timedelta(days=rng.randint(0, 45))
            until = now + timedelta(days=rng.randint(-10, 60))
            if until <= start:
                until = start + timedelta(days=1)
            if status == "approved" and until > now:
                approved.append((f"offer:{offer_id}", partner))
            yield (
                destination_id, offer_id, partner, Jsonb(site_ids if rng.random() < 0.6 else []),
                Jsonb({lang: f"-15 % {_WORDS[lang][1 + n % 8]} {n}" for lang in languages}),
                Jsonb(_prose(rng, languages, 2)),
                Jsonb({"url": f"https://images.example.org/offer-{n}.jpg", "credit": "Partner"})
                if rng.random() < 0.5 else None,
                f"https://partner.example.org/offers/{n}" if rng.random() < 0.5 else None,
                start, until, Jsonb(s) if (s := rng.choice(_OFFER_SCHEDULES)) else None,
                Jsonb(rng.sample(WISHES, rng.choice((0, 1, 1, 2)))),
                rng.choice((None, None, True, False)),
                Jsonb([] if rng.random() < 0.8 else list(languages)),
                rng.choice(("anywhere", "anywhere", "nearby", "at_site")),
                rng.choice((None, 1, 2)), rng.choice((None, 3, 5)), rng.choice((None, 60, 240)),
                rng.choice((None, None, 50, 200, 1000)), rng.choice(("code", "qr", "screen")),
                status, rng.choice((0.0, 0.0, 0.2, 0.5)), start, start,
                start if status in ("approved", "paused", "ended") else None,
                "office@bench.example" if status in ("approved", "paused", "ended") else None,
            )  # fmt: skip

    _copy(conn, "offer", _OFFER_COLUMNS, rows())
    return approved


def build_people(
    conn: psycopg.Connection[Any],
    destination_id: uuid.UUID,
    item_ids: list[str],
    offers: list[tuple[str, uuid.UUID]],
) -> None:
    """VISITORS visitors, their consents, VISITS visits within their stays, recent exposures
    (catalogue items and offers), redemption codes of the approved offers."""
    d = {"d": destination_id, "visitors": VISITORS, "visits": VISITS, "days": HISTORY_DAYS}
    wishes = "ARRAY[" + ", ".join(f"'{w}'" for w in WISHES) + "]"
    # FK checks are skipped for the bulk rows (they hold by construction): a superuser's
    # session_replication_role; the indexes are maintained as usual.
    conn.execute("SET session_replication_role = replica")
    conn.execute("SET synchronous_commit = off")
    conn.execute(
        f"""
        INSERT INTO visitor (destination_id, id, language, wishes, stay_start, stay_end, adults,
                             children, accessibility, created_at, last_action_at)
        SELECT %(d)s, gen_random_uuid(), lang, w, s, s + len, 1 + (r * 3)::int,
               CASE WHEN r < 0.4 THEN (r * 7)::int ELSE 0 END,
               CASE WHEN r > 0.97 THEN '["wheelchair"]'::jsonb ELSE '[]'::jsonb END,
               s - interval '10 days' * r, s - interval '10 days' * r
        FROM (
            SELECT i, random() AS r,
                   (ARRAY['fr','fr','fr','fr','de','de','nl','nl','en','en'])
                       [1 + (i * 7) %% 10] AS lang,
                   (SELECT coalesce(jsonb_agg(x), '[]') FROM unnest({wishes}) x
                    WHERE random() < 0.22 + 0 * i) AS w,
                   current_date - (random() * %(days)s)::int AS s,
                   (random() * 6)::int AS len
            FROM generate_series(1, %(visitors)s) i
        ) g""",
        d,
    )
    conn.execute(
        "CREATE TEMP TABLE bv AS SELECT (row_number() OVER (ORDER BY id))::int - 1 AS n, id,"
        " stay_start, stay_end, created_at FROM visitor WHERE destination_id = %(d)s",
        d,
    )
    conn.execute(
        "CREATE TEMP TABLE bs AS SELECT (row_number() OVER (ORDER BY slug))::int - 1 AS n, id"
        " FROM site WHERE destination_id = %(d)s",
        d,
    )
    conn.execute("CREATE INDEX ON bv (n); CREATE INDEX ON bs (n); ANALYZE bv; ANALYZE bs")
    # The consent ledger: proximity 95 %, personalisation 70 % (3 % of them withdrawn a day
    # later), marketing 25 %.
    conn.execute(
        """
        INSERT INTO consent (destination_id, id, visitor_id, scope, granted, notice_version, at, by)
        SELECT %(d)s, gen_random_uuid(), v.id, scope, true, '2026-11', v.created_at, 'visitor'
        FROM bv v, LATERAL (VALUES ('proximity', 0.95), ('personalisation', 0.70),
                                   ('marketing', 0.25)) AS s(scope, share)
        WHERE random() < s.share + 0 * v.n""",
        d,
    )
    conn.execute(
        """
        INSERT INTO consent (destination_id, id, visitor_id, scope, granted, notice_version, at, by)
        SELECT %(d)s, gen_random_uuid(), visitor_id, scope, false, '2026-11',
               at + interval '1 day', 'visitor'
        FROM consent WHERE destination_id = %(d)s AND scope = 'personalisation'
          AND random() < 0.03""",
        d,
    )
    # Visits inside each visitor's stay (before now), popular sites more often (the zoo and the
    # baths see far more visitors than a shop), 5 min to 2 h each, closed.
    conn.execute(
        """
        INSERT INTO visit (destination_id, id, visitor_id, site_id, first_seen_at, last_seen_at,
                           dwell_s, closed_at)
        SELECT %(d)s, gen_random_uuid(), v.id, s.id, t.first, t.first + t.dwell * interval '1 s',
               t.dwell, t.first + t.dwell * interval '1 s'
        FROM (
            SELECT (random() * (%(visitors)s - 1))::int AS vn,
                   (power(random(), 2) * 299)::int AS sn,
                   random() AS day_r, random() AS hour_r, 300 + (random() * 7200)::int AS dwell
            FROM generate_series(1, %(visits)s)
        ) g
        JOIN bv v ON v.n = g.vn
        JOIN bs s ON s.n = g.sn
        CROSS JOIN LATERAL (
            SELECT least(
                (v.stay_start
                 + (g.day_r * (least(v.stay_end, current_date) - v.stay_start + 1))::int
                 - CASE WHEN g.day_r = 1 THEN 1 ELSE 0 END)::timestamp AT TIME ZONE 'Europe/Paris'
                + interval '9 hours' + g.hour_r * interval '12 hours',
                now() - interval '3 hours' - g.hour_r * interval '1 day'
            ) AS first, g.dwell
        ) t""",
        d,
    )
    # Exposures: what the roadbook showed the visitors staying now over the last two days.
    conn.execute(
        "CREATE TEMP TABLE bi AS SELECT (n - 1)::int AS n, id"
        " FROM unnest(%s::text[]) WITH ORDINALITY AS u(id, n)",
        (item_ids,),
    )
    conn.execute("CREATE INDEX ON bi (n); ANALYZE bi")
    conn.execute(
        """
        INSERT INTO exposure (destination_id, visitor_id, item_id, kind, section, partner_id,
                              commercial, shown_at)
        SELECT %(d)s, v.id, i.id, split_part(i.id, ':', 1), 'today', NULL, false,
               now() - interval '2 days' * g.r
        FROM bv v
        CROSS JOIN LATERAL (SELECT random() + 0 * v.n AS r, (random() * (%(items)s - 1))::int AS k
                            FROM generate_series(1, 20)) g
        JOIN bi i ON i.n = g.k
        WHERE v.stay_end >= current_date - 2""",
        {**d, "items": len(item_ids)},
    )
    if offers:
        conn.execute(
            "CREATE TEMP TABLE bo AS SELECT (n - 1)::int AS n, substr(id, 7)::uuid AS id, partner"
            " FROM unnest(%s::text[], %s::uuid[]) WITH ORDINALITY AS u(id, partner, n)",
            ([o[0] for o in offers], [o[1] for o in offers]),
        )
        conn.execute("CREATE INDEX ON bo (n); ANALYZE bo")
        conn.execute(
            """
            INSERT INTO exposure (destination_id, visitor_id, item_id, kind, section, partner_id,
                                  commercial, shown_at)
            SELECT %(d)s, v.id, 'offer:' || o.id, 'offer', 'now', o.partner, true,
                   now() - interval '2 days' * g.r
            FROM bv v
            CROSS JOIN LATERAL (SELECT random() + 0 * v.n AS r,
                                       (random() * (%(offers)s - 1))::int AS k
                                FROM generate_series(1, 5)) g
            JOIN bo o ON o.n = g.k
            WHERE v.stay_end >= current_date - 2""",
            {**d, "offers": len(offers)},
        )
        # Redemption codes: up to 30 visitors per approved offer, 60 % of them redeemed.
        conn.execute(
            """
            INSERT INTO redemption (destination_id, offer_id, visitor_id, code, issued_at,
                                    redeemed_at, redeemed_by)
            SELECT %(d)s, o.id, v.id,
                   upper(substr(md5(o.id::text || g.k::text || random()::text), 1, 8)),
                   now() - interval '10 days' * g.r,
                   CASE WHEN g.r < 0.6 THEN now() - interval '5 days' * g.r END,
                   CASE WHEN g.r < 0.6 THEN 'till' END
            FROM bo o
            CROSS JOIN LATERAL (SELECT k, random() AS r,
                                       (random() * (%(visitors)s - 1))::int + 0 * o.n AS vn
                                FROM generate_series(1, (random() * 30)::int + 0 * o.n) k) g
            JOIN bv v ON v.n = g.vn
            ON CONFLICT DO NOTHING""",
            d,
        )
    conn.execute("SET session_replication_role = DEFAULT")


def build(url: str) -> Built:
    """The whole destination; the seconds each step took."""
    rng = random.Random(2026)
    seconds: dict[str, float] = {}
    destination_id = uuid.uuid4()
    with psycopg.connect(dsn(url)) as conn:
        start = time.perf_counter()
        conn.execute(
            "INSERT INTO destination (id, slug, name, timezone, default_language, created_at,"
            " embed_origins) VALUES (%s, 'bench', 'Amnéville (bench)', 'Europe/Paris', 'fr', now(),"
            " '[]')",
            (destination_id,),
        )
        sites = build_places(conn, destination_id, rng)
        site_at = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                "SELECT id, latitude, longitude FROM site WHERE destination_id = %s",
                (destination_id,),
            )
        }
        item_ids = build_items(conn, destination_id, sites, site_at, rng)
        seconds["catalogue"] = time.perf_counter() - start
        start = time.perf_counter()
        offers = build_offers(conn, destination_id, sites, rng)
        seconds["offers"] = time.perf_counter() - start
        conn.commit()
        start = time.perf_counter()
        build_people(conn, destination_id, item_ids, offers)
        conn.commit()
        seconds["people"] = time.perf_counter() - start
    start = time.perf_counter()
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        # a live database has been vacuumed and analysed by autovacuum
        conn.execute("VACUUM (ANALYZE)")
    seconds["vacuum"] = time.perf_counter() - start
    start = time.perf_counter()
    asyncio.run(_covisitation(url, destination_id))
    seconds["covisitation"] = time.perf_counter() - start
    return Built(destination_id, sites, item_ids, offers, seconds)


async def _covisitation(url: str, destination_id: uuid.UUID) -> None:
    from crm.core.db import Database
    from crm.main import install
    from roadbook.covisitation.job import compute

    install()
    db = Database(url)
    async with db.session(system=True) as session:
        await compute(session, destination_id, datetime.now(UTC))
        await session.commit()
    await db.dispose()


def load_built(url: str) -> Built:
    """The ids a kept database holds (``BENCH_ROADBOOK_DATABASE``)."""
    with psycopg.connect(dsn(url)) as conn:
        (destination_id,) = conn.execute(
            "SELECT id FROM destination WHERE slug = 'bench'"
        ).fetchone() or (None,)
        sites = [r[0] for r in conn.execute("SELECT id FROM site ORDER BY slug")]
        items = [
            f"{r[0]}:{r[1]}"
            for r in conn.execute("SELECT kind, id FROM content_item ORDER BY slug")
        ]
        offers = [
            (f"offer:{r[0]}", r[1])
            for r in conn.execute(
                "SELECT id, partner_id FROM offer WHERE status = 'approved' AND valid_until > now()"
            )
        ]
    return Built(destination_id, sites, items, offers, {})


# --- the sample --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    token: str
    kind: str


def prepare_sample(url: str, built: Built) -> tuple[list[Reader], list[Reader]]:
    """Put SAMPLE + WARM_VISITORS seeded visitors in their kind's state; their tokens."""
    rng = random.Random(7)
    with psycopg.connect(dsn(url)) as conn:
        everyone = [r[0] for r in conn.execute("SELECT id FROM visitor ORDER BY id")]
        chosen = rng.sample(everyone, SAMPLE + WARM_VISITORS)
        kinds = [kind for kind, count in KINDS.items() for _ in range(count)]
        kinds += [rng.choice(list(KINDS)) for _ in range(WARM_VISITORS)]
        today = datetime.now(PARIS).date()
        popular = built.site_ids[:30]
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "DELETE FROM consent WHERE visitor_id = ANY(%s) AND scope = 'personalisation'",
            (chosen,),
        )
        conn.execute(
            "DELETE FROM visit WHERE visitor_id = ANY(%s)"
            " AND last_seen_at > now() - interval '1 day'",
            (chosen,),
        )
        conn.execute("DELETE FROM exposure WHERE visitor_id = ANY(%s)", (chosen,))
        conn.execute("DELETE FROM redemption WHERE visitor_id = ANY(%s)", (chosen,))
        for visitor, kind in zip(chosen, kinds, strict=True):
            staying = "stay over" not in kind
            start = (
                today - timedelta(days=rng.randint(0, 2)) if staying else today - timedelta(days=9)
            )
            end = (
                today + timedelta(days=rng.randint(1, 4)) if staying else today - timedelta(days=5)
            )
            conn.execute(
                "UPDATE visitor SET stay_start = %s, stay_end = %s, wishes = %s, children = %s"
                " WHERE id = %s",
                (
                    start,
                    end,
                    Jsonb(rng.sample(WISHES, rng.randint(1, 3))),
                    rng.choice((0, 0, 2)),
                    visitor,
                ),
            )
            if kind.startswith("personal"):
                conn.execute(
                    "INSERT INTO consent (destination_id, id, visitor_id, scope, granted,"
                    " notice_version, at, by) VALUES (%s, %s, %s, 'personalisation', true,"
                    " '2026-11', now() - interval '2 days', 'visitor')",
                    (built.destination_id, uuid.uuid4(), visitor),
                )
            elif rng.random() < 0.5:  # given, then withdrawn
                for granted, ago in ((True, "3 days"), (False, "1 day")):
                    conn.execute(
                        "INSERT INTO consent (destination_id, id, visitor_id, scope, granted,"
                        " notice_version, at, by) VALUES (%s, %s, %s, 'personalisation', %s,"
                        f" '2026-11', now() - interval '{ago}', 'visitor')",
                        (built.destination_id, uuid.uuid4(), visitor, granted),
                    )
            if staying:
                # earlier today at another site, closed; and now at a site when "at a site now"
                conn.execute(
                    "INSERT INTO visit (destination_id, id, visitor_id, site_id, first_seen_at,"
                    " last_seen_at, dwell_s, closed_at) VALUES (%s, %s, %s, %s,"
                    " now() - interval '3 hours', now() - interval '2 hours', 3600,"
                    " now() - interval '2 hours')",
                    (built.destination_id, uuid.uuid4(), visitor, rng.choice(popular)),
                )
            if "at a site now" in kind:
                conn.execute(
                    "INSERT INTO visit (destination_id, id, visitor_id, site_id, first_seen_at,"
                    " last_seen_at, dwell_s, closed_at) VALUES (%s, %s, %s, %s,"
                    " now() - interval '20 minutes', now() - interval '30 seconds', 1170, NULL)",
                    (built.destination_id, uuid.uuid4(), visitor, rng.choice(popular)),
                )
            for item, partner in rng.sample(built.offers, min(3, len(built.offers))):
                conn.execute(
                    "INSERT INTO exposure (destination_id, visitor_id, item_id, kind, section,"
                    " partner_id, commercial, shown_at) VALUES (%s, %s, %s, 'offer', 'now', %s,"
                    " true, now() - %s * interval '1 hour')",
                    (built.destination_id, visitor, item, partner, rng.uniform(11, 58)),
                )
            shown = rng.sample(built.item_ids, 15)
            for item in shown:
                conn.execute(
                    "INSERT INTO exposure (destination_id, visitor_id, item_id, kind, section,"
                    " commercial, shown_at) VALUES (%s, %s, %s, %s, 'today', false,"
                    " now() - %s * interval '1 hour')",
                    (built.destination_id, visitor, item, item.split(":")[0], rng.uniform(11, 58)),
                )
        conn.commit()
    tokens = asyncio.run(_tokens(url, built.destination_id, chosen))
    readers = [Reader(token, kind) for token, kind in zip(tokens, kinds, strict=True)]
    return readers[:SAMPLE], readers[SAMPLE:]


async def _tokens(url: str, destination_id: uuid.UUID, visitors: list[uuid.UUID]) -> list[str]:
    """A roadbook token each, issued as enrolment issues them."""
    from crm.core import credentials
    from crm.core.db import Database
    from crm.main import install

    install()
    db = Database(url)
    async with db.session(system=True) as session:
        tokens = [
            await credentials.issue(session, "roadbook", str(v), destination_id) for v in visitors
        ]
        await session.commit()
    await db.dispose()
    return tokens


# --- the server and the client ------------------------------------------------------------------


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    """One uvicorn worker as deployed (uvloop, httptools), the scheduler and the roadbook's rate
    limit off: nothing but the measured requests runs in it."""
    settings = {
        "BALISE_SCHEDULER_ENABLED": "false",
        "BALISE_RATELIMIT_ROADBOOK_PER_S": "0",
        "BALISE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    return serve(url, port, settings, fast=True)


def _spread(groups: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """p50, p99 (milliseconds) and count of each non-empty group of timings (seconds)."""
    return {
        name: {
            "p50": round(statistics.median(t) * 1000, 1),
            "p99": round(percentile(t, 99) * 1000, 1),
            "n": len(t),
        }
        for name, t in groups.items()
        if t
    }


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_s() -> float:
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres":
                fields = stat[stat.rindex(")") + 2 :].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Client:
    """One keep-alive HTTP/1.1 connection; each GET timed from send to the body's last byte."""

    def __init__(self, port: int, server_pid: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.pid = server_pid
        self.headers = {"Host": f"127.0.0.1:{port}", "Accept-Language": "fr"}

    def get(self, path: str) -> tuple[float, float, int]:
        """(seconds, server CPU seconds meanwhile, body bytes); refuses anything but a 200."""
        cpu = _cpu_s(self.pid)
        start = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"GET {path[:12]}... answered {response.status}: {body[:300]!r}")
        return elapsed, _cpu_s(self.pid) - cpu, len(body)


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def widget_gz_bytes() -> int | None:
    """The widget's gzipped size through its own function, else widget.js gzipped here."""
    try:
        from roadbook.widget.asset import gzipped_size
    except ImportError:
        script = ROOT / "roadbook" / "widget" / "widget.js"
        return len(gzip.compress(script.read_bytes(), 9, mtime=0)) if script.exists() else None
    return gzipped_size()


ENDPOINTS = ("feed", "page", "trivial")
TABLES: tuple[str, ...] = ("partner", "site", "content_item", "offer", "redemption")
TABLES += ("visitor", "consent", "visit", "exposure")


def measure(port: int, pid: int, readers: list[Reader], warm: list[Reader]) -> dict[str, Any]:
    client = Client(port, pid)
    rng = random.Random(11)
    paths: dict[str, Callable[[Reader], str]] = {
        "feed": lambda r: f"/r/{r.token}/feed.json",
        "page": lambda r: f"/r/{r.token}",
        "trivial": lambda r: "/healthz",
    }
    cold_s, _, _ = client.get(paths["feed"](warm[0]))
    for n in range(WARM_REQUESTS):
        for endpoint in ENDPOINTS:
            client.get(paths[endpoint](warm[n % len(warm)]))
    order = [(endpoint, rng.choice(readers)) for _ in range(REQUESTS) for endpoint in ENDPOINTS]
    rng.shuffle(order)
    times: dict[str, list[float]] = {e: [] for e in ENDPOINTS}
    cpu: dict[str, float] = dict.fromkeys(ENDPOINTS, 0.0)
    sizes: dict[str, list[int]] = {e: [] for e in ENDPOINTS}
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    profiler = None
    if PROFILE:
        spy = os.environ.get("BENCH_PYSPY", "py-spy")
        kind = "flamegraph" if PROFILE.endswith(".svg") else "raw"
        options = ["-o", PROFILE, "-f", kind, "--pid", str(pid), "--rate", "100", "--nonblocking"]
        options.append("--threads")  # the event loop's thread apart from worker threads
        profiler = subprocess.Popen([spy, "record", *options])
        time.sleep(1)
    load_before = os.getloadavg()
    pg_before = _postgres_cpu_s()
    start = time.perf_counter()
    slowest: list[tuple[float, float, str]] = []  # (ms, seconds into the run, endpoint)
    # A visitor's first roadbook request (feed or page) records what it shows and issues the
    # offers' codes; the later ones, within the showing window, only read.
    seen: set[str] = set()
    first_or_later: dict[str, list[float]] = {"first": [], "later": []}
    for endpoint, reader in order:
        elapsed, server_cpu, size = client.get(paths[endpoint](reader))
        slowest.append((elapsed * 1000, time.perf_counter() - start, endpoint))
        times[endpoint].append(elapsed)
        if endpoint != "trivial":
            first_or_later["later" if reader.token in seen else "first"].append(elapsed)
            seen.add(reader.token)
        cpu[endpoint] += server_cpu
        sizes[endpoint].append(size)
        if endpoint == "feed":
            by_kind[reader.kind].append(elapsed)
    wall = time.perf_counter() - start
    pg_cpu = _postgres_cpu_s() - pg_before
    load_after = os.getloadavg()
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its file on an interrupt
        profiler.wait(timeout=120)
    return {
        "slowest": sorted(slowest, reverse=True)[:10],
        "first_or_later": first_or_later,
        "cold_s": cold_s,
        "times": times,
        "cpu": cpu,
        "sizes": sizes,
        "by_kind": by_kind,
        "wall_s": wall,
        "postgres_cpu_s": pg_cpu,
        "load": (load_before, load_after),
    }


def main() -> None:
    url = REUSE or create_database("balise_bench_roadbook")
    proc: subprocess.Popen[bytes] | None = None
    try:
        start = time.perf_counter()
        built = load_built(url) if REUSE else build(url)
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        readers, warm = prepare_sample(url, built)
        sample_s = time.perf_counter() - start
        with psycopg.connect(dsn(url)) as conn:
            counts = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
                for table in TABLES
            }
        port = 18000 + random.randrange(1000)
        proc = start_server(url, port)
        result = measure(port, proc.pid, readers, warm)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if KEEP or REUSE:
            print(f"kept the database: BENCH_ROADBOOK_DATABASE={url}")
        else:
            drop_database(url)
    ms = {e: [t * 1000 for t in result["times"][e]] for e in ENDPOINTS}
    figures: dict[str, Any] = {
        "p50_ms": round(statistics.median(ms["feed"]), 2),
        "p99_ms": round(percentile(ms["feed"], 99), 2),
        "page_p50_ms": round(statistics.median(ms["page"]), 2),
        "page_p99_ms": round(percentile(ms["page"], 99), 2),
        "trivial_p50_ms": round(statistics.median(ms["trivial"]), 2),
        "trivial_p99_ms": round(percentile(ms["trivial"], 99), 2),
        "cold_ms": round(result["cold_s"] * 1000, 1),
        "max_ms": round(max(ms["feed"]), 1),
        "page_max_ms": round(max(ms["page"]), 1),
    }
    widget = widget_gz_bytes()
    if widget is not None:
        figures["widget_gz_bytes"] = widget
    figures |= {
        "requests_per_endpoint": REQUESTS,
        "server_cpu_ms": {e: round(result["cpu"][e] * 1000 / REQUESTS, 2) for e in ENDPOINTS},
        "postgres_cpu_ms_per_request": round(result["postgres_cpu_s"] * 1000 / (REQUESTS * 3), 2),
        "body_bytes_median": {e: int(statistics.median(result["sizes"][e])) for e in ENDPOINTS},
        "feed_by_kind_ms": _spread(result["by_kind"]),
        "roadbook_by_visit_ms": _spread(result["first_or_later"]),
        "over_100_ms": {e: sum(t > 100 for t in ms[e]) for e in ENDPOINTS},
        "load_average_1min": [round(result["load"][0][0], 2), round(result["load"][1][0], 2)],
        "cpu_count": os.cpu_count(),
        "rows": counts,
        "offers_approved_live": len(built.offers),
        "build_s": round(build_s, 1),
        "build_steps_s": {k: round(v, 1) for k, v in built.seconds.items()},
        "sample_s": round(sample_s, 1),
        "measured_wall_s": round(result["wall_s"], 1),
        # the ten slowest requests: milliseconds, seconds into the run (the catalogue cache's TTL
        # shows as one slow request a minute), endpoint
        "slowest": [[round(ms), round(at, 1), e] for ms, at, e in result["slowest"]],
    }
    ratio = figures["p99_ms"] / figures["trivial_p99_ms"]
    load = f"{figures['load_average_1min'][0]:.2f} -> {figures['load_average_1min'][1]:.2f}"
    rows = [
        ("feed.json p50", f"{figures['p50_ms']:.1f} ms", f"{REQUESTS} requests, {SAMPLE} visitors"),
        ("feed.json p99", f"{figures['p99_ms']:.1f} ms", f"max {figures['max_ms']:.0f} ms"),
        ("page p50", f"{figures['page_p50_ms']:.1f} ms", "/r/{token}"),
        ("page p99", f"{figures['page_p99_ms']:.1f} ms", f"max {figures['page_max_ms']:.0f} ms"),
        ("trivial p50", f"{figures['trivial_p50_ms']:.2f} ms", "/healthz, same run"),
        ("trivial p99", f"{figures['trivial_p99_ms']:.2f} ms", "the ratio's base"),
        ("cold first request", f"{figures['cold_ms']:.0f} ms", "catalogue loaded into the cache"),
        (
            "server CPU per request",
            " / ".join(f"{figures['server_cpu_ms'][e]:.1f}" for e in ENDPOINTS) + " ms",
            "feed / page / trivial",
        ),
        (
            "PostgreSQL CPU per request",
            f"{figures['postgres_cpu_ms_per_request']:.1f} ms",
            "all endpoints",
        ),
        ("widget.js gzipped", f"{widget} B" if widget is not None else "n/a", "budget <= 15 KB"),
        (
            "data build",
            f"{figures['build_s']:.0f} s",
            ", ".join(f"{k} {v:.0f} s" for k, v in figures["build_steps_s"].items()),
        ),
        ("host load average (1 min)", load, f"{os.cpu_count()} cores, before -> after"),
    ]
    for which, values in figures["roadbook_by_visit_ms"].items():
        note = "records exposures, issues codes" if which == "first" else "reads only"
        figure = f"{values['p50']:.1f} / {values['p99']:.1f} ms"
        rows.append(
            (f"feed + page, a visitor's {which} request", figure, f"{note}, n={values['n']}")
        )
    over = figures["over_100_ms"]
    rows.append(
        (
            "over 100 ms",
            f"{over['feed']} / {over['page']} / {over['trivial']}",
            "feed / page / trivial",
        )
    )
    for kind, values in figures["feed_by_kind_ms"].items():
        rows.append(
            (
                f"  feed, {kind}",
                f"{values['p50']:.1f} / {values['p99']:.1f} ms",
                f"p50 / p99, n={values['n']}",
            )
        )
    report("roadbook", rows, figures, ratio, "p99 <= 30 ms, one worker")


if __name__ == "__main__":
    main()
