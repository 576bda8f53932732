"""TEMPORARY (replaced by the hygiene branch's module at merge)."""

from __future__ import annotations

import unicodedata

from ..errors import UsageError

_REFUSED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def name_problem(name: str, what: str = "organization") -> str | None:
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        return f"the {what} name cannot be empty"
    if len(text) > 100:
        return f"the {what} name is longer than 100 characters"
    if any(unicodedata.category(ch) in _REFUSED for ch in text):
        return f"the {what} name contains control or invisible characters"
    return None


def check_name(name: str, what: str = "organization") -> str:
    problem = name_problem(name, what)
    if problem:
        raise UsageError(problem)
    return unicodedata.normalize("NFC", name).strip()


def name_key(name: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())
