"""The ``crm`` command line: what operators and installers script against (docs/architecture.md).

Every command reads ``DATABASE_URL``, or starts/uses the embedded server under ``.balise/``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from psycopg.errors import UndefinedTable
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.errors import Problem

if TYPE_CHECKING:
    from crm.core.tenancy import Destination
    from crm.destinations.models import Site
    from crm.gateways.models import Gateway

# Seconds ``crm serve`` gives requests in flight when it stops (uvicorn's graceful shutdown).
SHUTDOWN_GRACE_S = 10

app = typer.Typer(
    name="crm",
    help="Balise CRM: serve the API and pages, migrate the database, "
    "manage sites, gateways and visitors.",
    no_args_is_help=True,
    add_completion=False,
)
destination_app = typer.Typer(
    help="Destinations: each tourist office (or agency) the CRM serves, a tenant of its own.",
    no_args_is_help=True,
)
site_app = typer.Typer(
    help="Sites: where gateways stand (partners' venues, offices).", no_args_is_help=True
)
gateway_app = typer.Typer(
    help="Gateways: register, rotate and revoke tokens.", no_args_is_help=True
)
visitor_app = typer.Typer(help="Visitors: enrol at the desk.", no_args_is_help=True)


@app.callback()
def _logging() -> None:
    """Logs go to stderr: stdout is for what scripts parse (JSON, tokens on the last line)."""
    from crm.core import logging as core_logging
    from crm.core.settings import get_settings

    core_logging.configure(json_lines=get_settings().log_json)


app.add_typer(destination_app, name="destination")
app.add_typer(site_app, name="site")
app.add_typer(gateway_app, name="gateway")
app.add_typer(visitor_app, name="visitor")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed system session (operators act across tenants)."""
    from crm.core.db import Database, database_url
    from crm.core.settings import get_settings
    from crm.main import install

    install()

    async def main() -> T:
        db = Database(database_url(get_settings()), pool_size=1, max_overflow=0)
        try:
            async with db.session(system=True) as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except Problem as problem:
        _fail(problem.detail or problem.title)
    except ProgrammingError as exc:
        if not isinstance(exc.orig, UndefinedTable):
            raise
        _fail(
            f"the database has no Balise schema yet ({exc.orig.diag.message_primary}): "
            "run 'crm migrate' first"
        )


def _fail(message: str) -> NoReturn:
    """Say on stderr why the database refused, and exit 1 (2 is for input of a bad form)."""
    typer.secho(f"error: {message}", err=True, fg="red")
    raise typer.Exit(1)


def _validated(model: type[M], values: dict[str, Any], options: dict[str, str]) -> M:
    """``values`` checked by the office API's own model: an error names the option, exit 2.

    ``options`` maps the model's fields to how the command line spells them (``--lat``).
    Checked before the database is opened, so nothing is written.
    """
    from crm.destinations.schemas import SLUG_RULE

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors = exc.errors()
    for error in errors:
        field = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "value_error":  # our own validators quote the value already
            message = str(error["ctx"]["error"])
        else:
            rule = f"a slug is {SLUG_RULE}" if field == "slug" else error["msg"]
            message = f"{rule} (got {error['input']!r})"
        prefix = f"{options.get(field, field)}: " if field else ""
        typer.secho(f"error: {prefix}{message}", err=True, fg="red")
    raise typer.Exit(2)


async def _destination(session: AsyncSession, slug: str | None) -> Destination:
    """The destination named by ``--destination``, or the only one; errors list those there are."""
    from crm.destinations import service

    every = await service.list_destinations(session)
    known = ", ".join(d.slug for d in every)
    if slug is None:
        if len(every) == 1:
            return every[0]
        if not every:
            raise Problem(
                404,
                "Not Found",
                "no destination yet: create one with `crm destination add SLUG --name NAME`",
            )
        raise Problem(
            400,
            "Bad Request",
            f"there are several destinations ({known}): name one with --destination SLUG",
        )
    for destination in every:
        if destination.slug == slug:
            return destination
    there = f" (there are: {known})" if every else " (there is none yet)"
    raise Problem(404, "Not Found", f"no destination {slug!r}{there}")


# Help texts are built on every run: these name the model's kinds and defaults without
# importing it (tests/crm/test_crm_cli.py checks that they match).
SITE_KINDS = "venue, office, accommodation, restaurant, outdoor, other"
DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_KIND = "venue"


