"""The roadbook's personalisation engine: pure functions over plain data (docs/roadbook-engine.md).

No I/O, no database, no clock: a thin service loads the inputs (``inputs.py``), calls
:func:`build_roadbook` (or :func:`site_roadbook` for the widget's anonymous mode) and renders
the :class:`Roadbook`.
"""

from roadbook.engine.covisitation import covisitation
from roadbook.engine.inputs import (
    Candidate,
    Caps,
    DestinationPolicy,
    Exposure,
    OfferTerms,
    Position,
    QuietHours,
    SiteAt,
    Targeting,
    VisitorContext,
)
from roadbook.engine.output import Item, Roadbook, Section
from roadbook.engine.pipeline import build_roadbook, site_roadbook

__all__ = [
    "Candidate",
    "Caps",
    "DestinationPolicy",
    "Exposure",
    "Item",
    "OfferTerms",
    "Position",
    "QuietHours",
    "Roadbook",
    "Section",
    "SiteAt",
    "Targeting",
    "VisitorContext",
    "build_roadbook",
    "covisitation",
    "site_roadbook",
]
