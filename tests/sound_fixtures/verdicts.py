"""What a sound reader does with a file (accept, refuse, either), decided from the target
schema (``cheel.store.schema``): for a value, a name; and whether a refusal is one sentence."""

from __future__ import annotations

import base64
import re
import unicodedata
from datetime import datetime
from typing import Any

from cheel.store import schema

ACCEPT, REFUSE, EITHER = "accept", "refuse", "either"
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
ONE_LINE_MAX = 400
UNIQUE_TUPLES = {c for t in schema.TABLES for u in t.uniques for c in
                 ((t.name, x) for x in u)}


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def one_sentence(stderr: str) -> str | None:
    """None if ``stderr`` is ``Error: <one sentence>`` and at most a ``Hint: …`` line, no
    traceback, no "unexpected failure", no control character, of bounded length; else why
    not."""
    if "Traceback" in stderr:
        return "a traceback"
    lines = stderr.rstrip("\n").split("\n")
    if not lines[0].startswith("Error: "):
        return f"no 'Error: ' line: {stderr[:200]!r}"
    if "unexpected failure" in lines[0]:
        return f"an unexpected failure: {lines[0][:300]!r}"
    if len(lines) > 2 or (len(lines) == 2 and not lines[1].startswith("Hint: ")):
        return f"{len(lines)} lines: {stderr[:300]!r}"
    for line in lines:
        if len(line) > ONE_LINE_MAX:
            return f"a line of {len(line)} characters: {line[:120]!r}…"
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in line):
            return f"control characters: {line[:200]!r}"
    if not lines[0].rstrip().endswith((".", "?", "!")):
        return f"not a sentence: {lines[0][:200]!r}"
    return None


def name_verdict(name: Any) -> str:
    """What a sound reader does with a group, company or organization name: control
    characters, empty, over 100 characters (``cheel group create``'s rules) refuse; format
    characters (bidi overrides, zero-width) and outer blanks may go either way; anything else
    (Rich markup included) is a name like any other."""
    if not isinstance(name, str):
        return REFUSE
    # As a JSON reader sees it: a surrogate pair written as escapes is one character.
    name = name.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    if not name.strip() or len(name.strip()) > 100:
        return REFUSE
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        return REFUSE
    if name != name.strip() or any(unicodedata.category(ch) in ("Cf", "Zl", "Zp", "Co", "Cn")
                                   for ch in name):
        return EITHER
    return ACCEPT


def value_verdict(table: str, column: str, value: Any, old: Any = None) -> str:
    """What a sound reader does with ``value`` in ``table.column`` (a column that is neither
    an id nor a foreign key), from the target schema: accept what fits the column's type,
    refuse what does not; "either" where the issue leaves it open (control characters in
    texts that are not names, a decimal with fewer places than its scale, a non-canonical
    base64, a column under a unique key)."""
    c = schema.table(table).column(column)
    if value is None:
        return ACCEPT if c.nullable else REFUSE
    t = c.type
    if t == "int":
        if not is_int(value) or not INT64_MIN <= value <= INT64_MAX:
            return REFUSE
        if c.max_abs and abs(value) > c.max_abs:
            return REFUSE  # money: the schema bounds it (10^15 centimes)
        if (table, column) in (("entry_lines", "debit"), ("entry_lines", "credit")):
            return ACCEPT if value == old else REFUSE  # the entry would not balance
        verdict = ACCEPT
    elif t == "bool":
        verdict = ACCEPT if is_int(value) and value in (0, 1) else REFUSE
    elif t == "text":
        if not isinstance(value, str):
            return REFUSE
        # As a JSON reader sees it: written as escapes, a high and a low surrogate side by
        # side are one character (U+10000 and above); only a lone one is no character.
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
        if "\0" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            return REFUSE  # no engine stores these (PostgreSQL text holds no NUL)
        if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r"
               for ch in value) or len(value) > 4000:
            return EITHER  # texts may hold line breaks (the sample does), names may not
        verdict = ACCEPT
    elif t == "decimal":
        if not isinstance(value, str) or not PLAIN_DECIMAL.fullmatch(value):
            return REFUSE
        precision, scale = c.precision
        whole, _, frac = value.lstrip("-").partition(".")
        if len(frac) > scale or len(whole.lstrip("0")) > precision - scale:
            return REFUSE
        verdict = ACCEPT if len(frac) == scale and (whole == "0" or not whole.startswith("0")) \
            else EITHER
    elif t == "date":
        verdict = ACCEPT if _valid(value, "%Y-%m-%d", r"[0-9]{4}-[0-9]{2}-[0-9]{2}") else REFUSE
    elif t == "timestamp":
        verdict = ACCEPT if _valid(value, "%Y-%m-%d %H:%M:%S",
                                   r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}") \
            else REFUSE
    elif t == "binary":
        if not isinstance(value, str):
            return REFUSE
        try:
            decoded = base64.b64decode(value, validate=True)
        except ValueError:
            return REFUSE
        verdict = ACCEPT if base64.b64encode(decoded).decode() == value else EITHER
    else:
        raise AssertionError(t)
    if verdict == ACCEPT and (table, column) in UNIQUE_TUPLES:
        return EITHER  # a changed value may collide with another row's
    if verdict == ACCEPT and (table, column) == ("languages", "code"):
        return EITHER  # a language the target does not know
    return verdict


def _valid(value: Any, fmt: str, shape: str) -> bool:
    if not isinstance(value, str) or not re.fullmatch(shape, value):
        return False
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True
