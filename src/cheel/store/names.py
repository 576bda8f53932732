"""The one rule for the names of organizations, company groups and companies.

A name is kept NFC-normalized and stripped. It is refused when empty, longer than 100
characters, or when it holds a character a reader cannot see or trust: controls (newline,
ESC, NUL…), line and paragraph separators, format characters (direction overrides and
isolates, zero-width spaces, soft hyphen, byte-order mark…), surrogates, private-use and
unassigned code points. Two names are the same name when their :func:`name_key` are equal:
case-insensitive after canonical normalization (so "Café" typed as one character or as
"e" + combining accent, and "CAFÉ", are one name).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

from ..errors import Text, UsageError, said

Named = TypeVar("Named")

MAX_LENGTH = 100

# Unicode general category → what the user is told the name contains.
REFUSED_CATEGORIES = {
    "Cc": said("a control character"),
    "Zl": said("a line separator"),
    "Zp": said("a paragraph separator"),
    "Cf": said("an invisible formatting character"),
    "Cs": said("an invalid character"),
    "Co": said("a private-use character"),
    "Cn": said("an unassigned character"),
}

# What is named, as the messages say it (the web UI translates these words too).
THINGS = {"organization": said("organization"), "group": said("group"),
          "company": said("company"), "user": said("user")}


def normalized(name: str) -> str:
    """``name`` as it is stored: NFC-normalized, without surrounding white space."""
    return unicodedata.normalize("NFC", name).strip()


def name_problem(name: str, what: str = "organization") -> Text | None:
    """Why ``name`` cannot be the name of a ``what``, as a sentence fragment; None if it can."""
    text = normalized(name)
    if not text:
        return said("the {what} name cannot be empty", what=THINGS.get(what, what))
    if len(text) > MAX_LENGTH:
        return said("the {what} name is longer than {limit} characters",
                    what=THINGS.get(what, what), limit=MAX_LENGTH)
    for char in text:
        kind = REFUSED_CATEGORIES.get(unicodedata.category(char))
        if kind:
            return said("the {what} name contains {kind} (U+{code})",
                        what=THINGS.get(what, what), kind=kind, code=f"{ord(char):04X}")
    return None


def check_name(name: str, what: str = "organization") -> str:
    """The name as it is stored, or :class:`UsageError` saying what is wrong with it."""
    problem = name_problem(name, what)
    if problem:
        raise UsageError(problem, hint=said("give the {what} a name of printable characters, "
                                            "at most {limit} characters",
                                            what=THINGS.get(what, what), limit=MAX_LENGTH))
    return normalized(name)


def name_key(name: str) -> str:
    """What two names are compared by: equal keys, same name (canonical caseless match)."""
    return unicodedata.normalize("NFC", normalized(name).casefold())


def find_by_name(items: Iterable[Named], name: str | None,
                 name_of: Callable[[Named], str] = str) -> Named | None:
    """The item called ``name``: the one spelled exactly so, else one of the same name key;
    None if there is none (or no name)."""
    if not name:
        return None
    items = list(items)
    key = name_key(name)
    return (next((item for item in items if name_of(item) == name), None)
            or next((item for item in items if name_key(name_of(item)) == key), None))
