"""The manifest and the index of a backup, as typed structures (msgspec).

Both are decoded once, by the reader, and refused as a whole when malformed: a wrong shape,
a wrong type, a missing key, a number out of range, an absurd size or depth is
``DamagedFile`` (exit 4), never an exception of another kind. Readers ignore keys they do
not know (FORMAT.md), so later writers may add some. Every consumer (verify, restore, the
CLI, the web UI) reads attributes, not keys.

The rules checked here need no schema: the format's name and version, the organizations'
and groups' numbering, totals that agree with their parts, id ranges that are possible.
What a manifest must say about tables and columns is checked against the schema by
:mod:`cheel.soundness`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from .. import errors
from ..errors import DamagedFile, NotABackup, UnsupportedVersion, said

FORMAT_NAME = "cheel-backup"
FORMAT_VERSION = 2
# Ids a backup may hold: JSON-safe integers (jq and JavaScript read them exactly).
MAX_ID = 2**53 - 1
# The ids of one table of one organization in one file span less than this, so that a
# restore (which moves them above the target's highest id) never uses up the target's ids.
MAX_ID_SPAN = 2**32
MAX_ROWS = MAX_ID

# cheel makes UUIDs; a uid of other letters, digits and ._:- (at most 100) is accepted.
UID_RE = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"

Ident = Annotated[str, msgspec.Meta(max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=1000)]
Uid = Annotated[str, msgspec.Meta(pattern=UID_RE)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_ROWS)]
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Version = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Counts = Annotated[dict[Ident, Count], msgspec.Meta(max_length=200)]


class ColumnDecl(msgspec.Struct, frozen=True, omit_defaults=True):
    name: Ident
    type: Ident
    nullable: bool
    ref: Ident | None = None
    scale: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None


class TableDecl(msgspec.Struct, frozen=True, omit_defaults=True):
    name: Ident
    scope: Ident
    columns: Annotated[list[ColumnDecl], msgspec.Meta(max_length=200)]
    natural_key: Annotated[list[Ident], msgspec.Meta(max_length=20)] = []
    new_uid_on_copy: Annotated[list[Ident], msgspec.Meta(max_length=20)] = []


class CompanyDecl(msgspec.Struct, frozen=True):
    uid: Uid
    name: Text


class GroupDecl(msgspec.Struct, frozen=True):
    key: Annotated[str, msgspec.Meta(pattern=r"^g[1-9][0-9]{0,5}$")]
    uid: Uid
    name: Text
    companies: Annotated[list[CompanyDecl], msgspec.Meta(max_length=10_000)]
    rows: Counts
    ids: Annotated[dict[Ident, tuple[Id, Id]], msgspec.Meta(max_length=200)] = {}


class OrganizationDecl(msgspec.Struct, frozen=True):
    index: Annotated[int, msgspec.Meta(ge=0, le=9999)]
    name: Text
    engine: Literal["sqlite", "postgres"]
    schema_version: Version
    languages: Annotated[list[Ident], msgspec.Meta(max_length=20)]
    org_rows: Counts
    groups: Annotated[list[GroupDecl], msgspec.Meta(max_length=999_999)]


class Manifest(msgspec.Struct, frozen=True):
    format: str
    format_version: Version
    cheel_version: Annotated[str, msgspec.Meta(max_length=100)]
    created_at: Annotated[str, msgspec.Meta(max_length=40)]
    schema_version: Version
    encrypted: bool
    tables: Annotated[list[TableDecl], msgspec.Meta(max_length=200)]
    organizations: Annotated[list[OrganizationDecl], msgspec.Meta(max_length=10_000)]
    rows: Counts

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    def encode(self) -> bytes:
        """The manifest member as written: UTF-8 JSON, indent 1, non-ASCII not escaped."""
        return msgspec.json.format(msgspec.json.encode(self), indent=1)


class IndexEntry(msgspec.Struct, frozen=True, omit_defaults=True):
    name: Annotated[str, msgspec.Meta(max_length=100)]
    size: Count
    sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
    rows: Count | None = None


class Index(msgspec.Struct, frozen=True):
    format: str
    format_version: Version
    members: Annotated[list[IndexEntry], msgspec.Meta(max_length=10_000_000)]

    def encode(self) -> bytes:
        return msgspec.json.format(msgspec.json.encode(self), indent=1)


class _Head(msgspec.Struct):
    """Only what says which format a JSON member is in; every other key is skipped."""

    format: object = None
    format_version: object = None


_DECODERS = {t: msgspec.json.Decoder(t) for t in (_Head, Manifest, Index)}


# What a damaged member is called in a message.
_MANIFEST, _INDEX = said("manifest"), said("closing index")


def _decode(data: bytes | memoryview, kind: type, what: errors.Text):
    try:
        return _DECODERS[kind].decode(data)
    except msgspec.ValidationError as e:
        raise DamagedFile(said("the {what} of the backup is damaged ({short})",
                               what=what, short=_short(str(e)))) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError, MemoryError):
        raise DamagedFile(said("the {what} of the backup is damaged (not valid JSON)",
                               what=what)) from None


def _short(text: str) -> str:
    """msgspec's explanation, shortened (a hostile file controls what it quotes)."""
    text = text.replace("\n", " ")
    return text if len(text) <= 160 else text[:157] + "..."


