"""The roadbook's own messages, in the four languages of ``crm.core.i18n``."""

from __future__ import annotations

from crm.core.i18n import catalogue, translate

# Message key -> language -> text: i18n.toml, next to this file.
MESSAGES = catalogue(__name__)


def message(key: str, language: str, **values: object) -> str:
    """A roadbook message in ``language`` (French, the office's language, when missing)."""
    return translate(MESSAGES, key, language, **values)
