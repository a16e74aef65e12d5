"""The DATAtourisme import into PostgreSQL: idempotent, incremental, edits kept, skips named."""

from __future__ import annotations

import json
import random
import shutil
import uuid
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlmodel import col

from crm.core.db import Database
from crm.destinations import service as destinations
from roadbook.content.catalogue import effective, find_item, happening, item_json, open_at
from roadbook.content.flux import Found, Source, Unreadable
from roadbook.content.importer import Summary, import_objects
from roadbook.content.models import ContentItem

FIXTURES = Path(__file__).parent / "fixtures" / "datatourisme"
NAMES = ["pompidou", "old-flux-restaurant", "festival", "cycling-tour"]
PARIS = ZoneInfo("Europe/Paris")


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


def write_flux(root: Path, objects: Iterable[dict[str, Any]], extra: Iterable[str] = ()) -> Path:
    """A flux folder as DATAtourisme ships it: index.json and objects/<a>/<bb>/<n>-<id>.json."""
    index = []
    for n, obj in enumerate(objects):
        file = f"objects/{n % 10}/{n % 100:02d}/{n}-{uuid.uuid4()}.json"
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        # escaped where UTF-8 cannot hold it (lone surrogates), as a flux file would be
        try:
            (root / file).write_bytes(json.dumps(obj, ensure_ascii=False).encode())
        except UnicodeEncodeError:
            (root / file).write_text(json.dumps(obj))
        index.append(
            {
                "label": "x",
                "lastUpdateDatatourisme": obj.get("lastUpdateDatatourisme"),
                "file": file,
            }
        )
    index += [{"label": "broken", "file": file} for file in extra]
    (root / "index.json").write_text(json.dumps(index))
    return root


async def new_destination(db: Database, slug: str | None = None) -> uuid.UUID:
    async with db.session(system=True) as session:
        found = await destinations.create_destination(
            session, slug or f"dt-{uuid.uuid4().hex[:8]}", "Import town"
        )
        await session.commit()
        return found.id


async def run_import(db: Database, destination_id: uuid.UUID, path: Path, **kw: Any) -> Summary:
    source = Source(path)
    try:
        return await import_objects(db, destination_id, source.objects(), **kw)
    finally:
        source.close()


async def items(db: Database, destination_id: uuid.UUID) -> dict[str, ContentItem]:
    async with db.session(destination_id) as session:
        found = (await session.execute(select(ContentItem))).scalars().all()
    return {item.slug.rsplit("-", 1)[0]: item for item in found}


async def test_flux_folder_then_reimport_changes_nothing(db: Database, tmp_path: Path) -> None:
    destination_id = await new_destination(db)
    flux = write_flux(tmp_path, [fixture(name) for name in NAMES])
    first = await run_import(db, destination_id, flux, batch=3)
    assert first.as_json() == {"created": 4, "updated": 0, "unchanged": 0, "skipped": []}
    before = await items(db, destination_id)
    assert set(before) == {
        "centre-pompidou",
        "la-table-du-lac",
        "festival-des-mirabelles",
        "boucle-des-etangs",
    }
    again = await run_import(db, destination_id, flux, batch=3)
    assert again.as_json() == {"created": 0, "updated": 0, "unchanged": 4, "skipped": []}
    after = await items(db, destination_id)
    assert {k: v.updated_at for k, v in after.items()} == {
        k: v.updated_at for k, v in before.items()
    }
    pompidou = after["centre-pompidou"]
    assert pompidou.raw == fixture("pompidou")  # verbatim
    assert pompidou.source == "datatourisme" and pompidou.overrides == {}


