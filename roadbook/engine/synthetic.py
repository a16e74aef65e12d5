"""Builders of engine inputs with sensible defaults, and a generated destination.

Used by the engine's tests (named cases read as one line each) and by its benchmark
(``bench/roadbook_engine.py``: 2,000 candidates in realistic proportions). Deterministic: the
generated destination depends only on its seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from crm.core.vocabulary import LANGUAGES, WISHES
from roadbook.content.hours import Period, Rule, Schedule
from roadbook.engine.inputs import (
    PARIS,
    Candidate,
    Caps,
    Exposure,
    OfferTerms,
    Position,
    SiteAt,
    Targeting,
    VisitorContext,
)

# Tuesday 14 July 2026, 10:00 in Paris: the tests' "now".
NOW = datetime(2026, 7, 14, 10, 0, tzinfo=PARIS)
# Amnéville: the zoo, and the thermal baths about 600 m north-east of it.
ZOO = Position(49.2600, 6.1400)
BATHS = Position(49.2645, 6.1450)


def hours(opens: str, closes: str, *days: str) -> Schedule:
    """Weekly hours, every day unless ``days`` are given."""
    return Schedule(rules=(Rule.model_validate({"days": days, "opens": opens, "closes": closes}),))


def titled(name: str, languages: Iterable[str] = ("fr", "en")) -> dict[str, str]:
    return {language: f"{name} ({language})" for language in languages}


def place(
    id: str,
    *,
    wishes: Iterable[str] = (),
    position: Position | None = None,
    opening: Schedule | None = None,
    site_id: str | None = None,
    partner_id: str | None = None,
    boost: float = 0.0,
    title: Mapping[str, str] | None = None,
    updated_at: datetime | None = None,
    kind: str = "place",
) -> Candidate:
    return Candidate(
        id=id,
        kind="tour" if kind == "tour" else "place",
        title=title if title is not None else titled(id),
        site_id=site_id,
        partner_id=partner_id,
        wishes=frozenset(wishes),
        position=position,
        hours=opening,
        boost=boost,
        updated_at=updated_at,
    )


def event(
    id: str,
    periods: Iterable[Period],
    *,
    wishes: Iterable[str] = (),
    position: Position | None = None,
    boost: float = 0.0,
) -> Candidate:
    return Candidate(
        id=id,
        kind="event",
        title=titled(id),
        wishes=frozenset(wishes),
        position=position,
        periods=tuple(periods),
        boost=boost,
    )


def offer(
    id: str,
    partner_id: str,
    *,
    site_id: str | None = None,
    position: Position | None = None,
    wishes: Iterable[str] = (),
    targeting: Targeting | None = None,
    caps: Caps | None = None,
    quota_remaining: int | None = None,
    valid_from: datetime = NOW - timedelta(days=30),
    valid_until: datetime = NOW + timedelta(days=30),
    schedule: Schedule | None = None,
    boost: float = 0.0,
) -> Candidate:
    return Candidate(
        id=id,
        kind="offer",
        title=titled(id),
        site_id=site_id,
        partner_id=partner_id,
        wishes=frozenset(wishes),
        position=position,
        boost=boost,
        offer=OfferTerms(
            valid_from=valid_from,
            valid_until=valid_until,
            schedule=schedule,
            targeting=targeting or Targeting(),
            caps=caps or Caps(),
            quota_remaining=quota_remaining,
        ),
    )


def zoo(present: bool = True) -> SiteAt:
    name = {"fr": "Zoo d'Amnéville", "en": "Amnéville Zoo", "de": "Zoo Amnéville"}
    return SiteAt("site-zoo", ZOO, name, present)


def visitor(**changes: object) -> VisitorContext:
    """A consenting English-speaking visitor at the zoo on the second day of a 4-day stay."""
    values: dict[str, object] = {
        "language": "en",
        "now": NOW,
        "stay_start": NOW - timedelta(days=1),
        "stay_end": NOW + timedelta(days=3),
        "personalisation": True,
        "wishes": frozenset({"wellness"}),
        "site": zoo(),
    }
    values.update(changes)
    return VisitorContext(**values)  # type: ignore[arg-type]


def destination(count: int, seed: int = 1, partners: int = 60) -> list[Candidate]:
    """``count`` candidates around Amnéville: 60 % places, 15 % events, 5 % tours, 20 % offers."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    items: list[Candidate] = []
    for n in range(count):
        position = Position(49.26 + rng.uniform(-0.08, 0.08), 6.14 + rng.uniform(-0.12, 0.12))
        wishes = frozenset(rng.sample(WISHES, rng.choice((1, 1, 2, 3))))
        languages = ("fr", *rng.sample(LANGUAGES[1:], rng.randint(0, 3)))
        roll = rng.random()
        site = f"site-{rng.randrange(300)}" if rng.random() < 0.5 else None
        updated = NOW - timedelta(days=rng.uniform(0, 400))
        if roll < 0.6:
            shape = rng.choice(_OPENINGS)
            # A schedule object of its own, as loaded from each item's row.
            opening = shape.model_copy(deep=True) if shape is not None else None
            items.append(
                Candidate(
                    id=f"place-{n}",
                    kind="place",
                    title=titled(f"Place {n}", languages),
                    site_id=site,
                    partner_id=f"partner-{rng.randrange(partners)}" if site else None,
                    wishes=wishes,
                    position=position,
                    hours=opening,
                    boost=rng.choice((0.0, 0.0, 0.0, 0.5, 1.0)),
                    updated_at=updated,
                )
            )
        elif roll < 0.75:
            first = NOW.date() + timedelta(days=rng.randint(-20, 20))
            period = Period.model_validate(
                {
                    "start": first,
                    "end": first + timedelta(days=rng.randint(0, 10)),
                    "start_time": rng.choice((None, "14:00", "20:30")),
                    "end_time": rng.choice((None, "18:00", "23:00")),
                    "days": rng.sample(_WEEK, rng.randint(0, 3)),
                }
            )
            items.append(
                Candidate(
                    id=f"event-{n}",
                    kind="event",
                    title=titled(f"Event {n}", languages),
                    wishes=wishes,
                    position=position,
                    periods=(period,),
                    updated_at=updated,
                )
            )
        elif roll < 0.8:
            items.append(
                Candidate(
                    id=f"tour-{n}",
                    kind="tour",
                    title=titled(f"Tour {n}", languages),
                    wishes=wishes,
                    position=position,
                    updated_at=updated,
                )
            )
        else:
            items.append(
                Candidate(
                    id=f"offer-{n}",
                    kind="offer",
                    title=titled(f"Offer {n}", languages),
                    site_id=site or f"site-{rng.randrange(300)}",
                    partner_id=f"partner-{rng.randrange(partners)}",
                    wishes=wishes,
                    position=position,
                    updated_at=updated,
                    offer=OfferTerms(
                        valid_from=NOW - timedelta(days=rng.randint(0, 30)),
                        valid_until=NOW + timedelta(days=rng.randint(1, 30)),
                        schedule=rng.choice((None, hours("09:00", "19:00"))),
                        targeting=Targeting(
                            wishes=frozenset(rng.sample(WISHES, rng.randint(0, 2))),
                            trigger=rng.choice(("anywhere", "anywhere", "nearby", "at_site")),
                        ),
                        caps=Caps(per_day=rng.choice((None, 1, 2)), total=rng.choice((None, 5))),
                        quota_remaining=rng.choice((None, 0, 3, 100)),
                    ),
                )
            )
    return items


def exposures(items: Iterable[Candidate], seed: int = 1) -> tuple[Exposure, ...]:
    """A history: a third of the offers shown on the last two days, and one offer this morning
    (so the daily cap leaves room for two more today)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    offers = [item for item in items if item.commercial]
    earlier = tuple(
        Exposure(item.id, NOW - timedelta(hours=rng.uniform(11, 58)), item.partner_id, True)
        for item in offers
        if rng.random() < 0.3
    )
    today = tuple(Exposure(item.id, NOW - timedelta(hours=1), item.partner_id, True)
                  for item in offers[:1])  # fmt: skip
    return earlier + today


_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_OPENINGS: tuple[Schedule | None, ...] = (
    None,
    hours("10:00", "18:00"),
    hours("09:30", "12:30"),
    hours("14:00", "19:00", "wed", "thu", "fri", "sat", "sun"),
    hours("19:00", "23:30"),
    hours("22:00", "02:00", "fri", "sat"),
    Schedule(
        rules=(
            Rule(opens="10:00", closes="18:00"),
            Rule.model_validate(
                {"annual": True, "valid_from": "2000-07-14", "valid_through": "2000-07-14"}
                | {"closed": True}
            ),
        )
    ),
)
