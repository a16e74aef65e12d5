"""``import-datatourisme`` and ``content list|show`` in real subprocesses (DESIGN contract)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

FIXTURES = Path(__file__).parent / "fixtures" / "datatourisme"
NAMES = ["pompidou", "old-flux-restaurant", "festival", "cycling-tour"]


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "roadbook.content.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def add_destination(url: str, slug: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO destination (id, slug, name, timezone, default_language, created_at)"
            " VALUES (gen_random_uuid(), %s, %s, 'Europe/Paris', 'fr', now())",
            (slug, slug.title()),
        )


def flux_folder(root: Path) -> Path:
    index = []
    for n, name in enumerate(NAMES):
        file = f"objects/{n}/0{n}/{n}-{name}.json"
        (root / file).parent.mkdir(parents=True)
        shutil.copy(FIXTURES / f"{name}.json", root / file)
        index.append({"label": name, "file": file})
    (root / "index.json").write_text(json.dumps(index))
    return root


def test_import_list_show(committed_db_url: str, tmp_path: Path) -> None:
    url = committed_db_url
    nothing = run(url, "import-datatourisme", str(tmp_path / "flux"), "--json")
    assert nothing.returncode == 1 and "no such file or folder" in nothing.stderr
    add_destination(url, "amneville")
    flux = flux_folder(tmp_path / "flux")
    (flux / "objects/0/00/0-pompidou.json").write_text("{broken")
    first = run(url, "import-datatourisme", str(flux), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.splitlines()[-1]) == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": [{"file": "objects/0/00/0-pompidou.json", "reason": "broken JSON"}],
    }
    again = run(url, "import-datatourisme", str(flux))  # human summary, no --json
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith("0 created, 0 updated, 3 unchanged, 1 skipped")
    assert "skipped objects/0/00/0-pompidou.json: broken JSON" in again.stderr

    listed = run(url, "content", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    items = {item["slug"].rsplit("-", 1)[0]: item for item in json.loads(listed.stdout)}
    assert set(items) == {"la-table-du-lac", "festival-des-mirabelles", "boucle-des-etangs"}
    festival = items["festival-des-mirabelles"]
    required = {"uri", "slug", "kind", "title", "description", "lat", "lon"}
    assert required | {"opening_hours", "dates", "wishes", "updated_at"} <= festival.keys()
    assert festival["kind"] == "event" and festival["uri"].startswith("https://data.datatourisme")
    assert festival["title"] == {"fr": "Festival des Mirabelles", "de": "Mirabellenfest"}
    assert (festival["lat"], festival["lon"]) == (49.2547, 6.1398)
    assert festival["dates"][0] == {
        "start": "2026-08-21",
        "end": "2026-08-23",
        "start_time": "21:00",
        "end_time": "01:00",
    }
    assert festival["wishes"] == ["culture"]
    restaurant = items["la-table-du-lac"]
    assert restaurant["opening_hours"][0]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert restaurant["source"]["attribution"] == (
        "Source : DATAtourisme, Moselle Attractivité, mis à jour le 2020-03-15"
    )
    tours = run(url, "content", "list", "--kind", "tour", "--json")
    assert [i["kind"] for i in json.loads(tours.stdout)] == ["tour"]
    assert json.loads(tours.stdout)[0]["tour"]["length_m"] == 24500
    bad_kind = run(url, "content", "list", "--kind", "hotel")
    assert bad_kind.returncode == 2 and "--kind" in bad_kind.stderr

    shown = run(url, "content", "show", festival["uri"], "--lang", "nl")
    assert shown.returncode == 0, shown.stderr
    # no Dutch, no English: French comes before German (docs/content.md)
    assert "title [fr]: Festival des Mirabelles" in shown.stdout
    assert "Source: DATAtourisme" not in shown.stdout
    assert "Bron: DATAtourisme, Office de Tourisme d'Amnéville, bijgewerkt op 2026-05-02" in (
        shown.stdout
    )
    full = run(url, "content", "show", festival["slug"], "--json")
    assert json.loads(full.stdout)["raw"]["@id"] == festival["uri"]
    missing = run(url, "content", "show", "nothing-here")
    assert missing.returncode == 1 and "no item 'nothing-here'" in missing.stderr

    add_destination(url, "thionville")
    ambiguous = run(url, "content", "list")
    assert ambiguous.returncode == 1 and "several destinations" in ambiguous.stderr
    other = run(url, "content", "list", "--destination", "thionville", "--json")
    assert json.loads(other.stdout) == []


def test_tidy_drops_overrides_equal_to_the_flux(committed_db_url: str, tmp_path: Path) -> None:
    url = committed_db_url
    add_destination(url, "amneville")
    assert run(url, "import-datatourisme", str(flux_folder(tmp_path / "flux"))).returncode == 0
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def overrides() -> dict[str, object]:
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                "SELECT overrides FROM content_item WHERE slug LIKE 'festival%'"
            ).fetchone()
        assert row is not None
        return dict(row[0])

    # What saves before the form compared by meaning could leave: the flux's own French title
    # and subtype; and a real edit, a summary the office wrote.
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "UPDATE content_item SET overrides = jsonb_build_object("
            "'title', jsonb_build_object('fr', title->>'fr'), 'subtype', subtype,"
            " 'summary', jsonb_build_object('fr', 'Le festival de l''office'))"
            " WHERE slug LIKE 'festival%'"
        )
    before = overrides()
    dry = run(url, "content", "tidy", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout.splitlines()[-1]) == {"items": 1, "fields": 2, "dry_run": True}
    assert "would drop 2 edits of 1 items" in dry.stderr
    assert overrides() == before
    done = run(url, "content", "tidy")
    assert done.returncode == 0, done.stderr
    [line, summary] = done.stdout.splitlines()
    assert line.startswith("festival-des-mirabelles") and line.endswith(": title, subtype")
    assert summary == "dropped 2 edits of 1 items"
    assert overrides() == {"summary": {"fr": "Le festival de l'office"}}
    again = run(url, "content", "tidy", "--json")
    assert json.loads(again.stdout.splitlines()[-1]) == {"items": 0, "fields": 0, "dry_run": False}


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from roadbook.content.cli import _progress

    with _progress(3) as advance:
        assert advance is None  # the tests' stderr is not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with _progress(3) as advance:
        assert advance is not None
        for _ in range(3):
            advance()