async def test_upstream_change_updates_that_item_and_keeps_office_edits(
    db: Database, tmp_path: Path
) -> None:
    destination_id = await new_destination(db)
    await run_import(db, destination_id, write_flux(tmp_path / "v1", [fixture(n) for n in NAMES]))
    before = await items(db, destination_id)
    edits = {"title": {"de": "Pompidou-Zentrum", "fr": "Le Centre Pompidou"}, "wishes": ["family"]}
    async with db.session(destination_id) as session:
        await session.execute(
            update(ContentItem)
            .where(col(ContentItem.id) == before["centre-pompidou"].id)
            .values(overrides=edits)
        )
        await session.commit()
    changed = fixture("pompidou")
    changed["lastUpdateDatatourisme"] = "2023-01-05T05:00:00.000Z"
    changed["rdfs:label"] = {"fr": ["Centre Georges Pompidou"], "en": ["Pompidou Centre"]}
    # the same object under the old domain: the same item
    changed["@id"] = changed["@id"].replace("data.datatourisme.fr", "data.datatourisme.gouv.fr")
    objects = [changed, *[fixture(n) for n in NAMES[1:]]]
    summary = await run_import(db, destination_id, write_flux(tmp_path / "v2", objects))
    assert summary.as_json() == {"created": 0, "updated": 1, "unchanged": 3, "skipped": []}
    after = await items(db, destination_id)
    pompidou = after["centre-pompidou"]  # the slug stays
    assert pompidou.id == before["centre-pompidou"].id
    assert pompidou.title == {"fr": "Centre Georges Pompidou", "en": "Pompidou Centre"}
    assert pompidou.overrides == edits
    assert effective(pompidou)["title"] == {
        "fr": "Le Centre Pompidou",
        "en": "Pompidou Centre",
        "de": "Pompidou-Zentrum",
    }
    assert effective(pompidou)["wishes"] == ["family"]
    assert pompidou.updated_at > before["centre-pompidou"].updated_at
    for name in ("la-table-du-lac", "festival-des-mirabelles", "boucle-des-etangs"):
        assert after[name].updated_at == before[name].updated_at


async def test_bad_records_are_skipped_with_file_or_uri(db: Database, tmp_path: Path) -> None:
    destination_id = await new_destination(db)
    flux = write_flux(
        tmp_path,
        [
            fixture("pompidou"),
            {"rdfs:label": {"fr": ["Sans identifiant"]}},
            {"@id": "https://data.datatourisme.fr/1/nolabel", "rdfs:label": {}},
            {**fixture("festival"), "rdfs:label": {"fr": ["Zéro \u0000 octet"]}},
        ],
        extra=["objects/9/99/missing.json"],
    )
    (flux / "objects/0/00/broken.json").write_text('{"@id": "https://data.datatourisme.fr/1/b"')
    index = json.loads((flux / "index.json").read_text())
    index.append({"file": "objects/0/00/broken.json"})
    index.append({"label": "no file"})
    (flux / "index.json").write_text(json.dumps(index))
    summary = await run_import(db, destination_id, flux)
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    reasons = {(s.get("file") or s.get("uri"), s["reason"]) for s in summary.skipped}
    no_id_file = index[1]["file"]
    assert reasons == {
        (no_id_file, "no @id"),
        ("https://data.datatourisme.fr/1/nolabel", "no label"),
        ("objects/9/99/missing.json", "cannot read: No such file or directory"),
        ("objects/0/00/broken.json", "broken JSON"),
        ("index.json[6]", "index entry without a file"),
    }
    festival = (await items(db, destination_id))["zero-octet"]
    assert festival.title == {"fr": "Zéro  octet"}  # JSONB holds no NUL: cleaned, not refused


async def test_array_object_and_zip_paths(db: Database, tmp_path: Path) -> None:
    destination_id = await new_destination(db)
    array = tmp_path / "array.json"
    array.write_text(json.dumps([fixture(n) for n in NAMES], indent=1))
    summary = await run_import(db, destination_id, array, batch=2)
    assert (summary.created, summary.skipped) == (4, [])
    one = tmp_path / "one.json"
    shutil.copy(FIXTURES / "pompidou.json", one)
    assert (await run_import(db, destination_id, one)).unchanged == 1
    flux = write_flux(tmp_path / "flux", [fixture(n) for n in NAMES])
    archive = tmp_path / "flux.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(flux.rglob("*")):
            if file.is_file():
                out.write(file, f"export-123/{file.relative_to(flux)}")
    source = Source(archive)
    assert source.total == 4
    source.close()
    assert (await run_import(db, destination_id, archive)).unchanged == 4
    # the same object twice in one batch: the second copy is compared with the first
    twice = tmp_path / "twice.json"
    later = {**fixture("pompidou"), "lastUpdateDatatourisme": "2030-01-01T00:00:00.000Z"}
    twice.write_text(json.dumps([fixture("pompidou"), later]))
    summary = await run_import(db, destination_id, twice)
    assert (summary.unchanged, summary.updated) == (1, 1)
    # a URI written in this run is never taken as known: the copies apply in order
    newer = {**fixture("pompidou"), "lastUpdateDatatourisme": "2031-01-01T00:00:00.000Z"}
    twice.write_text(json.dumps([newer, fixture("pompidou")]))
    summary = await run_import(db, destination_id, twice)
    assert (summary.unchanged, summary.updated) == (0, 2)
    stored = (await items(db, destination_id))["centre-pompidou"]
    assert stored.source_version == fixture("pompidou")["lastUpdateDatatourisme"]


