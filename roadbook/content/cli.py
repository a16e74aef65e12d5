"""``crm import-datatourisme`` and ``crm content list|show|tidy`` (DESIGN contract,
docs/content.md).

``crm`` reaches ``roadbook`` only through its composition root: ``crm.main`` calls
:func:`register` with the ``crm`` Typer app. Stdout is for what scripts parse (the ``--json``
line last); messages, the progress bar and errors go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from crm.core.db import Database
    from roadbook.content.importer import Summary

T = TypeVar("T")

content_app = typer.Typer(
    help="The destination's catalogue: places, events and tours (imported or the office's).",
    no_args_is_help=True,
)

DestinationOption = Annotated[
    str | None,
    typer.Option(
        metavar="SLUG", help="The destination's slug; may be left out when there is only one."
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``import-datatourisme`` and the ``content`` group to the ``crm`` app."""
    app.command("import-datatourisme")(import_datatourisme)
    app.add_typer(content_app, name="content")


class Refused(Exception):
    """Why the command cannot run (said on stderr, exit 1)."""


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg="red")
    raise typer.Exit(1)


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` with a database on ``DATABASE_URL`` (or the embedded server)."""
    from crm.core.db import Database, database_url
    from crm.core.settings import get_settings

    # Only content_item is queried (destinations by plain SQL): no other model is needed, so
    # these commands run the same whether or not crm's composition root loaded the rest.
    async def main() -> T:
        db = Database(database_url(get_settings()), pool_size=1, max_overflow=0)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except Refused as refused:
        _fail(str(refused))


async def destination_of(db: Database, slug: str | None) -> tuple[uuid.UUID, str, str]:
    """``(id, slug, timezone)`` of the destination named, or of the only one."""
    from sqlalchemy import text

    async with db.session(system=True) as session:
        query = text("SELECT id, slug, timezone FROM destination ORDER BY slug")
        rows = [(row[0], row[1], row[2]) for row in (await session.execute(query)).all()]
    known = ", ".join(row[1] for row in rows)
    if slug is None:
        if len(rows) == 1:
            return rows[0]
        if not rows:
            raise Refused("no destination yet: create one with `crm destination add SLUG`")
        raise Refused(f"there are several destinations ({known}): name one with --destination")
    for row in rows:
        if row[1] == slug:
            return row
    raise Refused(f"no destination {slug!r}" + (f" (there are: {known})" if rows else ""))


def import_datatourisme(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH",
            help="One JSON-LD object, a JSON array of objects, a DATAtourisme flux folder "
            "(index.json + objects/) or a .zip of one.",
        ),
    ],
    destination: DestinationOption = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print {"created", "updated", "unchanged", "skipped"} as the last line.',
        ),
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Objects per commit.")] = 250,
) -> None:
    """Import DATAtourisme objects into the catalogue: by URI, only what changed upstream.

    Re-importing the same flux changes nothing; an object whose lastUpdateDatatourisme changed
    is updated in place, keeping the office's edits. A bad record is skipped and named.
    Exit status 1 only when nothing could be read.
    """
    from roadbook.content.flux import Source, Unreadable
    from roadbook.content.importer import import_objects

    try:
        source = Source(path)
    except Unreadable as exc:
        _fail(str(exc))

    async def work(db: Database) -> tuple[str, Summary]:
        destination_id, slug, _ = await destination_of(db, destination)
        with _progress(source.total) as advance:
            summary = await import_objects(
                db, destination_id, source.objects(), batch=batch, progress=advance
            )
        return slug, summary

    try:
        slug, summary = _run(work)
    finally:
        source.close()
    for skipped in summary.skipped[:20] if not as_json else []:
        where = skipped.get("file") or skipped.get("uri")
        typer.echo(f"skipped {where}: {skipped['reason']}", err=True)
    if len(summary.skipped) > 20 and not as_json:
        typer.echo(f"... and {len(summary.skipped) - 20} more skipped (see --json)", err=True)
    if as_json:
        sys.stdout.write(json.dumps(summary.as_json(), ensure_ascii=False) + "\n")
    else:
        typer.echo(
            f"{path} → {slug}: {summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged, {len(summary.skipped)} skipped"
        )
    if summary.read == 0:
        typer.secho("error: no object could be read", err=True, fg="red")
        raise typer.Exit(1)


class _progress:
    """A progress bar on stderr when it is a terminal; otherwise nothing."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self._bar: Any = None

    def __enter__(self) -> Callable[[], None] | None:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        task = self._bar.add_task("importing", total=self.total)
        bar = self._bar
        return lambda: bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


@content_app.command("list")
def content_list(
    destination: DestinationOption = None,
    kind: Annotated[
        str | None, typer.Option(metavar="KIND", help="Only places, events or tours.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Also the unpublished items and those outside their publishing window."
        ),
    ] = False,
) -> None:
    """List the catalogue as visitors see it now (kind, slug, title; --json: every field, the
    office's edits applied); --all adds what is not shown."""
    from crm.core.models import utcnow
    from roadbook.content.catalogue import item_json, stream_items
    from roadbook.content.models import KINDS
    from roadbook.content.text import localize

    if kind is not None and kind not in KINDS:
        typer.secho(f"error: --kind: one of {', '.join(KINDS)} (got {kind!r})", err=True)
        raise typer.Exit(2)

    async def work(db: Database) -> None:
        destination_id, _, _ = await destination_of(db, destination)
        async with db.session(destination_id) as session:
            first = True
            if as_json:
                sys.stdout.write("[")
            visible_at = None if everything else utcnow()
            async for item in stream_items(session, destination_id, kind, visible_at=visible_at):
                if as_json:
                    dumped = json.dumps(item_json(item), ensure_ascii=False, default=str)
                    sys.stdout.write(dumped if first else "," + dumped)
                else:
                    title = localize(item.title, "fr").text
                    typer.echo(f"{item.kind:<6} {item.subtype:<18} {item.slug:<48} {title}")
                first = False
            if as_json:
                sys.stdout.write("]\n")

    _run(work)


@content_app.command("show")
def content_show(
    ref: Annotated[str, typer.Argument(metavar="URI|SLUG", help="A DATAtourisme URI or a slug.")],
    destination: DestinationOption = None,
    lang: Annotated[str, typer.Option(help="fr, en, de or nl.")] = "fr",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print every field, overrides and the raw record.")
    ] = False,
) -> None:
    """Show one item: its text in --lang (saying which language is shown), hours, dates."""
    from roadbook.content.catalogue import attribution, effective, find_item, item_json
    from roadbook.content.models import ContentItem
    from roadbook.content.text import localize

    async def work(db: Database) -> ContentItem:
        destination_id, _, _ = await destination_of(db, destination)
        async with db.session(destination_id) as session:
            found = await find_item(session, destination_id, ref)
        if found is None:
            raise Refused(f"no item {ref!r} (see `crm content list`)")
        return found

    item = _run(work)
    if as_json:
        sys.stdout.write(json.dumps(item_json(item, full=True), ensure_ascii=False) + "\n")
        return
    shown = effective(item)
    for name in ("title", "summary", "description"):
        text = localize(shown[name], lang)
        if text.language:
            note = f" [{text.language}]" if text.fallback else ""
            typer.echo(f"{name}{note}: {text.text}")
    typer.echo(f"kind: {item.kind} ({item.subtype}); slug: {item.slug}; uri: {item.uri or '-'}")
    if shown["latitude"] is not None:
        typer.echo(f"position: {shown['latitude']}, {shown['longitude']}")
    for rule in shown["opening_hours"].get("rules", []):
        typer.echo(f"hours: {json.dumps(rule, ensure_ascii=False)}")
    for period in shown["periods"]:
        typer.echo(f"dates: {json.dumps(period, ensure_ascii=False)}")
    if shown["wishes"]:
        typer.echo(f"wishes: {', '.join(shown['wishes'])}")
    if credit := attribution(item, lang):
        typer.echo(credit)


@content_app.command("tidy")
def content_tidy(
    destination: DestinationOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would go; change nothing.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help='Print {"items", "fields", "dry_run"} as the last line.'),
    ] = False,
) -> None:
    """Drop the office's edits of imported items that say what the flux says.

    Saves before the form compared fields by meaning could store an edit equal to the imported
    value (an empty hours remark, wishes in another order): the item shows the same without
    it, and later updates of the flux show through again. Prints each item and field dropped.
    """
    from sqlalchemy import select
    from sqlmodel import col

    # The tables content_item refers to, which writing it resolves (list and show only read).
    from crm.core.tenancy import Destination  # noqa: F401
    from crm.destinations.models import Site  # noqa: F401
    from roadbook.content.editing import tidy
    from roadbook.content.models import ContentItem

    async def work(db: Database) -> list[tuple[str, list[str]]]:
        destination_id, _, _ = await destination_of(db, destination)
        async with db.session(destination_id) as session:
            imported = await session.scalars(
                select(ContentItem)
                .where(col(ContentItem.source) != "office")
                .order_by(col(ContentItem.slug))
            )
            tidied = [(item.slug, fields) for item in imported if (fields := tidy(item))]
            if not dry_run:
                await session.commit()
        return tidied

    tidied = _run(work)
    for slug, fields in tidied:
        typer.echo(f"{slug}: {', '.join(fields)}")
    dropped = sum(len(names) for _, names in tidied)
    verb = "would drop" if dry_run else "dropped"
    typer.echo(f"{verb} {dropped} edits of {len(tidied)} items", err=as_json)
    if as_json:
        summary = {"items": len(tidied), "fields": dropped, "dry_run": dry_run}
        sys.stdout.write(json.dumps(summary) + "\n")


def main() -> None:
    """``python -m roadbook.content.cli``: these commands alone, as ``crm`` will run them."""
    app = typer.Typer(help="Balise catalogue commands.", no_args_is_help=True)
    register(app)
    app()


if __name__ == "__main__":
    main()
