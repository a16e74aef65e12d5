"""The ``crm`` command line: what operators and installers script against (DESIGN.md §4).

Every command reads ``DATABASE_URL``, or starts/uses the embedded server under ``.balise/``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.errors import Problem

app = typer.Typer(
    name="crm",
    help="Balise CRM: serve the API and pages, migrate the database, "
    "manage sites, gateways and visitors.",
    no_args_is_help=True,
    add_completion=False,
)
site_app = typer.Typer(help="Sites of the destination.", no_args_is_help=True)
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


app.add_typer(site_app, name="site")
app.add_typer(gateway_app, name="gateway")
app.add_typer(visitor_app, name="visitor")

T = TypeVar("T")


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed system session (operators act across tenants)."""
    from crm.core.db import Database, database_url
    from crm.core.schema import load_models
    from crm.core.settings import get_settings

    load_models()

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
        typer.secho(f"error: {problem.detail or problem.title}", err=True, fg="red")
        raise typer.Exit(1) from None


@app.command()
def migrate() -> None:
    """Upgrade the database schema to this version (safe to run on a live system)."""
    from alembic import command
    from alembic.config import Config

    from crm.core.db import database_url
    from crm.core.settings import PROJECT_ROOT, get_settings

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url(get_settings()).replace("%", "%%"))
    command.upgrade(config, "head")
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
    from crm.main import register_packages

    register_packages()
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
    typer.echo(f"API documentation: {base_url}/docs")


def _emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


@site_app.command("list")
def site_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List sites (id, slug, name, kind, position)."""
    from crm.destinations import service

    sites = _in_session(service.list_sites)
    rows = [
        {
            "id": str(s.id),
            "slug": s.slug,
            "name": s.name,
            "kind": s.kind,
            "destination_id": str(s.destination_id),
            "latitude": s.latitude,
            "longitude": s.longitude,
        }
        for s in sites
    ]
    if as_json:
        _emit_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['slug']:<22} {row['name']:<32} {row['id']}")


@gateway_app.command("add")
def gateway_add(
    name: Annotated[str, typer.Argument(help="The gateway's id, e.g. zoo-1.")],
    site: Annotated[str, typer.Option(help="Site slug or id.")],
    claim: Annotated[
        bool,
        typer.Option(
            "--claim",
            help="Print a one-time claim code (valid 24 h) for `beacon-gateway enroll CODE` "
            "instead of the token.",
        ),
    ] = False,
) -> None:
    """Register a gateway; prints its token once, alone on the last line (only its hash is kept)."""
    from crm.core.models import utcnow
    from crm.destinations import service as destinations_service
    from crm.gateways import fleet_service, service

    async def work(session: AsyncSession) -> str:
        found = await destinations_service.find_site(session, site)
        if claim:
            _, code = await fleet_service.add_gateway_with_claim(session, name, found, utcnow())
            return code
        _, token = await service.add_gateway(session, name, found)
        return token

    token = _in_session(work)
    if claim:
        typer.echo(
            f"Gateway {name} registered at {site}. On the Pi, within 24 h, run "
            "`beacon-gateway enroll CODE` with this one-time claim code:"
        )
    else:
        typer.echo(f"Gateway {name} registered at {site}. Its token (shown once):", err=False)
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
    from crm.gateways import fleet_service

    async def work(session: AsyncSession) -> str:
        return await fleet_service.reissue_claim(session, name, utcnow())

    code = _in_session(work)
    typer.echo(f"Claim code for {name} (one use, 24 h): run `beacon-gateway enroll CODE` on the Pi")
    typer.echo(code)


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
    destination: Annotated[
        str | None, typer.Option(help="Destination slug (default: the only one).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {visitor_id, roadbook_token[, pass]} as JSON.")
    ] = False,
) -> None:
    """Enrol a visitor (desk use); prints the roadbook token once.

    EID passes are the default for new card stock (DESIGN §6): ``--pass-eid`` generates the
    identity key to write to the card; ``--pass-eid-public-key`` registers a card that runs the
    X25519 exchange itself and prints the resolver key to give it.
    """
    from sqlalchemy import select

    from crm.core.serverkey import server_keys
    from crm.core.settings import get_settings
    from crm.destinations.models import Destination
    from crm.gateways import service as gateways_service
    from crm.visitors import service

    def split(text: str) -> list[str]:
        return [part.strip() for part in text.split(",") if part.strip()]

    try:
        beacon_public = bytes.fromhex(pass_eid_public_key) if pass_eid_public_key else None
    except ValueError:
        typer.secho("error: --pass-eid-public-key is not hex", err=True, fg="red")
        raise typer.Exit(1) from None

    async def work(session: AsyncSession) -> tuple[str, str, dict[str, object] | None]:
        query = select(Destination)
        if destination:
            query = query.where(col(Destination.slug) == destination)
        found = (await session.execute(query)).scalars().all()
        if len(found) != 1:
            raise Problem(
                400,
                "Bad Request",
                "name the destination with --destination SLUG"
                if found
                else f"no destination {destination or ''}".strip(),
            )
        enrolment = await service.enrol(
            session,
            found[0].id,
            language=lang,
            wishes=split(wishes),
            consents=split(consent),
            pass_uid=pass_uid,
            by="desk",
        )
        card: dict[str, object] | None = None
        if pass_eid or beacon_public is not None:
            provisioned = await gateways_service.register_eid_pass(
                session,
                found[0].id,
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
    destination: Annotated[str, typer.Option(help="Destination slug.")],
    name: Annotated[str, typer.Option(help="Display name (default: the e-mail).")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account; the password is prompted for (or read with --password-stdin)."""
    from crm.destinations import service as destinations_service
    from crm.staff import service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(session: AsyncSession) -> str:
        found = await destinations_service.destination_by_slug(session, destination)
        if found is None:
            raise Problem(404, "Not Found", f"no destination {destination!r}")
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

    from crm.main import register_packages
    from crm.rights import service

    # roadbook / partners erase their own rows through the visitor.erase hook.
    register_packages()

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
