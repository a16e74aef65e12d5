"""The words every package shares, defined once (docs/architecture.md § Packages and layers).

Wish slugs, accessibility needs, consent scopes, languages, a gateway's name, and the text forms
of a pass's identity. Schemas, services, pages and the CLI import them from here; nothing else
spells them.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal, get_args

from pydantic import StringConstraints

from eddystone.frames import (
    EID_SIZE,
    UID_INSTANCE_SIZE,
    UID_NAMESPACE_HEX,
    UID_NAMESPACE_SIZE,
    UID_TEXT,
)

# What a visitor likes, and what a site or a place offers.
Wish = Literal[
    "nature", "wellness", "family", "gastronomy", "culture", "nightlife", "sport", "shopping"
]
WISHES: tuple[str, ...] = get_args(Wish)
# Accessibility needs, a fixed list (the four families of the French "Tourisme & Handicap" label,
# wheelchair apart): no free text, since needs can reveal health data (GDPR art. 9); the visitor
# ticks them themself, and they are only used to choose accessible places.
Need = Literal["wheelchair", "mobility", "visual", "hearing", "cognitive"]
ACCESSIBILITY: tuple[str, ...] = get_args(Need)
# What a visitor consents to (docs/architecture.md § Privacy): ``proximity`` gates ingest.
Scope = Literal["proximity", "personalisation", "marketing"]
CONSENT_SCOPES: tuple[str, ...] = get_args(Scope)
PROXIMITY: Scope = "proximity"
# ``personalisation`` lets the roadbook read the visitor's profile (docs/roadbook-engine.md).
PERSONALISATION: Scope = "personalisation"
# The four languages Balise speaks; French, the office's, first.
Language = Literal["fr", "en", "de", "nl"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "fr"
# Each language in itself, for language switches.
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "de": "Deutsch", "nl": "Nederlands"}
# The days of the week, Monday first (``date.weekday()`` indexes them): opening hours use them.
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = get_args(Day)

# A gateway's name (``crm gateway add NAME``), as it appears in every batch and heartbeat.
GatewayId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]

# A static Eddystone-UID pass: namespace and instance in hex (their sizes and text form are
# eddystone's); a rotating Eddystone-EID pass sends an 8-byte ephemeral identifier.
NAMESPACE_HEX_DIGITS = 2 * UID_NAMESPACE_SIZE
INSTANCE_HEX_DIGITS = 2 * UID_INSTANCE_SIZE
EID_HEX_DIGITS = 2 * EID_SIZE
# Lower-case hex, as the gateway's documents carry them.
Namespace = Annotated[str, StringConstraints(pattern=f"^{UID_NAMESPACE_HEX}$")]
UidRef = Annotated[str, StringConstraints(pattern=f"^{UID_TEXT}$")]
# ``NAMESPACE:INSTANCE`` as people type it (either case); stored lower-cased.
PassUid = Annotated[str, StringConstraints(pattern=f"^{UID_TEXT}$".replace("a-f", "a-fA-F"))]


def uid_identity(namespace: str, instance: str) -> str:
    """The identity of a UID pass (``device.identity``), as ingest resolves it."""
    return f"uid:{namespace.lower()}:{instance.lower()}"


def eid_identity(identity_key: bytes) -> str:
    """The identity of an EID pass (``device.identity``): a one-way id of its key, never the key."""
    return "eid:" + hashlib.sha256(b"balise-eid-pass:" + identity_key).hexdigest()[:32]


def parse_pass_uid(value: str) -> tuple[str, str]:
    """``NAMESPACE:INSTANCE`` in hex (any vendor's namespace), lower-cased; ValueError otherwise."""
    try:
        namespace, instance = value.lower().split(":")
        bytes.fromhex(namespace)
        bytes.fromhex(instance)
    except ValueError:
        raise ValueError(f"pass UID {value!r} is not NAMESPACE:INSTANCE in hex") from None
    if len(namespace) != NAMESPACE_HEX_DIGITS or len(instance) != INSTANCE_HEX_DIGITS:
        raise ValueError("a pass UID is a 10-byte namespace and a 6-byte instance")
    return namespace, instance
