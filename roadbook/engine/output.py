"""What the engine returns: a :class:`Roadbook` of sections of items, each with its reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from roadbook.engine.filters import Filtered
from roadbook.engine.inputs import Kind
from roadbook.engine.profile import Mode
from roadbook.engine.sections import SectionKey


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    kind: Kind
    section: SectionKey
    # The title in the visitor's language or its fallback, and the language it is in.
    title: str
    title_language: str | None
    # One line in the visitor's language: why this item, here, now.
    reason: str
    reason_language: str
    # "Partner offer" (in the visitor's language) on every commercial item, else None.
    label: str | None
    commercial: bool
    partner_id: str | None
    score: float
    terms: Mapping[str, float]
    planned_at: datetime
    until: datetime | None


@dataclass(frozen=True, slots=True)
class Section:
    key: SectionKey
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Roadbook:
    """The ranked roadbook; ``personalised`` false means the page says so (``notice``)."""

    mode: Mode
    personalised: bool
    language: str
    notice: str | None
    sections: tuple[Section, ...]
    # Why each other candidate is not shown (only when asked for: diagnostics=True).
    filtered: tuple[Filtered, ...] = ()

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @property
    def commercial_share(self) -> Fraction:
        items = self.items
        if not items:
            return Fraction(0)
        return Fraction(sum(item.commercial for item in items), len(items))
