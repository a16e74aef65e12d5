"""Data-subject rights: access / portability (export) and erasure (audit: ``crm.core.audit``).

Erasure (``erase_visitors``) removes everything that refers to a visitor:

- proximity events (every monthly partition) are first added to the anonymous per-site, per-hour
  ``presence_count`` — the same anonymous form an unconsented event takes at ingest — then
  deleted; the ``ingested_event`` dedup ledger keeps the bare event ids (no visitor in it), so a
  retried batch cannot bring the events back;
- visits, the consent ledger and roadbook tokens are deleted; passes (``device``) are unassigned
  and go back to the office's stock (a pass is the office's card, not the visitor's data);
- audit entries about the visitor are kept for accountability but lose the visitor id (they then
  say "someone's data was read by X at T");
- the ``visitor.erase`` hook lets ``roadbook`` / ``partners`` delete their rows (exposures,
  redemptions...);
- the visitor's pseudonymous id goes into ``erasure_ledger`` — the one place it survives, so that
  ``reapply_erasures`` can erase it again after a backup is restored.

Functions here take a session and never commit: the caller owns the transaction. They work in a
tenant session (RLS on) or a ``system`` one: every statement filters on ``destination_id``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import Uuid
from sqlmodel import col

from crm.core import hooks
from crm.core.audit import AuditLog
from crm.core.credentials import Credential
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.ingest.models import ProximityEvent
from crm.passes.models import Device
from crm.rights.models import ErasureLedger
from crm.visitors import notice
from crm.visitors import service as visitors_service
from crm.visitors.consent import consent_state
from crm.visitors.models import Consent, Visitor
from crm.visits import follower as visits_follower
from crm.visits.models import Visit

EXPORT_FORMAT = "balise-visitor-export/1"
# Sections of the export document that hooks may not replace.
CORE_SECTIONS = frozenset(
    {
        "format",
        "generated_at",
        "destination",
        "visitor",
        "consent_state",
        "consents",
        "devices",
        "roadbook_tokens",
        "visits",
        "proximity_events",
        "audit_log",
        "processing",
    }
)


def rolled_up(deletion: str) -> TextClause:
    """A statement that runs ``deletion`` (SQL deleting proximity events ``RETURNING
    destination_id, site_id, observed_at, kind``), counts what it removed into the anonymous
    hourly ``presence_count``, and answers how many events went. ``deletion`` is constant SQL."""
    return text(
        f"""WITH gone AS ({deletion}
), counted AS (
    INSERT INTO presence_count AS c (destination_id, site_id, hour, kind, count)
    SELECT destination_id, site_id, date_trunc('hour', observed_at, 'UTC'), kind, count(*)
    FROM gone GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (destination_id, site_id, hour, kind) DO UPDATE SET count = c.count + excluded.count
)
SELECT count(*) FROM gone"""  # noqa: S608 - constant SQL of this package only
    )


_ROLL_UP_AND_DELETE_EVENTS = rolled_up("""
    DELETE FROM proximity_event
    WHERE destination_id = :dest AND visitor_id = ANY(:ids)
    RETURNING destination_id, site_id, observed_at, kind""").bindparams(
    bindparam("ids", type_=ARRAY(Uuid()))
)

_LOCK_VISITORS = text("""
SELECT 1 FROM visitor WHERE destination_id = :dest AND id = ANY(:ids) ORDER BY id FOR UPDATE
""").bindparams(bindparam("ids", type_=ARRAY(Uuid())))


@dataclass(slots=True)
class ErasureReport:
    """What an erasure removed (counts of rows)."""

    visitors: int = 0
    events: int = 0
    visits: int = 0
    consents: int = 0
    devices_unassigned: int = 0
    credentials: int = 0
    audit_entries_anonymised: int = 0

    def add(self, other: ErasureReport) -> None:
        """Accumulate another report into this one."""
        for count in fields(self):
            setattr(self, count.name, getattr(self, count.name) + getattr(other, count.name))


def _dump(row: Any, *, exclude: set[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = row.model_dump(mode="json", exclude=exclude)
    return data


async def _visitor_rows(
    session: AsyncSession, model: Any, visitor: Visitor, *order: Any
) -> Sequence[Any]:
    """``visitor``'s rows of ``model`` (by its ``visitor_id``, in the visitor's destination)."""
    statement = (
        select(model)
        .where(
            col(model.destination_id) == visitor.destination_id,
            col(model.visitor_id) == visitor.id,
        )
        .order_by(*order)
    )
    return (await session.execute(statement)).scalars().all()


async def export_visitor(
    session: AsyncSession, visitor: Visitor, settings: Settings
) -> dict[str, Any]:
    """Everything held about ``visitor``, as one JSON-ready document (GDPR art. 15 and 20).

    Packages add their own sections through the ``visitor.export`` hook. Key material (EID
    identity keys, token hashes) is never included: it is the office's, and it would let the
    holder of the file compute the pass's future identifiers.
    """
    dest, vid = visitor.destination_id, visitor.id
    destination = await session.get(Destination, dest)
    ledger = await visitors_service.consent_ledger(session, vid)
    devices = await _visitor_rows(session, Device, visitor, col(Device.created_at))
    tokens = (
        (
            await session.execute(
                select(Credential)
                .where(
                    col(Credential.destination_id) == dest,
                    col(Credential.kind) == "roadbook",
                    col(Credential.subject) == str(vid),
                )
                .order_by(col(Credential.created_at))
            )
        )
        .scalars()
        .all()
    )
    visits = await _visitor_rows(session, Visit, visitor, col(Visit.first_seen_at))
    events = await _visitor_rows(
        session, ProximityEvent, visitor, col(ProximityEvent.observed_at), col(ProximityEvent.id)
    )
    audits = await _visitor_rows(session, AuditLog, visitor, col(AuditLog.at), col(AuditLog.id))
    shown = notice.render(
        visitor.language,
        retention_days=settings.retention_days_after_stay,
        inactivity_days=settings.profile_inactivity_days,
    )
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "generated_at": utcnow().isoformat(),
        "destination": {
            "id": str(dest),
            "slug": destination.slug if destination else None,
            "name": destination.name if destination else None,
        },
        "visitor": _dump(visitor),
        "consent_state": consent_state(ledger),
        "consents": [_dump(c, exclude={"destination_id"}) for c in ledger],
        "devices": [
            _dump(d, exclude={"destination_id", "identity_key_enc"}) | {"visitor_id": str(vid)}
            for d in devices
        ],
        "roadbook_tokens": [
            {"created_at": t.created_at, "expires_at": t.expires_at, "revoked_at": t.revoked_at}
            for t in tokens
        ],
        "visits": [_dump(v, exclude={"destination_id"}) for v in visits],
        "proximity_events": [_dump(e, exclude={"destination_id"}) for e in events],
        "audit_log": [_dump(a, exclude={"destination_id"}) for a in audits],
        "processing": {
            "controller": destination.name if destination else None,
            "purposes": shown.scopes,
            "retention": shown.retention,
            "rights": shown.rights,
            "source": "you (enrolment and consent choices) and the gateways at partner sites "
            "(proximity events, when you consented to proximity)",
            "recipients": "the tourist office; partners receive aggregate figures only",
        },
    }
    for section in await hooks.run(hooks.VISITOR_EXPORT, session, visitor):
        for key, value in dict(section).items():
            if key in document:
                raise RuntimeError(f"visitor.export hook tried to replace section {key!r}")
            document[key] = value
    return document


async def erase_visitors(
    session: AsyncSession,
    destination_id: uuid.UUID,
    visitor_ids: Sequence[uuid.UUID],
    *,
    by: str,
    at: datetime | None = None,
) -> ErasureReport:
    """Erase visitors of one destination and everything that refers to them; idempotent.

    Writes each id to ``erasure_ledger`` (an existing entry is kept as it was). Ids with no
    data left are harmless: this is also how ``reapply_erasures`` re-erases restored rows.
    """
    ids = list(dict.fromkeys(visitor_ids))
    report = ErasureReport()
    if not ids:
        return report
    at = at or utcnow()
    # Lock order against the visits follower (which holds queued sightings, then the visitors
    # it merges): first strip the queue, then lock the visitors, then delete what they own.
    await visits_follower.forget(session, destination_id, ids)
    await session.execute(_LOCK_VISITORS, {"dest": destination_id, "ids": ids})
    # Other packages first, while the visitor rows they may join on still exist.
    await hooks.run(hooks.VISITOR_ERASE, session, destination_id, ids)
    report.events = int(
        (
            await session.execute(_ROLL_UP_AND_DELETE_EVENTS, {"dest": destination_id, "ids": ids})
        ).scalar_one()
    )

    def _count(result: Any) -> int:
        return int(result.rowcount or 0)

    report.visits = _count(
        await session.execute(
            delete(Visit).where(
                col(Visit.destination_id) == destination_id, col(Visit.visitor_id).in_(ids)
            )
        )
    )
    report.consents = _count(
        await session.execute(
            delete(Consent).where(
                col(Consent.destination_id) == destination_id, col(Consent.visitor_id).in_(ids)
            )
        )
    )
    report.credentials = _count(
        await session.execute(
            delete(Credential).where(
                col(Credential.destination_id) == destination_id,
                col(Credential.kind) == "roadbook",
                col(Credential.subject).in_([str(i) for i in ids]),
            )
        )
    )
    report.devices_unassigned = _count(
        await session.execute(
            update(Device)
            .where(col(Device.destination_id) == destination_id, col(Device.visitor_id).in_(ids))
            .values(visitor_id=None, health={})
        )
    )
    report.audit_entries_anonymised = _count(
        await session.execute(
            update(AuditLog)
            .where(
                col(AuditLog.destination_id) == destination_id, col(AuditLog.visitor_id).in_(ids)
            )
            .values(visitor_id=None, detail={"visitor": "erased"})
        )
    )
    report.visitors = _count(
        await session.execute(
            delete(Visitor).where(
                col(Visitor.destination_id) == destination_id, col(Visitor.id).in_(ids)
            )
        )
    )
    await session.execute(
        insert(ErasureLedger)
        .values(
            [
                {"destination_id": destination_id, "visitor_id": i, "erased_at": at, "by": by}
                for i in ids
            ]
        )
        .on_conflict_do_nothing(index_elements=["visitor_id"])
    )
    return report


async def erase_visitor(
    session: AsyncSession, visitor: Visitor, *, by: str, at: datetime | None = None
) -> ErasureReport:
    """Erase one visitor (see ``erase_visitors``)."""
    return await erase_visitors(session, visitor.destination_id, [visitor.id], by=by, at=at)


async def reapply_erasures(session: AsyncSession, *, batch_size: int = 500) -> ErasureReport:
    """Erase again every visitor listed in ``erasure_ledger`` — run after restoring a backup.

    Needs a ``system`` session (the ledger of every destination). Idempotent: on a database
    where nothing came back it only finds nothing to delete.
    """
    total = ErasureReport()
    after: tuple[uuid.UUID, uuid.UUID] | None = None
    while True:
        query = select(col(ErasureLedger.destination_id), col(ErasureLedger.visitor_id)).order_by(
            col(ErasureLedger.destination_id), col(ErasureLedger.visitor_id)
        )
        if after is not None:
            query = query.where(
                (col(ErasureLedger.destination_id) > after[0])
                | (
                    (col(ErasureLedger.destination_id) == after[0])
                    & (col(ErasureLedger.visitor_id) > after[1])
                )
            )
        rows = (await session.execute(query.limit(batch_size))).all()
        if not rows:
            return total
        by_destination: dict[uuid.UUID, list[uuid.UUID]] = {}
        for destination_id, visitor_id in rows:
            by_destination.setdefault(destination_id, []).append(visitor_id)
        for destination_id, ids in by_destination.items():
            total.add(await erase_visitors(session, destination_id, ids, by="reapply"))
        after = (rows[-1][0], rows[-1][1])


async def ledger_entries(session: AsyncSession) -> list[dict[str, str]]:
    """The whole erasure ledger (a ``system`` session), JSON-ready, oldest first.

    Keep a copy outside the database (``crm rights export-erasures``): restoring a backup
    taken before an erasure also restores a ledger without it.
    """
    rows = (
        (
            await session.execute(
                select(ErasureLedger).order_by(
                    col(ErasureLedger.erased_at), col(ErasureLedger.visitor_id)
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        {
            "destination_id": str(r.destination_id),
            "visitor_id": str(r.visitor_id),
            "erased_at": r.erased_at.isoformat(),
            "by": r.by,
        }
        for r in rows
    ]


async def merge_ledger(session: AsyncSession, lines: Sequence[str]) -> tuple[int, int]:
    """Add the entries of an exported ledger (JSON lines) that the database lacks.

    All or nothing: a malformed line raises ``Problem`` (422) naming it before anything is
    written. Entries of destinations this database does not hold are skipped (nothing of theirs
    can be here). Returns (entries added, entries of unknown destinations skipped).
    """
    from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

    from crm.core.errors import Problem

    class _Entry(BaseModel):
        model_config = ConfigDict(extra="ignore")
        destination_id: uuid.UUID
        visitor_id: uuid.UUID
        erased_at: AwareDatetime
        by: str

    entries: list[_Entry] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(_Entry.model_validate_json(line))
        except ValidationError as exc:
            raise Problem(
                422, "Unprocessable Content", f"ledger line {number}: {exc.errors()[0]['msg']}"
            ) from None
    known = set((await session.execute(select(col(Destination.id)))).scalars())
    wanted = [e for e in entries if e.destination_id in known]
    added = 0
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        result = await session.execute(
            insert(ErasureLedger)
            .values(
                [
                    {
                        "destination_id": e.destination_id,
                        "visitor_id": e.visitor_id,
                        "erased_at": e.erased_at,
                        "by": e.by[:128],
                    }
                    for e in chunk
                ]
            )
            .on_conflict_do_nothing(index_elements=["visitor_id"])
            .returning(col(ErasureLedger.visitor_id))
        )
        added += len(result.all())
    return added, len(entries) - len(wanted)
