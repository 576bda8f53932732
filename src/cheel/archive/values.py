"""Decoding a chunk's rows, every value checked against its column's declared type.

A column is described by a :class:`ColumnSpec` (made from the schema the rows will go into,
never from what a file says about itself). msgspec checks in C, while it decodes, each row's
length and each value's JSON type and range: ids and foreign keys within 1…2^53−1, other
integers within 64 bits, booleans 0 or 1, text within its length limit, dates and times of
their exact length, binary as base64. What a JSON type cannot say is checked afterwards on
each column's *distinct* values (a chunk's dates repeat, so this stays cheap): real calendar
dates and times, decimals within their precision and scale, uids, names, and no NUL in text
(which PostgreSQL cannot hold; a chunk whose raw bytes hold no escaped NUL is not looked at
again, which is nearly always). Other characters of free text are the data's own: a backup
carries what the organization holds.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, NamedTuple

import msgspec

from ..errors import DamagedFile, Text, said
from .manifest import MAX_ID, UID_RE

INT64 = Annotated[int, msgspec.Meta(ge=-2**63, le=2**63 - 1)]
ID = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
BOOL = Annotated[int, msgspec.Meta(ge=0, le=1)]
DATE = Annotated[str, msgspec.Meta(min_length=10, max_length=10)]
TIMESTAMP = Annotated[str, msgspec.Meta(min_length=19, max_length=19)]

# A NUL can reach a JSON string only as an escape: a chunk without one needs no look.
_ESCAPED_NUL = re.compile(rb"\\u0000")
_UID = re.compile(UID_RE)


class ColumnSpec(NamedTuple):
    name: str
    type: str  # id, int, bool, text, decimal, date, timestamp, binary
    nullable: bool
    key: bool = False  # an id or a foreign key: 1 … MAX_ID
    max_length: int = 1_000_000  # text
    max_abs: int = 0  # int: the largest magnitude (0: 64 bits)
    precision: tuple[int, int] | None = None  # decimal (digits, of which after the point)
    check: Callable[[str], str | None] | None = None  # text: the reason a value is refused


def _python_type(c: ColumnSpec):
    if c.type in ("id", "int", "bool"):
        t = ID if c.key or c.type == "id" else (BOOL if c.type == "bool" else INT64)
        if c.max_abs and t is INT64:
            t = Annotated[int, msgspec.Meta(ge=-c.max_abs, le=c.max_abs)]
    elif c.type == "text":
        t = Annotated[str, msgspec.Meta(max_length=c.max_length)]
    elif c.type == "decimal":
        digits = c.precision[0] if c.precision else 30
        t = Annotated[str, msgspec.Meta(max_length=digits + 2)]
    elif c.type == "date":
        t = DATE
    elif c.type == "timestamp":
        t = TIMESTAMP
    elif c.type == "binary":
        t = bytes
    else:  # a schema declaration, not an input
        raise ValueError(f"unknown column type {c.type}")
    return t | None if c.nullable else t


@functools.lru_cache(maxsize=256)
def _decoder(columns: tuple[ColumnSpec, ...]) -> msgspec.json.Decoder:
    fields = tuple(_python_type(c) for c in columns)
    return msgspec.json.Decoder(list[tuple[fields]])  # type: ignore[valid-type]


@functools.lru_cache(maxsize=64)
def _decimal_re(precision: tuple[int, int]) -> re.Pattern:
    digits, scale = precision
    whole = max(1, digits - scale)
    frac = rf"\.[0-9]{{{scale}}}" if scale else ""
    return re.compile(rf"(?!-0(?:\.0*)?$)-?(?:0|[1-9][0-9]{{0,{whole - 1}}}){frac}")


def _bad_date(values: set[str]) -> str | None:
    """A value that is not a real calendar date ``YYYY-MM-DD``, or None."""
    try:
        if all(map(operator.eq, map(date.isoformat, map(date.fromisoformat, values)), values)):
            return None
    except ValueError:
        pass
    return next(v for v in values if not _one_ok(date.fromisoformat, date.isoformat, v))


# A timestamp's shape and field ranges (a regex, in C, over every value: they rarely repeat);
# whether its day exists in its month, on its distinct dates (few).
_TIMESTAMP = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]) "
                        r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")
_DATE_PART = operator.itemgetter(slice(0, 10))


def _bad_timestamp(values) -> str | None:
    """A value that is not a real date and time ``YYYY-MM-DD HH:MM:SS``, or None."""
    values = list(values)
    if all(map(_TIMESTAMP.fullmatch, values)):
        bad_day = _bad_date(set(map(_DATE_PART, values)))
        if bad_day is None:
            return None
        return next(v for v in values if v.startswith(bad_day))
    return next(v for v in values if not _TIMESTAMP.fullmatch(v))


def _one_ok(parse, show, value: str) -> bool:
    try:
        return show(parse(value)) == value
    except ValueError:
        return False


def decode_rows(data: bytes | memoryview, columns: tuple[ColumnSpec, ...], name: str
                ) -> list[tuple]:
    """The rows of a chunk as tuples (binary values as bytes), each value checked as the
    module says; :class:`DamagedFile` naming the chunk and the reason otherwise."""
    try:
        rows = _decoder(columns).decode(data)
    except msgspec.ValidationError as e:
        raise DamagedFile(said('the chunk "{name}" is damaged ({why})',
                               name=name, why=_why(str(e), columns))) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise DamagedFile(said('the chunk "{name}" is damaged (invalid JSON)', name=name)) from None
    if rows:
        nul = _ESCAPED_NUL.search(data) is not None
        for i, c in enumerate(columns):
            problem = _column_problem(rows, i, c, nul)
            if problem:
                raise DamagedFile(said('the chunk "{name}" is damaged ({column}: {problem})',
                                       name=name, column=c.name, problem=problem))
    return rows


def _column_problem(rows: list[tuple], i: int, c: ColumnSpec, nul: bool) -> Text | None:
    t = c.type
    if t not in ("date", "timestamp", "decimal") and not (t == "text" and (nul or c.check)):
        return None
    column = map(operator.itemgetter(i), rows)
    if t == "timestamp":
        bad = _bad_timestamp(filter(None, column) if c.nullable else column)
        return said('"{value}" is not a date and time', value=_show(bad)) \
            if bad is not None else None
    values = set(column)
    values.discard(None)
    if not values:
        return None
    if t == "date":
        bad = _bad_date(values)
        return said('"{value}" is not a date', value=_show(bad)) if bad is not None else None
    if t == "decimal":
        pattern = _decimal_re(c.precision or (30, 0))
        bad = next((v for v in values if not pattern.fullmatch(v)), None)
        return said('"{value}" is not a decimal of {places} places within its column\'s '
                    "precision", value=_show(bad), places=c.precision[1] if c.precision else 0) \
            if bad is not None else None
    for v in values:
        problem = c.check(v) if c.check is not None else text_problem(v)
        if problem:
            return problem
    return None


def _show(value: str) -> str:
    """A value quoted in a message, shortened (the message escapes what cannot be shown)."""
    return value if len(value) <= 40 else value[:37] + "..."


def _why(text: str, columns: Sequence[ColumnSpec]) -> Text:
    """msgspec's explanation in the chunk's terms: the column named, not its position."""
    if "base64" in text:
        return said("bad binary value")
    detail = text.split(" - at ")[0]
    m = re.search(r" - at `\$(?:\[\d+\](?:\[(\d+)\])?)?`$", text)
    if m is None or m[0] == " - at `$`":
        return said("not an array of rows")
    if m[1] is None:
        return said("a row has the wrong shape")
    i = int(m[1])
    column = columns[i].name if i < len(columns) else f"value {i}"
    return said("a value of the wrong type: {column}: {detail}", column=column, detail=detail)


def uid_problem(value: str) -> Text | None:
    return None if _UID.fullmatch(value) else said("a uid holds other characters than a uid may")


def text_problem(value: str) -> Text | None:
    return said("a text holds a NUL character") if "\x00" in value else None