def test_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(Unreadable, match="no such file"):
        Source(tmp_path / "nothing")
    (tmp_path / "text.json").write_text("hello")
    with pytest.raises(Unreadable, match="not a JSON object"):
        Source(tmp_path / "text.json")
    with pytest.raises(Unreadable, match=r"index\.json or objects"):
        Source(tmp_path)


def test_streamed_array_names_broken_elements(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text('[{"a": 1}, 2.5e999, {"b": NaN}, [1, 2] {"c": 3}]')
    found = list(Source(path).objects())
    assert found == [
        Found("big.json[0]", {"a": 1}),
        Found("big.json[1]", None),
        Found("big.json[2]", {"b": None}),
        Found("big.json[3]", [1, 2]),
        Found("big.json[4]", error="broken JSON (the rest of the file is lost)"),
    ]
    # elements larger than a read chunk, numbers cut at a chunk's end
    many = [{"n": i, "text": "é" * (i * 997 % 70_000)} for i in range(60)] + [12345678901234]
    path.write_text(json.dumps(many))
    assert [f.value for f in Source(path).objects()] == many


async def test_rows_are_under_row_level_security(db: Database, tmp_path: Path) -> None:
    ours, theirs = await new_destination(db), await new_destination(db)
    await run_import(db, ours, write_flux(tmp_path, [fixture("pompidou")]))
    async with db.session(theirs) as session:
        assert (await session.execute(select(ContentItem))).scalars().all() == []
        assert await find_item(session, theirs, "centre-pompidou") is None
        with pytest.raises(Exception, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO content_item (id, destination_id, kind, subtype, slug, title,"
                    " summary, description, address, contact, booking, images, wishes, themes,"
                    " accessibility, price, labels, opening_hours, periods, stops, source,"
                    " overrides, published, created_at, updated_at) VALUES (gen_random_uuid(),"
                    " :d, 'place', '', 'x', '{}', '{}', '{}', '{}', '{}', '{}', '[]', '[]', '[]',"
                    " '[]', '{}', '[]', '{}', '[]', '[]', 'office', '{}', true, now(), now())"
                ),
                {"d": str(ours)},
            )


def test_migration_puts_content_item_under_the_tenant_policy(committed_db_url: str) -> None:
    dsn = make_url(committed_db_url).set(drivername="postgresql")
    with psycopg.connect(dsn.render_as_string(hide_password=False)) as conn:
        row = conn.execute(
            """SELECT c.relrowsecurity, pg_get_expr(p.polqual, p.polrelid)
               FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid
               WHERE c.relname = 'content_item' AND p.polname = 'tenant_isolation'"""
        ).fetchone()
    assert row is not None and row[0] is True
    assert "( SELECT balise_current_destination()" in row[1]


async def test_catalogue_answers_open_and_happening(db: Database, tmp_path: Path) -> None:
    destination_id = await new_destination(db)
    await run_import(db, destination_id, write_flux(tmp_path, [fixture(n) for n in NAMES]))
    async with db.session(destination_id) as session:
        pompidou = await find_item(
            session,
            destination_id,
            "http://data.datatourisme.gouv.fr/13/b02a4b65-5ec3-3f80-8cd9-ea8af229cb5f",
        )
        festival = await find_item(session, destination_id, "festival-des-mirabelles-783531b3ba")
    assert pompidou is not None and festival is not None
    assert open_at(pompidou, datetime(2022, 6, 2, 12, tzinfo=PARIS), PARIS).open is True
    found = happening(
        festival, datetime(2026, 8, 21, tzinfo=PARIS), datetime(2026, 8, 22, tzinfo=PARIS), PARIS
    )
    assert [o.start.hour for o in found] == [21]
    shown = item_json(pompidou)
    assert shown["source"]["attribution"] == (
        "Source : DATAtourisme, Office du Tourisme et des Congrès de Paris, "
        "mis à jour le 2022-06-02"
    )
    assert shown["source"]["licence"] == "Licence Ouverte 2.0 (Etalab)"


async def test_raw_record_kept_whether_spliced_as_read_or_encoded_again(
    db: Database, tmp_path: Path
) -> None:
    destination_id = await new_destination(db)
    objects = tmp_path / "objects" / "0" / "00"
    objects.mkdir(parents=True)
    plain = fixture("pompidou")  # UTF-8 text as read: stored without encoding it again
    (objects / "plain.json").write_text(json.dumps(plain, ensure_ascii=False))
    # a BOM, an emoji as a surrogate pair escape and a NaN: the careful path
    careful = {**fixture("festival"), "rdfs:label": {"fr": ["Fête 🎉"]}, "x": float("nan")}
    text_ = json.dumps(careful).replace("NaN", "NaN ")
    (objects / "careful.json").write_bytes(b"\xef\xbb\xbf" + text_.encode())
    summary = await run_import(db, destination_id, tmp_path)
    assert (summary.created, summary.skipped) == (2, [])
    stored = await items(db, destination_id)
    assert stored["centre-pompidou"].raw == plain
    assert stored["fete"].title == {"fr": "Fête 🎉"}
    assert stored["fete"].raw == {**careful, "x": None}


def test_index_entries_cannot_leave_the_flux_folder(tmp_path: Path) -> None:
    flux = write_flux(tmp_path / "flux", [fixture("pompidou")])
    (tmp_path / "secret.json").write_text('{"@id": "https://x.fr/1", "rdfs:label": "x"}')
    index = json.loads((flux / "index.json").read_text())
    index += [{"file": "../secret.json"}, {"file": "/etc/hostname"}, {"file": "objects/../x"}]
    (flux / "index.json").write_text(json.dumps(index))
    source = Source(flux)
    assert source.total == 4
    found = list(source.objects())
    assert [f.error for f in found] == [
        None,
        "index entry outside the flux folder",
        "index entry outside the flux folder",
        "cannot read: No such file or directory",
    ]


WEIRD: list[Any] = [
    None,
    True,
    0,
    -1.5,
    float("nan"),
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "🎉",
    "x" * 50_000,
    [],
    {},
    {"\x00": "\ud83d"},
    {"@value": None},
    {"@id": 5},
    {"fr": [None, 3, {"@value": "\x00"}]},
]


async def test_weird_values_anywhere_import_or_are_named_skips_in_postgresql(
    db: Database, tmp_path: Path
) -> None:
    """No record fails the import; PostgreSQL refuses none of what the importer sends it."""
    from roadbook.content.datatourisme import SKIP_REASONS

    destination_id = await new_destination(db)
    rng = random.Random(12)
    objects = []
    for n in range(240):
        obj = fixture(rng.choice(NAMES))
        obj["@id"] = f"https://data.datatourisme.fr/9/weird-{n}"
        for _ in range(rng.randint(1, 4)):
            obj[rng.choice([*obj.keys(), "extra"])] = rng.choice(WEIRD)
        if rng.random() < 0.3:
            obj["isLocatedAt"] = [{"schema:geo": rng.choice(WEIRD), "x": rng.choice(WEIRD)}]
        objects.append(obj)
    flux = write_flux(tmp_path, objects)
    (flux / "objects" / "huge.json").write_text(
        '{"@id": "https://data.datatourisme.fr/9/huge", "rdfs:label": "x", "n": 1e400}'
    )
    (flux / "objects" / "deep.json").write_text("[" * 5000 + "]" * 5000)
    index = json.loads((flux / "index.json").read_text())
    index += [{"file": "objects/huge.json"}, {"file": "objects/deep.json"}]
    (flux / "index.json").write_text(json.dumps(index))
    summary = await run_import(db, destination_id, flux)
    total = summary.created + summary.updated + summary.unchanged + len(summary.skipped)
    assert total == len(index)
    reasons = {s["reason"] for s in summary.skipped}
    assert reasons <= {*SKIP_REASONS, "broken JSON"}, reasons
    assert "broken JSON" in reasons  # the 5,000-deep file
    async with db.session(destination_id) as session:
        stored = (await session.execute(select(ContentItem))).scalars().all()
    assert len(stored) == summary.created > 150
    huge = next(item for item in stored if item.uri and item.uri.endswith("/huge"))
    # the raw record is kept as read: JSONB's numeric holds 1e400 exactly
    assert huge.raw == {
        "@id": "https://data.datatourisme.fr/9/huge",
        "rdfs:label": "x",
        "n": 10**400,
    }


async def test_items_between_dates_keep_undated_items_and_events_in_range(
    db: Database, tmp_path: Path
) -> None:
    from datetime import date

    from roadbook.content.catalogue import stream_items

    destination_id = await new_destination(db)
    await run_import(db, destination_id, write_flux(tmp_path, [fixture(n) for n in NAMES]))

    async def slugs(kind: str | None, between: tuple[date, date]) -> list[str]:
        async with db.session(destination_id) as session:
            return [
                item.slug.rsplit("-", 1)[0]
                async for item in stream_items(session, destination_id, kind, between)
            ]

    # the festival runs 2026-08-01 to 2026-09-01 (its last evening ends after midnight)
    assert await slugs("event", (date(2026, 9, 1), date(2026, 9, 3))) == ["festival-des-mirabelles"]
    assert await slugs("event", (date(2026, 9, 2), date(2026, 9, 3))) == []
    assert await slugs(None, (date(2026, 7, 1), date(2026, 7, 31))) == [
        "centre-pompidou",
        "la-table-du-lac",
        "boucle-des-etangs",
    ]


async def test_an_update_keeps_the_active_range_over_the_offices_dates(
    db: Database, tmp_path: Path
) -> None:
    """An event whose dates the office edited is updated by a new version of its record: its
    active range covers the flux's new dates and the office's; the batch's other items get the
    flux's range alone."""
    from datetime import date

    from roadbook.content.editing import covering

    destination_id = await new_destination(db)
    await run_import(db, destination_id, write_flux(tmp_path / "v1", [fixture(n) for n in NAMES]))
    festival = (await items(db, destination_id))["festival-des-mirabelles"]
    festival.overrides = {"periods": [{"start": "2026-12-01", "end": "2026-12-03"}]}
    assert covering(festival) == (date(2026, 8, 1), date(2026, 12, 3))
    async with db.session(destination_id) as session:
        await session.execute(
            update(ContentItem)
            .where(col(ContentItem.id) == festival.id)
            .values(overrides=festival.overrides, active_until=date(2026, 12, 3))
        )
        await session.commit()
    changed = [fixture(n) for n in NAMES]
    for obj in changed:
        obj["lastUpdateDatatourisme"] = "2026-11-20T04:00:00.000Z"
    changed[2]["takesPlaceAt"] = [
        {"@type": ["Period"], "startDate": "2026-09-05", "endDate": "2026-09-06"}
    ]
    summary = await run_import(db, destination_id, write_flux(tmp_path / "v2", changed), batch=3)
    assert summary.as_json() == {"created": 0, "updated": 4, "unchanged": 0, "skipped": []}
    after = await items(db, destination_id)
    event = after["festival-des-mirabelles"]
    assert event.periods == [{"start": "2026-09-05", "end": "2026-09-06"}]
    assert effective(event)["periods"] == [{"start": "2026-12-01", "end": "2026-12-03"}]
    assert (event.active_from, event.active_until) == (date(2026, 9, 5), date(2026, 12, 3))
    others = {
        (i.active_from, i.active_until) for k, i in after.items() if k != "festival-des-mirabelles"
    }
    assert others == {(None, None)}
