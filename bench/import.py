"""DATAtourisme import benchmark: a generated flux folder into PostgreSQL, as the CLI runs it.

Generates a flux folder of ``BENCH_IMPORT_OBJECTS`` objects (default 100,000) in a temporary
directory, in the real shapes (docs/content.md): ``index.json`` + ``objects/<a>/<bb>/<n>-<id>
.json``; 70 % places (restaurants, museums, lodgings...) with 2-40 opening-hours entries and
descriptions in six languages, 20 % events (1 in 20 with 200-537 dated periods), 10 % tours with
stops; 4 % from the old ``data.datatourisme.gouv.fr`` domain with lists where objects are
expected, and 1 in 1,000 broken files. Creates its own database on the ``DATABASE_URL`` server,
migrates it, adds a destination, then runs ``import-datatourisme`` in a fresh child process
(``python -m roadbook.content.cli``) three times:

a. **first import**: every object created;
b. **re-import**: the same flux, every object unchanged (nothing rewritten);
c. **upstream change**: 10 % of the objects get a new ``lastUpdateDatatourisme`` and label.

Each child reports its own peak RSS (``VmHWM``). Baseline in the same run: reading and parsing
the same flux without a database (``json.load`` + ``read_object`` per file), in this process.
A smaller flux (``BENCH_IMPORT_SMALL``, default 10,000) is imported three times into fresh
destinations for a median. Budget (bench/README.md): >= 1,000 objects/s, peak RSS <= 300 MB.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench import create_database, drop_database, dsn
from bench.report import report
from crm.core.settings import PROJECT_ROOT
from roadbook.content.datatourisme import Skip, read_object
from roadbook.content.flux import Source

OBJECTS = int(os.environ.get("BENCH_IMPORT_OBJECTS", "100000"))
SMALL = int(os.environ.get("BENCH_IMPORT_SMALL", "10000"))
REPEATS = 3
LANGUAGES = ("fr", "en", "de", "nl", "it", "es")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PLACE_TYPES = [
    ["schema:Restaurant", "FoodEstablishment", "Restaurant"],
    ["schema:Museum", "CulturalSite", "Museum"],
    ["schema:Hotel", "Accommodation", "Hotel"],
    ["Store", "BoutiqueOrLocalShop"],
    ["SportsAndLeisurePlace", "ParkAndGarden", "NaturalHeritage"],
    ["schema:BarOrPub", "BarOrPub"],
]
EVENT_TYPES = [["Festival"], ["Concert", "ShowEvent"], ["Exhibition"], ["SaleEvent", "Market"]]
WORDS = [
    "vue remarquable sur la vallée",
    "visite guidée",
    "terrasse ombragée",
    "produits du terroir",
    "accessible aux poussettes",
    "animaux acceptés",
    "parking gratuit",
    "ouvert toute l'année",
]


def add_destination(url: str, slug: str) -> None:
    with psycopg.connect(dsn(url)) as conn:
        conn.execute(
            "INSERT INTO destination (id, slug, name, timezone, default_language, created_at)"
            " VALUES (gen_random_uuid(), %s, %s, 'Europe/Paris', 'fr', now())",
            (slug, slug),
        )


def _text(rng: random.Random, languages: int, sentences: int) -> dict[str, list[str]]:
    return {
        lang: [". ".join(rng.choice(WORDS) for _ in range(sentences)).capitalize() + "."]
        for lang in LANGUAGES[:languages]
    }


def _hours(rng: random.Random) -> list[dict[str, Any]]:
    specs = []
    year = rng.choice([2024, 2025, 2026])
    for _ in range(rng.choice([2, 4, 8, 14, 20, 40])):
        start = date(year, 1, 1) + timedelta(days=rng.randrange(300))
        spec: dict[str, Any] = {
            "@id": f"https://data.datatourisme.fr/{uuid.UUID(int=rng.getrandbits(128))}",
            "@type": ["schema:OpeningHoursSpecification"],
            "schema:validFrom": f"{start.isoformat()}T00:00:00",
            "schema:validThrough": f"{(start + timedelta(days=60)).isoformat()}T23:59:59",
            "schema:dayOfWeek": [
                {"@id": f"schema:{day}"} for day in rng.sample(DAYS, rng.randint(1, 7))
            ],
        }
        if rng.random() < 0.85:
            spec["schema:opens"] = f"{rng.choice([9, 10, 11, 14, 19])}:00:00"
            spec["schema:closes"] = f"{rng.choice([12, 18, 19, 22, 1])}:00:00"
        if rng.random() < 0.3:
            spec["additionalInformation"] = _text(rng, 1, 2)
        specs.append(spec)
    return specs


def generate(rng: random.Random, n: int) -> dict[str, Any]:
    """One object in the real shapes (see the module's doc)."""
    kind = rng.random()
    domain = "data.datatourisme.gouv.fr" if rng.random() < 0.04 else "data.datatourisme.fr"
    uri = f"https://{domain}/{n % 97}/{uuid.UUID(int=rng.getrandbits(128))}"
    lat, lon = 42 + rng.random() * 8, -4 + rng.random() * 11
    city = {
        "@id": f"kb:{57000 + n % 900}",
        "rdfs:label": {"fr": [f"Commune {n % 900}"]},
        "insee": str(57000 + n % 900),
        "isPartOfDepartment": {"rdfs:label": {"fr": ["Moselle"]}, "insee": "57"},
    }
    obj: dict[str, Any] = {
        "@id": uri,
        "dc:identifier": str(n),
        "rdfs:label": {lang: [f"Objet {n} ({lang})"] for lang in LANGUAGES[: rng.randint(1, 3)]},
        "rdfs:comment": _text(rng, 2, 2),
        "hasDescription": [
            {"shortDescription": _text(rng, 6, 2), "dc:description": _text(rng, 6, 12)}
        ],
        "hasBeenCreatedBy": {"schema:legalName": f"Office de tourisme {n % 300}"},
        "hasContact": [
            {
                "schema:email": [f"contact{n}@example.fr"],
                "schema:telephone": ["+33 3 87 00 00 00"],
                "foaf:homepage": [f"https://example.fr/{n}"],
            }
        ],
        "hasTheme": [{"@id": rng.choice(["kb:Gastronomy", "kb:Heritage", "kb:Nature"])}],
        "hasFeature": [{"features": [{"@id": "kb:WheelchairAccess"}]}] if n % 5 == 0 else [],
        "isLocatedAt": [
            {
                "schema:address": [
                    {
                        "schema:addressLocality": f"Commune {n % 900}",
                        "schema:postalCode": str(57000 + n % 900),
                        "schema:streetAddress": [f"{n % 200} rue Principale"],
                        "hasAddressCity": [city] if domain.endswith("gouv.fr") else city,
                    }
                ],
                "schema:geo": {"schema:latitude": f"{lat:.6f}", "schema:longitude": f"{lon:.6f}"},
            }
        ],
        "lastUpdate": "2026-05-02",
        "lastUpdateDatatourisme": "2026-05-03T04:00:00.000Z",
    }
    if kind < 0.70:
        obj["@type"] = [*rng.choice(PLACE_TYPES), "PlaceOfInterest", "PointOfInterest"]
        obj["isLocatedAt"][0]["schema:openingHoursSpecification"] = _hours(rng)
    elif kind < 0.90:
        obj["@type"] = [*rng.choice(EVENT_TYPES), "EntertainmentAndEvent"]
        count = rng.randint(200, 537) if rng.random() < 0.05 else rng.randint(1, 6)
        first = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        obj["takesPlaceAt"] = [
            {
                "@type": ["Period"],
                "startDate": (first + timedelta(days=i)).isoformat(),
                "endDate": (first + timedelta(days=i)).isoformat(),
                "startTime": "20:30:00",
                "endTime": "23:00:00",
            }
            for i in range(count)
        ]
    else:
        obj["@type"] = ["CyclingTour" if n % 2 else "WalkingTour", "Tour", "PlaceOfInterest"]
        obj["tourDistance"] = str(rng.randint(2000, 60000))
        obj["dailyDuration"] = f"PT{rng.randint(1, 6)}H"
        obj["isConstituedOf"] = [
            {
                "rdfs:label": {"fr": [f"Étape {i}"]},
                "schema:geo": {
                    "schema:latitude": f"{lat + i / 100:.5f}",
                    "schema:longitude": f"{lon:.5f}",
                },
            }
            for i in range(rng.randint(3, 12))
        ]
    return obj


def write_flux(root: Path, n: int, seed: int = 1) -> int:
    """The flux folder (index.json streamed out as files are written); returns its bytes."""
    rng = random.Random(seed)
    total = 0
    with (root / "index.json").open("w") as index:
        index.write("[")
        for i in range(n):
            file = f"objects/{i % 10}/{i % 100:02d}/{i}-{uuid.UUID(int=rng.getrandbits(128))}.json"
            path = root / file
            path.parent.mkdir(parents=True, exist_ok=True)
            data = "{broken" if i % 1000 == 999 else json.dumps(generate(rng, i))
            path.write_text(data)
            total += len(data)
            entry = {"label": f"Objet {i}", "lastUpdateDatatourisme": "x", "file": file}
            index.write(("," if i else "") + json.dumps(entry))
        index.write("]")
    return total


def change_some(root: Path, fraction: float) -> int:
    """Give ``fraction`` of the objects a new version and label (an upstream update)."""
    rng = random.Random(7)
    changed = 0
    for path in sorted((root / "objects").rglob("*.json")):
        if rng.random() < fraction:
            try:
                obj = json.loads(path.read_text())
            except ValueError:
                continue
            obj["lastUpdateDatatourisme"] = "2026-11-30T04:00:00.000Z"
            obj["rdfs:label"] = {"fr": ["Nouveau nom"]}
            path.write_text(json.dumps(obj))
            changed += 1
    return changed


_CHILD = """
import atexit, sys
def _peak():
    with open('/proc/self/status') as fh:
        kb = next(int(l.split()[1]) for l in fh if l.startswith('VmHWM:'))
    sys.stderr.write(f'VMHWM_KB={kb}\\n')
atexit.register(_peak)
sys.argv = ['crm', *sys.argv[1:]]
from roadbook.content.cli import main
main()
"""


def run_import(url: str, flux: Path, destination: str) -> tuple[float, float, dict[str, Any]]:
    """(seconds, peak RSS MB, summary) of one CLI import in a fresh process."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(PROJECT_ROOT)}
    args = ["import-datatourisme", str(flux), "--destination", destination, "--json"]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, env=env, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr[-2000:]}")
    peak_kb = next(
        int(line.split("=")[1]) for line in done.stderr.splitlines() if line.startswith("VMHWM")
    )
    return seconds, peak_kb / 1024, json.loads(done.stdout.splitlines()[-1])


def parse_only(flux: Path) -> float:
    """Baseline: objects/s of reading and parsing the flux without a database."""
    source = Source(flux)
    start = time.perf_counter()
    count = 0
    for found in source.objects():
        count += 1
        if found.error is None:
            with contextlib.suppress(Skip):
                read_object(found.value)
    return count / (time.perf_counter() - start)


def main() -> None:
    url = create_database("balise_bench_import")
    workdir = Path(tempfile.mkdtemp(prefix="balise-bench-import-"))
    try:
        flux = workdir / "flux"
        flux.mkdir()
        started = time.perf_counter()
        size = write_flux(flux, OBJECTS)
        generated_s = time.perf_counter() - started
        print(f"generated {OBJECTS} objects ({size / 1e6:.0f} MB) in {generated_s:.0f} s")
        baseline = parse_only(flux)
        add_destination(url, "big")
        first_s, first_mb, first = run_import(url, flux, "big")
        again_s, again_mb, again = run_import(url, flux, "big")
        changed = change_some(flux, 0.10)
        change_s, change_mb, change = run_import(url, flux, "big")
        assert first["created"] == OBJECTS - OBJECTS // 1000, first["created"]
        assert again["unchanged"] == first["created"]
        assert again["created"] == 0
        assert change["updated"] == changed
        assert change["created"] == 0

        small = workdir / "small"
        small.mkdir()
        write_flux(small, SMALL, seed=2)
        small_rates = []
        for repeat in range(REPEATS):
            add_destination(url, f"small-{repeat}")
            seconds, _, _ = run_import(url, small, f"small-{repeat}")
            small_rates.append(SMALL / seconds)
        small_rate = statistics.median(small_rates)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        drop_database(url)

    rate = OBJECTS / first_s
    peak = max(first_mb, again_mb, change_mb)
    rows = [
        (f"first import, {OBJECTS:,} objects", f"{rate:,.0f} objects/s", f"{first_s:.0f} s"),
        ("re-import, all unchanged", f"{OBJECTS / again_s:,.0f} objects/s", f"{again_s:.0f} s"),
        (
            f"upstream change, {changed:,} updated",
            f"{OBJECTS / change_s:,.0f} objects/s",
            f"{change_s:.0f} s",
        ),
        (
            f"first import, {SMALL:,} objects",
            f"{small_rate:,.0f} objects/s",
            f"median of {REPEATS}",
        ),
        ("peak RSS of the import process", f"{peak:.0f} MB", "VmHWM, fresh process"),
        ("baseline: read + parse, no database", f"{baseline:,.0f} objects/s", "same flux"),
        ("flux size", f"{size / OBJECTS / 1000:.1f} kB/object", f"{size / 1e6:.0f} MB"),
    ]
    figures = {
        "objects": OBJECTS,
        "objects_per_s": round(rate),
        "objects_per_s_unchanged": round(OBJECTS / again_s),
        "objects_per_s_changed": round(OBJECTS / change_s),
        "objects_per_s_small_median": round(small_rate),
        "small_objects": SMALL,
        "rss_mb": round(peak, 1),
        "baseline_parse_objects_per_s": round(baseline),
        "bytes_per_object": round(size / OBJECTS),
    }
    report("import", rows, figures, rate / baseline, ">= 1,000 objects/s, peak RSS <= 300 MB")


if __name__ == "__main__":
    main()
