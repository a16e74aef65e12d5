"""Office test helpers: a destination with staff of every role, a partner, a site, a gateway and
two visitors, each principal with a ready bearer secret (no argon2 cost per test); and what the
tests of the office's pages share (a signed-in client, a form's CSRF token and fields, the audit
log; in a browser: sign in, seed and read through a live server, the checks every page passes)."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2
import pytest
from ingest_support import make_client
from sqlalchemy import select
from sqlmodel import SQLModel, col

from crm.core import credentials
from crm.core.audit import AuditLog
from crm.core.db import Database
from crm.core.models import utcnow
from crm.destinations import service as destinations
from crm.gateways import service as gateways
from crm.passes import service as passes
from crm.staff import service as staff_service
from crm.staff.models import StaffUser
from crm.visitors import service as visitors
from partners.offers.models import Offer
from roadbook.content.models import ContentItem

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "marketing", "desk")


@cache
def password_hash() -> str:
    """One argon2 hash of ``PASSWORD``, shared by every seeded account."""
    return staff_service.hash_password(PASSWORD)


@dataclass
class Office:
    """One seeded destination and the secrets of everyone who may call its API."""

    slug: str
    destination_id: uuid.UUID
    partner_id: uuid.UUID
    site_id: uuid.UUID
    gateway_id: str
    gateway_token: str
    pass_id: uuid.UUID | None = None  # visitor A's UID pass
    item_id: uuid.UUID | None = None  # a catalogue item (the office's own)
    offer_id: uuid.UUID | None = None  # a partner offer (a draft)
    staff_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # role → id
    emails: dict[str, str] = field(default_factory=dict)  # role → e-mail
    staff_tokens: dict[str, str] = field(default_factory=dict)  # role → bearer token
    visitor_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    roadbook_tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff_tokens[role]}"}

    def ids(self) -> set[str]:
        """Every id of this destination a response could leak."""
        return {
            str(self.destination_id),
            str(self.partner_id),
            str(self.site_id),
            str(self.pass_id),
            str(self.item_id),
            str(self.offer_id),
            self.gateway_id,
            *(str(i) for i in self.staff_ids.values()),
            *(str(i) for i in self.visitor_ids.values()),
        }


async def seed_office(db: Database, slug: str | None = None) -> Office:
    """A destination with one partner, one site, one gateway, two visitors, three staff, a
    catalogue item and a draft offer."""
    slug = slug or f"dest-{uuid.uuid4().hex[:8]}"
    async with db.session(system=True) as session:
        destination = await destinations.create_destination(session, slug, slug.title())
        partner = await destinations.add_partner(
            session, destination.id, f"zoo-{slug}", "Zoo d'Amnéville"
        )
        site = await destinations.add_site(
            session,
            destination.id,
            "zoo",
            "Zoo",
            partner_id=partner.id,
            latitude=49.26,
            longitude=6.14,
            opening_hours={"mon": [["09:00", "18:00"]]},
        )
        gateway, gateway_token = await gateways.add_gateway(session, f"gw-{slug}", site)
        office = Office(
            slug=slug,
            destination_id=destination.id,
            partner_id=partner.id,
            site_id=site.id,
            gateway_id=gateway.id,
            gateway_token=gateway_token,
        )
        for name in ("a", "b"):
            enrolment = await visitors.enrol(
                session, destination.id, consents=["proximity", "personalisation"]
            )
            office.visitor_ids[name] = enrolment.visitor.id
            office.roadbook_tokens[name] = enrolment.roadbook_token
        card = await passes.register_uid_pass(
            session, destination.id, "a1b2c3d4e5f60718293a", uuid.uuid4().hex[:12]
        )
        await visitors.assign_pass(session, card.id, office.visitor_ids["a"])
        office.pass_id = card.id
        item = ContentItem(
            destination_id=destination.id,
            kind="place",
            slug="lac",
            title={"fr": "Le lac"},
            site_id=site.id,
            contact={"websites": ["https://lac.example/"]},
        )
        session.add(item)
        office.item_id = item.id
        offer = Offer(
            destination_id=destination.id,
            partner_id=partner.id,
            title={"fr": "Entrée -10 %"},
            valid_from=utcnow() - timedelta(days=1),
            valid_until=utcnow() + timedelta(days=30),
        )
        session.add(offer)
        office.offer_id = offer.id
        for role in ROLES:
            user = StaffUser(
                destination_id=destination.id,
                email=f"{role}@{slug}.example",
                name=role.title(),
                role=role,
                password_hash=password_hash(),
            )
            session.add(user)
            await session.flush()
            token = await credentials.issue(
                session,
                "staff",
                str(user.id),
                destination.id,
                expires_at=utcnow() + timedelta(hours=1),
            )
            office.staff_ids[role] = user.id
            office.emails[role] = user.email
            office.staff_tokens[role] = token
        await session.commit()
    return office


# The fixtures tests/crm and tests/partners both offer (each conftest imports them).
@pytest.fixture
async def office(db: Database) -> Office:
    """A destination with a partner (its site "zoo"), sites, a gateway, a pass, staff of every
    role and two visitors."""
    return await seed_office(db)


@pytest.fixture
async def other(db: Database) -> Office:
    """Another destination, seeded like ``office``."""
    return await seed_office(db)


# --- the office's pages over HTTP ----------------------------------------------------------------

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx2.Response) -> str:
    """The CSRF token of the first form on ``page``."""
    found = CSRF.search(page.text)
    assert found, page.text[:2000]
    return html.unescape(found.group(1))


async def signed_in(db: Database, office: Office, role: str) -> httpx2.AsyncClient:
    """A client signed in to the office pages as ``office``'s staff member of ``role``."""
    client = make_client(db)
    client.cookies.set("balise_office", office.staff_tokens[role], path="/office")
    return client