def _check_head(data: bytes | memoryview, what: errors.Text) -> int:
    head = _decode(data, _Head, what)
    if head.format != FORMAT_NAME:
        raise NotABackup(said("this file is not a cheel backup (unknown manifest)"))
    version = head.format_version
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DamagedFile(said("the {what} of the backup is damaged (no format version)",
                               what=what))
    if version > FORMAT_VERSION:
        raise UnsupportedVersion(
            said("this backup uses format version {version}, newer than this cheel understands "
                 "({current})", version=version, current=FORMAT_VERSION),
            hint=said("upgrade cheel to read it"))
    return version


def decode_manifest(data: bytes | memoryview) -> Manifest:
    """The typed manifest; NotABackup, UnsupportedVersion or DamagedFile if it is not one."""
    _check_head(data, _MANIFEST)
    manifest = _decode(data, Manifest, _MANIFEST)
    _check_manifest(manifest)
    return manifest


def decode_index(data: bytes | memoryview, format_version: int) -> Index:
    if _check_head(data, _INDEX) != format_version:
        raise DamagedFile(said("the closing index of the backup is damaged (its format version "
                               "differs from the manifest's)"))
    return _decode(data, Index, _INDEX)


def _damaged(why: str) -> DamagedFile:
    return DamagedFile(said("the manifest of the backup is damaged ({why})", why=why))


def _check_manifest(m: Manifest) -> None:
    """Rules of the format that need no schema."""
    try:
        if datetime.fromisoformat(m.created_at).tzinfo is None:
            raise ValueError
    except ValueError:
        raise _damaged(said("its creation time is not a time with a zone")) from None
    totals: dict[str, int] = {}
    for position, o in enumerate(m.organizations):
        if o.index != position:
            raise _damaged(said("the organizations are not numbered 0, 1, 2, …"))
        spans: dict[str, tuple[int, int]] = {}
        for name, n in o.org_rows.items():
            totals[name] = totals.get(name, 0) + n
        for k, g in enumerate(o.groups, start=1):
            if g.key != f"g{k}":
                raise _damaged(said('the groups of "{name}" are not numbered g1, g2, …',
                                    name=o.name[:100]))
            for name, n in g.rows.items():
                totals[name] = totals.get(name, 0) + n
                if (n > 0) != (name in g.ids):
                    raise _damaged(said('the id range of {name} in "{group}" does not match its '
                                        'row count', name=name[:64], group=g.name[:100]))
            for name, (lo, hi) in g.ids.items():
                if lo > hi or g.rows.get(name, 0) > hi - lo + 1:
                    raise _damaged(said('the id range of {name} in "{group}" is impossible',
                                        name=name[:64], group=g.name[:100]))
                low, high = spans.get(name, (lo, hi))
                spans[name] = (min(low, lo), max(high, hi))
        for name, (lo, hi) in spans.items():
            if hi - lo >= MAX_ID_SPAN:
                raise _damaged(said("the ids of {name} span more than {limit} values",
                                    name=name[:64], limit=MAX_ID_SPAN))
    if {k: v for k, v in totals.items() if v} != {k: v for k, v in m.rows.items() if v}:
        raise _damaged(said("its row totals disagree with its organizations and groups"))


def uid_ok(text: str) -> bool:
    return re.fullmatch(UID_RE, text) is not None
