"""An organization's languages: the codes cheel knows, the main one first."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import UsageError, said
from .engines import Database

DEFAULT_LANGUAGES = ("fr", "de", "it", "en")
KNOWN_LANGUAGES = {"fr", "de", "it", "en", "rm"}


def parse_languages(text: str | Sequence[str]) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text)
    langs = [x.strip().lower() for x in items if x.strip()]
    if not langs:
        raise UsageError(said("at least one language is needed (the main language first)"))
    for lang in langs:
        if lang not in KNOWN_LANGUAGES:
            raise UsageError(said('"{lang}" is not a supported language', lang=lang),
                             hint=said("use fr, de, it, en or rm, main language first"))
    if len(set(langs)) != len(langs):
        raise UsageError(said("a language is listed twice"))
    return langs


def language_codes(db: Database) -> list[str]:
    return [r[0] for r in db.query("SELECT code FROM languages ORDER BY position")]