DestinationOption = Annotated[
    str | None,
    typer.Option(
        metavar="SLUG", help="The destination's slug; may be left out when there is only one."
    ),
]


class _Upgrades(logging.Filter):
    """Alembic's line per migration, counted for a one-line summary instead of logged."""

    def __init__(self) -> None:
        super().__init__()
        self.applied: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        message = record.getMessage()
        if message.startswith("Running upgrade"):
            # "Running upgrade A -> B, what B does": keep B.
            self.applied.append(message.partition("-> ")[2].partition(",")[0])
        return False


@app.command()
def migrate(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each migration as Alembic runs it.")
    ] = False,
) -> None:
    """Upgrade the database schema to this version (safe to run on a live system)."""
    from alembic import command
    from alembic.config import Config

    from crm.core.db import database_url
    from crm.core.settings import PROJECT_ROOT, get_settings

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url(get_settings()).replace("%", "%%"))
    upgrades = _Upgrades()
    migration_log = logging.getLogger("alembic.runtime.migration")
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
        migration_log.setLevel(logging.INFO)
        migration_log.addFilter(upgrades)
    try:
        command.upgrade(config, "head")
    finally:
        migration_log.removeFilter(upgrades)
    if upgrades.applied:
        count = len(upgrades.applied)
        typer.echo(
            f"database schema is up to date ({count} migration{'s' * (count != 1)} applied, "
            f"now at {upgrades.applied[-1]})"
        )
    else:
        typer.echo("database schema is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (the CRM is stateless).")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (tokens are scrubbed).")
    ] = True,
) -> None:
    """Serve the CRM (API, visitor pages, back-office) with uvicorn."""
    import uvicorn

    from crm.core.db import database_url
    from crm.core.settings import get_settings

    # Resolve the embedded server once so that every worker shares it.
    os.environ["DATABASE_URL"] = database_url(get_settings())
    uvicorn.run(
        "crm.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        access_log=access_log,
        # A stop waits this long for requests in flight, then cancels them: a visitor's event
        # stream (/r/{token}/events) never ends by itself, and its browser reconnects to
        # another worker without losing an event (docs/live.md).
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )


@app.command()
def demo(
    scenario: Annotated[
        Path, typer.Option(help="Where to write the gateway simulation scenario.")
    ] = Path(".balise/demo/scenario.json"),
    base_url: Annotated[
        str, typer.Option(help="The CRM's public URL, for the printed links.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Seed the demo destination (Amnéville) and print its URLs; issues fresh demo secrets."""
    from crm import demo as demo_seed
    from crm.main import install

    install()
    from crm.core.serverkey import server_keys
    from crm.core.settings import get_settings

    server_key = server_keys(get_settings())[0]
    seeded = _in_session(lambda session: demo_seed.seed(session, server_key))
    scenario.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "crm_url": base_url,
        "data_dir": str(scenario.parent / "gateways"),
        "gateways": [
            {"id": name, "token": token, "site": demo_seed.GATEWAYS[name]}
            for name, token in seeded.gateway_tokens.items()
        ],
        "passes": seeded.passes,
    }
    # The file holds gateway secrets: readable by its owner only.
    fd = os.open(scenario, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(document, out, indent=2)
    for name, (language, token) in seeded.roadbooks.items():
        typer.echo(f"Roadbook of {name} ({language}): {base_url}/r/{token}")
        typer.echo(f"Feed of {name} ({language}): {base_url}/r/{token}/feed.json")
    typer.echo(f"Self-enrolment page (QR code): {base_url}/enrol/{demo_seed.DESTINATION_SLUG}")
    email, password = seeded.office_account
    typer.echo(f"Office: {base_url}/office/sign-in — {email} / {password}")
    typer.echo(f"Office catalogue: {base_url}/office/catalogue")
    typer.echo(f"Office offers: {base_url}/office/offers")
    typer.echo(f"API documentation: {base_url}/docs")


def _emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


def _report(value: Any, as_json: bool, *lines: str) -> None:
    """``value`` as one JSON line with ``--json``, else the human-readable ``lines``."""
    if as_json:
        _emit_json(value)
    else:
        for line in lines:
            typer.echo(line)


def _destination_row(destination: Destination) -> dict[str, Any]:
    return {
        "id": str(destination.id),
        "slug": destination.slug,
        "name": destination.name,
        "timezone": destination.timezone,
        "embed_origins": destination.embed_origins,
    }


def _site_row(site: Site, destination_slug: str) -> dict[str, Any]:
    # One shape for `site list --json` and `site add --json`.
    return {
        "id": str(site.id),
        "slug": site.slug,
        "name": site.name,
        "kind": site.kind,
        "destination_id": str(site.destination_id),
        "destination": destination_slug,
        "latitude": site.latitude,
        "longitude": site.longitude,
    }


# How an embed origin is written, in the help of every option that takes one.
_ORIGINS = "e.g. https://www.example.org or http://localhost:* (any port); repeatable."


@destination_app.command("add")
def destination_add(
    slug: Annotated[
        str,
        typer.Argument(
            metavar="SLUG", help="Short name in URLs and commands, e.g. thionville (a-z, 0-9, -)."
        ),
    ],
    name: Annotated[str, typer.Option(metavar="NAME", help="Display name, e.g. Thionville.")],
    timezone: Annotated[
        str | None,
        typer.Option(
            metavar="ZONE",
            help="IANA time zone of opening hours and daily figures "
            f"(default: {DEFAULT_TIMEZONE}).",
        ),
    ] = None,
    embed_origins: Annotated[
        list[str] | None,
        typer.Option(
            "--embed-origin",
            metavar="ORIGIN",
            help=f"A web origin allowed to embed the roadbook widget, {_ORIGINS}",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the new destination as a JSON object.")
    ] = False,
) -> None:
    """Create a destination: a tourist office's (or an agency's) territory.

    Its sites, gateways, visitors and staff are its own, hidden from every other destination.
    """
    from crm.destinations import service
    from crm.destinations.schemas import DestinationCreate

    values: dict[str, Any] = {"slug": slug, "name": name}
    if timezone is not None:
        values["timezone"] = timezone
    values["embed_origins"] = embed_origins or []
    options = {"slug": "SLUG", "name": "--name", "timezone": "--timezone"}
    body = _validated(DestinationCreate, values, {**options, "embed_origins": "--embed-origin"})

    async def work(session: AsyncSession) -> Destination:
        destination = await service.create_destination(session, body.slug, body.name, body.timezone)
        destination.embed_origins = body.embed_origins
        return destination

    row = _destination_row(_in_session(work))
    _report(
        row,
        as_json,
        f"Destination {row['slug']} ({row['name']}, {row['timezone']}) created: {row['id']}",
    )


@destination_app.command("origins")
def destination_origins(
    slug: Annotated[str, typer.Argument(metavar="SLUG", help="The destination, e.g. thionville.")],
    add: Annotated[
        list[str] | None,
        typer.Option(
            "--add",
            metavar="ORIGIN",
            help=f"Allow this web origin to embed the roadbook widget, {_ORIGINS}",
        ),
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option("--remove", metavar="ORIGIN", help="Allow it no more; repeatable."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the destination as a JSON object.")
    ] = False,
) -> None:
    """Show, allow or stop allowing the web origins that may embed a destination's widget.

    Without --add or --remove, lists them. A change applies to the next widget request.
    """
    from crm.destinations import service
    from crm.destinations.schemas import EmbedOriginsChange

    values = {"add": add or [], "remove": remove or []}
    change = _validated(EmbedOriginsChange, values, {"add": "--add", "remove": "--remove"})

    async def work(session: AsyncSession) -> Destination:
        destination = await _destination(session, slug)
        service.change_embed_origins(destination, change.add, change.remove)
        return destination

    row = _destination_row(_in_session(work))
    origins = row["embed_origins"]
    _report(
        row,
        as_json,
        f"{row['slug']} allows {len(origins)} origin(s) to embed its widget"
        + (":" if origins else "."),
        *(f"  {origin}" for origin in origins),
    )


@destination_app.command("list")
def destination_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List destinations (slug, name, time zone, id)."""
    from crm.destinations import service

    rows = [_destination_row(d) for d in _in_session(service.list_destinations)]
    _report(
        rows,
        as_json,
        *(f"{r['slug']:<22} {r['name']:<32} {r['timezone']:<20} {r['id']}" for r in rows),
    )


@site_app.command("list")
def site_list(
    destination: Annotated[
        str | None, typer.Option(metavar="SLUG", help="Only this destination's sites.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List sites (id, slug, name, kind, destination, position)."""
    from crm.destinations import service

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        only = await _destination(session, destination) if destination else None
        slugs = {d.id: d.slug for d in await service.list_destinations(session)}
        sites = await service.list_sites(session, only.id if only else None)
        return [_site_row(s, slugs[s.destination_id]) for s in sites]

    rows = _in_session(work)
    _report(
        rows,
        as_json,
        *(f"{r['destination']:<16} {r['slug']:<22} {r['name']:<32} {r['id']}" for r in rows),
    )


@site_app.command("add")
def site_add(
    slug: Annotated[
        str,
        typer.Argument(
            metavar="SLUG", help="Short name, unique in the destination, e.g. zoo (a-z, 0-9, -)."
        ),
    ],
    name: Annotated[str, typer.Option(metavar="NAME", help='Display name, e.g. "Le Zoo".')],
    lat: Annotated[
        float, typer.Option("--lat", metavar="LAT", help="Latitude in degrees, -90 to 90.")
    ],
    lon: Annotated[
        float, typer.Option("--lon", metavar="LON", help="Longitude in degrees, -180 to 180.")
    ],
    kind: Annotated[
        str | None,
        typer.Option(metavar="KIND", help=f"One of {SITE_KINDS} (default: {DEFAULT_KIND})."),
    ] = None,
    destination: DestinationOption = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the new site as a JSON object (as `site list --json`)."),
    ] = False,
) -> None:
    """Register a site, where a gateway will stand; its slug is unique in its destination.

    Opening hours, wishes and partner are set in the back-office (or the office API).
    """
    from crm.destinations import service
    from crm.destinations.schemas import SiteCreate

    values: dict[str, Any] = {"slug": slug, "name": name, "latitude": lat, "longitude": lon}
    if kind is not None:
        values["kind"] = kind
    options = {"slug": "SLUG", "name": "--name", "latitude": "--lat", "longitude": "--lon"}
    body = _validated(SiteCreate, values, {**options, "kind": "--kind"})

    async def work(session: AsyncSession) -> dict[str, Any]:
        found = await _destination(session, destination)
        site = await service.create_site(session, found.id, body.model_dump())
        return _site_row(site, found.slug)

    row = _in_session(work)
    _report(
        row,
        as_json,
        f"Site {row['slug']} ({row['name']}) added to {row['destination']}: {row['id']}",
    )


@gateway_app.command("add")
def gateway_add(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The gateway's id, unique overall, e.g. zoo-1.")
    ],
    site: Annotated[
        str,
        typer.Option(
            metavar="SITE",
            help="Site slug or id; a slug used by several destinations needs --destination.",
        ),
    ],
    destination: Annotated[
        str | None,
        typer.Option(metavar="SLUG", help="Look the site up in this destination only."),
    ] = None,
    claim: Annotated[
        bool,
        typer.Option(
            "--claim",
            help="Print a one-time claim code (valid 24 h) for `beacon-gateway enroll CODE` "
            "instead of the token.",
        ),
    ] = False,
) -> None:
    """Register a gateway; prints its token once, alone on the last line (only its hash is kept).

    The site is found in any destination; the gateway belongs to the site's destination.
    """
    from crm.core.models import utcnow
    from crm.core.tenancy import Destination
    from crm.destinations import service as destinations_service
    from crm.fleet import service as fleet_service
    from crm.gateways import service

    async def work(session: AsyncSession) -> tuple[str, str]:
        within = await _destination(session, destination) if destination else None
        found = await destinations_service.find_site(session, site, within)
        if within is None:
            within = await session.get(Destination, found.destination_id)
        where = f"{found.slug} ({within.slug if within else found.destination_id})"
        if claim:
            _, code = await fleet_service.add_gateway_with_claim(session, name, found, utcnow())
            return where, code
        _, token = await service.add_gateway(session, name, found)
        return where, token

    where, token = _in_session(work)
    if claim:
        typer.echo(
            f"Gateway {name} registered at {where}. On the Pi, within 24 h, run "
            "`beacon-gateway enroll CODE` with this one-time claim code:"
        )
    else:
        typer.echo(f"Gateway {name} registered at {where}. Its token (shown once):")
    typer.echo(token)


@gateway_app.command("claim")
def gateway_claim(
    name: Annotated[str, typer.Argument(help="An existing gateway's id.")],
) -> None:
    """A new one-time claim code for an existing gateway (new Pi, replaced SD card).

    Printed alone on the last line; valid 24 h. Enrolling with it revokes the gateway's
    earlier tokens, so the old Pi stops uploading.
    """
    from crm.core.models import utcnow
    from crm.fleet import service as fleet_service

    async def work(session: AsyncSession) -> str:
        return await fleet_service.reissue_claim(session, name, utcnow())

    code = _in_session(work)
    typer.echo(f"Claim code for {name} (one use, 24 h): run `beacon-gateway enroll CODE` on the Pi")
    typer.echo(code)


async def _existing_gateway(session: AsyncSession, name: str) -> Gateway:
    from crm.gateways.models import Gateway as GatewayRow

    gateway = await session.get(GatewayRow, name)
    if gateway is None:
        raise Problem(404, "Not Found", f"no gateway {name!r}")
    return gateway


@gateway_app.command("rotate")
def gateway_rotate(
    name: Annotated[str, typer.Argument(help="An existing gateway's id.")],
) -> None:
    """A new token for the gateway, alone on the last line; its older tokens are then revoked.

    As ``POST /api/v1/office/gateways/{id}/token``: the new token is committed and printed
    before the old ones are revoked. Put it in the Pi's token file (mode 0600) and restart
    the service, or use ``crm gateway claim`` and ``beacon-gateway enroll`` instead.
    """
    from crm.core.credentials import token_hash
    from crm.gateways import service

    async def issue(session: AsyncSession) -> str:
        return await service.issue_token(session, await _existing_gateway(session, name))

    token = _in_session(issue)
    typer.echo(f"New token for {name} (shown once); its earlier tokens are revoked:")
    typer.echo(token)

    async def revoke_older(session: AsyncSession) -> int:
        return await service.revoke_tokens(session, name, keep=token_hash(token))

    _in_session(revoke_older)


@gateway_app.command("revoke")
def gateway_revoke(
    name: Annotated[str, typer.Argument(help="An existing gateway's id.")],
) -> None:
    """Revoke every token of the gateway: it stops uploading until enrolled again."""
    from crm.gateways import service

    async def work(session: AsyncSession) -> int:
        await _existing_gateway(session, name)
        return await service.revoke_tokens(session, name)

    revoked = _in_session(work)
    typer.echo(
        f"Revoked {revoked} token(s) of {name}; it stops uploading until it gets a new one "
        f"(crm gateway claim {name}, then beacon-gateway enroll on the Pi)."
    )


@visitor_app.command("add")
def visitor_add(
    lang: Annotated[str, typer.Option(help="fr, en, de or nl.")] = "fr",
    wishes: Annotated[str, typer.Option(help="Comma-separated wish slugs.")] = "",
    consent: Annotated[
        str, typer.Option(help="Comma-separated scopes: proximity, personalisation, marketing.")
    ] = "",
    pass_uid: Annotated[
        str | None, typer.Option(help="NAMESPACE:INSTANCE of a UID pass, in hex.")
    ] = None,
    pass_eid: Annotated[
        bool,
        typer.Option(help="Give a new rotating Eddystone-EID pass (prints its key, once)."),
    ] = False,
    pass_eid_public_key: Annotated[
        str | None,
        typer.Option(help="Register an EID pass by its X25519 public key (hex, 32 bytes)."),
    ] = None,
    eid_k: Annotated[int, typer.Option(help="EID rotation exponent K (8 to 12).")] = 10,
    destination: DestinationOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {visitor_id, roadbook_token[, pass]} as JSON.")
    ] = False,
) -> None:
    """Enrol a visitor (desk use); prints the roadbook token once.

    EID passes are the default for new card stock (docs/architecture.md): ``--pass-eid`` generates
    the
    identity key to write to the card; ``--pass-eid-public-key`` registers a card that runs the
    X25519 exchange itself and prints the resolver key to give it.
    """
    from crm.core.serverkey import server_keys
    from crm.core.settings import get_settings
    from crm.passes import service as passes_service
    from crm.visitors import service

    def split(text: str) -> list[str]:
        return [part.strip() for part in text.split(",") if part.strip()]

    try:
        beacon_public = bytes.fromhex(pass_eid_public_key) if pass_eid_public_key else None
    except ValueError:
        typer.secho("error: --pass-eid-public-key is not hex", err=True, fg="red")
        raise typer.Exit(1) from None

    async def work(session: AsyncSession) -> tuple[str, str, dict[str, object] | None]:
        found = await _destination(session, destination)
        enrolment = await service.enrol(
            session,
            found.id,
            language=lang,
            wishes=split(wishes),
            consents=split(consent),
            pass_uid=pass_uid,
            by="desk",
        )
        card: dict[str, object] | None = None
        if pass_eid or beacon_public is not None:
            provisioned = await passes_service.register_eid_pass(
                session,
                found.id,
                server_keys(get_settings())[0],
                rotation_exponent=eid_k,
                beacon_public_key=beacon_public,
                visitor_id=enrolment.visitor.id,
            )
            card = {"type": "eddystone-eid", "k": eid_k}
            if provisioned.identity_key is not None:
                card["identity_key"] = provisioned.identity_key.hex()
            if provisioned.resolver_public_key is not None:
                card["resolver_public_key"] = provisioned.resolver_public_key.hex()
        return str(enrolment.visitor.id), enrolment.roadbook_token, card

    visitor_id, token, card = _in_session(work)
    if as_json:
        answer: dict[str, object] = {"visitor_id": visitor_id, "roadbook_token": token}
        if card:
            answer["pass"] = card
        _emit_json(answer)
    else:
        if card:
            typer.echo(f"EID pass to provision (shown once): {json.dumps(card)}")
        typer.echo(f"Visitor {visitor_id} enrolled; roadbook token (shown once):")
        typer.echo(token)


staff_app = typer.Typer(
    help="Office staff accounts (admin, marketing, desk).", no_args_is_help=True
)
app.add_typer(staff_app, name="staff")


@staff_app.command("add")
def staff_add(
    email: Annotated[str, typer.Argument(help="The staff member's e-mail (their login).")],
    role: Annotated[str, typer.Option(help="admin, marketing or desk.")],
    destination: Annotated[str, typer.Option(metavar="SLUG", help="Destination slug.")],
    name: Annotated[str, typer.Option(help="Display name (default: the e-mail).")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account; the password is prompted for (or read with --password-stdin)."""
    from crm.staff import service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(session: AsyncSession) -> str:
        found = await _destination(session, destination)
        user = await service.add_staff(
            session, found.id, email=email, name=name, role=role, password=password
        )
        return str(user.id)

    user_id = _in_session(work)
    typer.echo(f"Staff account {service.normalize_email(email)} ({role}) created: {user_id}")


rights_app = typer.Typer(
    help="Data-subject rights: the erasure ledger (re-apply it after restoring a backup).",
    no_args_is_help=True,
)
app.add_typer(rights_app, name="rights")


@rights_app.command("reapply-erasures")
def rights_reapply_erasures(
    ledger: Annotated[
        Path | None,
        typer.Option(
            help="Also merge this exported ledger (JSON lines from export-erasures) first: "
            "needed when the backup predates some erasures.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Erase again every visitor in the erasure ledger: run after any restore from backup."""
    from dataclasses import asdict

    from crm.main import install
    from crm.rights import service

    # roadbook / partners erase their own rows through the visitor.erase hook.
    install()

    lines = ledger.read_text(encoding="utf-8").splitlines() if ledger else []

    async def work(session: AsyncSession) -> dict[str, int]:
        added, skipped = await service.merge_ledger(session, lines)
        report = await service.reapply_erasures(session)
        return {"ledger_added": added, "ledger_skipped": skipped, **asdict(report)}

    _emit_json(_in_session(work))


@rights_app.command("export-erasures")
def rights_export_erasures() -> None:
    """Print the erasure ledger as JSON lines, to keep next to (not inside) the backups."""
    from crm.rights import service

    for entry in _in_session(service.ledger_entries):
        _emit_json(entry)


server_key_app = typer.Typer(
    help="The server key that encrypts EID identity keys (docs/operations.md).",
    no_args_is_help=True,
)
app.add_typer(server_key_app, name="server-key")


@server_key_app.command("generate")
def server_key_generate() -> None:
    """Print a new key for BALISE_SERVER_KEY (base64 of 32 random bytes)."""
    from crm.core import serverkey

    typer.echo(serverkey.generate())


@server_key_app.command("reseal")
def server_key_reseal() -> None:
    """Re-encrypt every identity key under BALISE_SERVER_KEY (rotation; reads the previous)."""
    from crm.core import serverkey
    from crm.core.settings import get_settings

    keys = serverkey.server_keys(get_settings())

    async def work(session: AsyncSession) -> int:
        return await serverkey.reseal_identity_keys(session, keys)

    try:
        changed = _in_session(work)
    except serverkey.ServerKeyError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(1) from None
    _emit_json({"resealed": changed})


# The composition root adds the commands of the packages above crm (roadbook's catalogue).
from crm.main import register_commands  # noqa: E402

register_commands(app)
