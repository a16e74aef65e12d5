"""The catalogue pages' words in fr, en, de and nl (``texts.toml``, next to this file), over the
words all office pages share (crm.office.texts.PAGE_WORDS)."""

from __future__ import annotations

from crm.core.i18n import catalogue
from crm.office.texts import DAY_NAMES, PageTexts

TEXTS = PageTexts(catalogue(__name__))
WORDS = TEXTS.table
word = TEXTS.word  # word(key, language, **values): a word of the catalogue pages in ``language``
words = TEXTS.words  # words(language): every word without fields, for templates (``w.title``)
__all__ = ["DAY_NAMES", "TEXTS", "WORDS", "word", "words"]
