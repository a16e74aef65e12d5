"""What the office pages of other packages share around their lists and forms.

- :func:`posted_form` reads a POSTed form behind its CSRF check (the 403 page otherwise, so the
  route changes nothing);
- :func:`render_form_page` renders a form page with the package's words (``w``, ``word``) and a
  message next to each bad field (``errors``, ``first_error``: the field that gets the focus);
- :func:`list_context` gives a list page its filters and the links to the previous and next page;
- :func:`not_found_page` is the 404 page of an edit form whose record does not exist;
- :class:`RecordPages` binds both to one package's pages (its words, its list, its form's size)
  and runs a POST on one record: the form checked, the record read, or the 403 or 404 page.

A template reads the field macros of ``office/macros.html`` (``{% import "office/macros.html"
as m with context %}``), which use ``errors`` and ``first_error`` (and a list's ``filters``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar
from urllib.parse import urlencode

from fastapi import Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from crm.core.db import Database
from crm.core.settings import Settings
from crm.core.vocabulary import LANGUAGE_NAMES, WISHES
from crm.office import language as office_language
from crm.office.render import render_office_page
from crm.office.session import OfficeSession, require_office_role, token_matches
from crm.office.signin import denied_page
from crm.office.texts import DAY_NAMES, PageTexts
from crm.visitors.pages import WISH_LABELS

# The pages that edit the destination's content (catalogue, offers): marketing and admin.
EditorDep = Annotated[OfficeSession, Depends(require_office_role("marketing"))]
PAGE_SIZE = 20  # a list's rows a page
PostedForm = dict[str, list[str]]
_Record = TypeVar("_Record")
_Result = TypeVar("_Result")


class Problem(Protocol):
    """A message for one field: a key of the page's words and the values it is filled with."""

    @property
    def key(self) -> str: ...

    @property
    def values(self) -> Mapping[str, object]: ...


def first(form: Mapping[str, Sequence[str]], name: str) -> str:
    """A form field's first value ("" when absent)."""
    return (form.get(name) or [""])[0]


async def posted_form(
    request: Request, office: OfficeSession, settings: Settings, *, max_fields: int
) -> PostedForm | Response:
    """The POSTed form, or the 403 page (nothing changed) when it is unreadable (files, more than
    ``max_fields`` fields, a part over 16 KiB) or its CSRF token is not the session's."""
    try:
        data = await request.form(max_files=0, max_fields=max_fields, max_part_size=16_384)
    except HTTPException:
        data = None
    if data is not None:
        form = {key: [v for v in data.getlist(key) if isinstance(v, str)] for key in data}
        if token_matches(office.csrf, first(form, "csrf")):
            return form
    language = office_language.negotiate(request)
    return denied_page(request, language, settings, signed_in=True)


def render_form_page(
    request: Request,
    office: OfficeSession,
    template: str,
    texts: PageTexts,
    context: Mapping[str, Any],
    *,
    title: str,
    problems: Mapping[str, Problem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A form page: ``context``, the package's words, each bad field's message, and what every
    office form offers: ``language_names`` (code: name), ``days`` and ``wishes`` ((value, label)
    pairs for their boxes) and ``zone`` (the destination's time zone, the one of its times)."""
    language = office_language.negotiate(request)
    errors = {
        name: texts.word(problem.key, language, **problem.values)
        for name, problem in (problems or {}).items()
    }
    return render_office_page(
        request,
        office,
        template,
        {
            **texts.context(language),
            "errors": errors,
            "first_error": next(iter(errors), None),
            "language_names": LANGUAGE_NAMES,
            "days": [(day, DAY_NAMES[day][language]) for day in DAY_NAMES],
            "wishes": [(slug, WISH_LABELS[slug][language]) for slug in WISHES],
            "zone": office.timezone,
            **context,
        },
        title=title,
        status_code=status_code,
    )


def page_count(total: int, size: int) -> int:
    """How many pages of ``size`` rows ``total`` rows fill (one at least)."""
    return max(1, math.ceil(total / size))


def list_context(
    path: str, filters: Mapping[str, str], total: int, page: int, pages: int
) -> dict[str, Any]:
    """A list page's filters, row count and pager: the links keep the filters that are set."""

    def link(number: int) -> str:
        kept = [(k, v) for k, v in filters.items() if v]
        return f"{path}?{urlencode([*kept, ('page', str(number))])}"

    return {
        "filters": filters,
        "total": total,
        "page": page,
        "pages": pages,
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
    }


def not_found_page(
    request: Request, office: OfficeSession, texts: PageTexts, back: str
) -> HTMLResponse:
    """The 404 page: the words ``not_found`` and ``back`` (a link to ``back``, the list)."""
    language = office_language.negotiate(request)
    return render_office_page(
        request,
        office,
        "office/denied.html",
        {
            "message": texts.word("not_found", language),
            "back": back,
            "back_label": texts.word("back", language),
        },
        title=texts.word("not_found", language),
        status_code=404,
    )


# The lock a form's change holds on its record (FOR NO KEY UPDATE, as an update takes):
# RecordPages.change.
EDIT_LOCK = {"key_share": True}


@dataclass(frozen=True, slots=True)
class RecordPages:
    """One package's list and edit pages (the catalogue's items, the offers): its ``texts``, the
    path of its list (``list_path``, the 404 page's way back) and how many fields its forms may
    post."""

    texts: PageTexts
    list_path: str
    max_fields: int

    async def posted_form(
        self, request: Request, office: OfficeSession, settings: Settings
    ) -> PostedForm | Response:
        """The POSTed form, or the 403 page (:func:`posted_form`)."""
        return await posted_form(request, office, settings, max_fields=self.max_fields)

    def not_found(self, request: Request, office: OfficeSession) -> HTMLResponse:
        """The 404 page of a record that does not exist (:func:`not_found_page`)."""
        return not_found_page(request, office, self.texts, self.list_path)

    async def change(
        self,
        request: Request,
        office: OfficeSession,
        db: Database,
        settings: Settings,
        model: type[_Record],
        record_id: uuid.UUID,
        change: Callable[[AsyncSession, _Record, PostedForm], Awaitable[_Result]],
    ) -> _Result | Response:
        """A POST on one record: what ``change`` gives for the checked form and the ``model``
        row ``record_id`` (in a session of the office's destination, open while it runs); the
        403 page for a bad form (nothing read), the 404 page for no such record.

        The row is locked from its read (:data:`EDIT_LOCK`):
        another writer of it (an import, a colleague's save) waits for this change to commit
        and then sees it, rather than each writing what it computed from what it read before
        the other wrote (an event's active range from its dates:
        tests/crm/test_office_catalogue.py). Foreign key checks of rows that reference it (a
        roadbook issuing an offer's code) do not wait."""
        form = await self.posted_form(request, office, settings)
        if isinstance(form, Response):
            return form
        async with db.session(office.staff.destination_id) as session:
            record = await session.get(model, record_id, with_for_update=EDIT_LOCK)
            if record is None:
                return self.not_found(request, office)
            return await change(session, record, form)