def form_fields(page: httpx2.Response, form: str, **changes: str | list[str]) -> dict[str, Any]:
    """The fields of ``page``'s form of class ``form`` as a browser would send them (inputs,
    textareas, ticked boxes, the picked radio, selected options), with ``changes``."""
    text = page.text.split(f'class="{form}"', 1)[1].split("</form>", 1)[0]
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", text):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        raw = html.unescape(value.group(1)) if value else ""
        if kind and kind.group(1) in ("checkbox", "radio"):
            if " checked" in tag:
                if kind.group(1) == "radio":
                    data[name.group(1)] = raw
                else:
                    data.setdefault(name.group(1), []).append(raw)
            continue
        data[name.group(1)] = raw
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', text, re.S):
        data[name] = html.unescape(body)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', text, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    data.update(changes)
    return data


async def audits(db: Database, office: Office, prefix: str) -> list[AuditLog]:
    """``office``'s audit entries whose action starts with ``prefix`` ("offer."), oldest first."""
    async with db.session(system=True) as session:
        rows = await session.execute(
            select(AuditLog)
            .where(
                col(AuditLog.destination_id) == office.destination_id,
                col(AuditLog.action).startswith(prefix),
            )
            .order_by(col(AuditLog.id))
        )
        return list(rows.scalars().all())


# --- the office's pages in a browser (against tests.conftest.LiveServer) -------------------------

T = TypeVar("T")
Row = TypeVar("Row", bound=SQLModel)


def run_sync(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its end in a thread of its own (pytest-asyncio may run a loop in this)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result(timeout=60)


def seed_live(database_url: str) -> Office:
    """``seed_office`` in the live server's database."""

    async def seed() -> Office:
        db = Database(database_url)
        try:
            return await seed_office(db)
        finally:
            await db.dispose()

    return run_sync(seed())


def read_live(database_url: str, model: type[Row], row_id: uuid.UUID | None) -> Row:
    """The row ``row_id`` of ``model`` as the live server's database holds it now."""

    async def read() -> Row:
        db = Database(database_url)
        try:
            async with db.session(system=True) as session:
                row = await session.get(model, row_id)
                assert row is not None
                return row
        finally:
            await db.dispose()

    return run_sync(read())


def french_page(browser: Browser, viewport: dict[str, int]) -> tuple[Page, list[ConsoleMessage]]:
    """A new page of ``viewport`` size in a French browser, and the console messages it logs."""
    console: list[ConsoleMessage] = []
    page = browser.new_page(viewport=viewport, locale="fr-FR")  # type: ignore[arg-type]
    page.on("console", lambda message: console.append(message))
    return page, console


def sign_in_page(page: Page, url: str, office: Office, role: str = "marketing") -> None:
    """Open ``url`` (an office page), sign in on the form it sends to, and come back to it."""
    page.goto(url)
    page.fill("#email", office.emails[role])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert page.url == url


def open_office_list(
    page: Page, url: str, office: Office, *, menu: str, caption: str, shot: Path
) -> None:
    """Sign in to the list at ``url``: its menu entry (``menu``) is the current one, its table's
    caption says ``caption``; a screenshot of the whole page to ``shot``."""
    sign_in_page(page, url, office)
    assert page.locator(".menu a[aria-current=page]").inner_text() == menu
    assert page.locator("caption").inner_text() == caption
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    no_sideways_scroll(page)


def open_office_form(page: Page, link: str, *, desktop: bool, shot: Path) -> None:
    """Open the record ``link`` from its list: its edit form, under its title, shows the four
    languages side by side on a desktop and stacked on a phone; a screenshot to ``shot``."""
    with page.expect_navigation():
        page.get_by_role("link", name=link).click()
    assert page.locator("h1").inner_text() == link
    legends = page.locator("fieldset.language > legend")
    assert legends.all_inner_texts() == ["Français", "English", "Deutsch", "Nederlands"]
    boxes = [legends.nth(i).bounding_box() for i in range(4)]
    tops = {round(box["y"]) for box in boxes if box}
    assert len(tops) == (1 if desktop else 4), tops
    page.screenshot(path=str(shot), full_page=True)
    no_sideways_scroll(page)


def save_refused(page: Page, field: str, message: str) -> None:
    """Save the form (its first button): refused, ``message`` next to ``field``, which has the
    focus."""
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").first.click()
    assert page.locator("[role=alert]").inner_text().startswith("Corrigez les champs signalés")
    assert page.locator(f"#{field}-error").inner_text() == message
    assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == field


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.viewport_size is not None and width <= page.viewport_size["width"], width


def page_problems(console: list[ConsoleMessage]) -> list[str]:
    """What went wrong in the console: any CSP refusal, any error but a refused form's 422."""
    blocked = [m.text for m in console if "Content Security Policy" in m.text]
    errors = [m.text for m in console if m.type == "error" and "status of 422" not in m.text]
    return blocked + errors
