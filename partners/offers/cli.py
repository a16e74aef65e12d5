"""``crm offers redeem CODE``: take a visitor's single-use code (docs/offers.md § Redemption).

Until the partner portal validates codes at the till, the office (or a script) can take one
here. ``crm`` reaches ``partners`` only through its composition root: ``crm.main`` calls
:func:`register` with the ``crm`` Typer app. The answer goes to stdout (with ``--json``, one
JSON line); a refused code says why on stderr and exits 1, writing nothing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

offers_app = typer.Typer(
    help="Partner offers: take a visitor's redemption code.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the ``offers`` group to the ``crm`` app."""
    app.add_typer(offers_app, name="offers")


@offers_app.command("redeem")
def redeem(
    code: Annotated[str, typer.Argument(help="The code as the visitor shows it (ABCD-EFGH).")],
    destination: Annotated[
        str | None,
        typer.Option(
            metavar="SLUG", help="The destination's slug; may be left out when there is only one."
        ),
    ] = None,
    by: Annotated[
        str, typer.Option(help="Who takes the code (a till, a person), kept with it.")
    ] = "cli",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the redemption as one JSON line.")
    ] = False,
) -> None:
    """Take CODE once (refused, exit 1: unknown, already used, offer not running or out of
    quota)."""
    from crm.core.db import Database, database_url
    from crm.core.settings import get_settings
    from crm.ingest.schemas import rfc3339
    from partners.offers import redemption
    from partners.offers.models import Offer
    from roadbook.content.cli import Refused, destination_of

    async def main() -> dict[str, Any]:
        db = Database(database_url(get_settings()), pool_size=1, max_overflow=0)
        try:
            destination_id, _, _ = await destination_of(db, destination)
            async with db.session(destination_id) as session:
                taken = await redemption.redeem(session, destination_id, code, by)
                offer = await session.get(Offer, taken.offer_id)
                await session.commit()
            assert offer is not None
            assert taken.redeemed_at is not None
            return {
                "code": redemption.display(taken.code),
                "offer": offer.item_id,
                "title": offer.title,
                "redeemed_at": rfc3339(taken.redeemed_at),
                "redeemed_by": taken.redeemed_by,
            }
        finally:
            await db.dispose()

    try:
        answer = asyncio.run(main())
    except (Refused, redemption.RedemptionRefused) as refused:
        typer.secho(f"error: {refused}", err=True, fg="red")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False))
    else:
        title = next(iter(answer["title"].values()), "")
        typer.echo(f"{answer['code']} redeemed: {title} ({answer['redeemed_at']})")
