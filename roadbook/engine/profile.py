"""What the engine may read of the visitor, by consent (docs/roadbook-engine.md § Consent).

Every later step reads the visitor through :class:`Profile`, never through the context: the
editorial roadbook (no ``personalisation`` consent) and the widget's anonymous site mode are
built from a profile that holds nothing of the visitor, so they cannot depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from roadbook.engine.inputs import Exposure, Position, SiteAt, VisitorContext

Mode = Literal["personal", "editorial", "site"]


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where distances are measured from: the current or last site, else the lodging."""

    position: Position
    # The site's name, or ``None`` for the lodging.
    name: Mapping[str, str] | None
    site_id: str | None


@dataclass(frozen=True, slots=True)
class Profile:
    mode: Mode
    wishes: frozenset[str]
    with_children: bool
    site: SiteAt | None
    lodging: Position | None
    visited_today: frozenset[str]
    # Kept without consent: caps protect the visitor, ignoring them would show more offers.
    exposures: tuple[Exposure, ...]

    @property
    def anchor(self) -> Anchor | None:
        if self.site is not None:
            return Anchor(self.site.position, self.site.name, self.site.site_id)
        if self.lodging is not None:
            return Anchor(self.lodging, None, None)
        return None

    @property
    def present_site(self) -> SiteAt | None:
        """The site the visitor (or the widget's page) is at now, for "at my site" offers."""
        return self.site if self.site is not None and self.site.present else None


def profile_of(context: VisitorContext) -> Profile:
    """The part of ``context`` the engine may use, by mode."""
    if context.anonymous:
        return Profile("site", frozenset(), False, context.site, None, frozenset(), ())
    if context.personalisation:
        return Profile(
            "personal",
            context.wishes,
            context.with_children,
            context.site,
            context.lodging,
            context.visited_today,
            context.exposures,
        )
    return Profile("editorial", frozenset(), False, None, None, frozenset(), context.exposures)
