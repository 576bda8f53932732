"""What the sound-file tests share (issue 15): real backups taken apart and sealed again
self-consistently, the mutations made to them, the CLI run in-process, and an independent
reading of what a file says a group holds.

Only the functions of the first section touch cheel's internals; when the reader or the
writer changes, they are the ones to adapt:

- ``make_sources`` / ``make_pg_existing`` / ``list_pg_existing``: the sample organization
  (``tests/vectors/sample.py``: ``build_sample``, ``backup``), the organization restored
  into (``cheel.store.catalog``, ``cheel.store.organizations.create_company``);
- ``reseal``: ``cheel.archive.writer.ContainerWriter`` (falls back to
  ``tests/vectors/assemble.py`` for what the writer refuses to write);
- ``run_cli``: ``cheel.cli.main.cli``;
- ``target_content`` / ``org_fingerprint`` / ``group_uids``: ``tests/helpers.py``
  (``group_content``, ``fingerprint``) and ``cheel.store.organizations.opened``;
- ``fast_kdf``: ``cheel.archive.age.scrypt.scrypt_kdf`` memoized;
- ``SCHEMA``: ``cheel.store.schema`` (the target schema the mutations and the oracles use).

Everything else reads and writes the file format with ``pyrage``, ``zstandard``, ``tarfile``
and ``json`` only (``take_apart``, ``file_groups``, the big hostile files), so that "the target
now holds what the file says" is not judged by the reader under test.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import hashlib
import io
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyrage
import pytest
import zstandard
from click.testing import CliRunner

# -- cheel internals (adapt here) -----------------------------------------------------------
from cheel.archive.age import scrypt as age_scrypt
from cheel.archive.age.scrypt import ScryptRecipient
from cheel.archive.members import DATA_RE
from cheel.archive.writer import ContainerWriter
from cheel.cli.main import cli
from cheel.store import organizations
from cheel.store import schema as SCHEMA
from cheel.store.catalog import Catalog, OrgEntry
from helpers import fingerprint, group_content
from vectors_support import load_script

HERE = Path(__file__).resolve().parent
SOURCE = "Quelle AG"
EXISTING = "Bestehend AG"
NEW = "Neu AG"
PASSWORD = "Eigenschaft-Passwort ü 15"
LOG2N = 10  # test-only weak work factor
MTIME = 1741944413  # 2025-03-14T09:26:53Z, the vectors' clock


mv = load_script("sample")  # the sample organization and its deterministic backups
assemble = load_script("assemble")  # files put together byte by byte


@dataclass
class Sources:
    """The honest files (bytes) and the template of the organization restored into."""

    files: dict[str, bytes]  # "plain", "multi" (many small chunks), "encrypted"
    passwords: dict[str, str | None]
    template: Path  # a data dir holding EXISTING (SQLite), copied for every example
    tmp: Path

    def __repr__(self) -> str:
        return f"<Sources in {self.tmp}>"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


def make_sources(tmp: Path) -> Sources:
    """The sample organization (two groups, three companies, documents, users named as
    creators, a contact's firm) backed up whole: plainly, in many small chunks, encrypted;
    and a data dir holding EXISTING, an organization with the same groups (same uids, so a
    restore with ``--on-conflict copy`` copies them) and its own rows."""
    tmp.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(tmp / "source")
    dest = tmp / "out"
    dest.mkdir(exist_ok=True)
    mv.build_sample(catalog, SOURCE)
    files = {
        "plain": mv.backup(catalog, [SOURCE], dest, seed=11),
        "multi": mv.backup(catalog, [SOURCE], dest, seed=12, chunk_bytes=120),
        "encrypted": mv.backup(catalog, [SOURCE], dest, seed=13, password=PASSWORD),
    }
    template = tmp / "template"
    mv.build_sample(Catalog(template), EXISTING, uids_of=SOURCE)
    _own_group(Catalog(template))
    return Sources(files, {"plain": None, "multi": None, "encrypted": PASSWORD}, template, tmp)


def make_pg_existing(template: Path, server: str, dbname: str) -> None:
    """A data dir ``template`` listing EXISTING on PostgreSQL (database ``dbname``, then used
    as the template of every example's copy)."""
    mv.build_sample(Catalog(template), EXISTING, postgres=f"{server}/{dbname}",
                    uids_of=SOURCE)
    _own_group(Catalog(template))


def _own_group(catalog: Catalog) -> None:
    """EXISTING's own data besides the backup's groups: a group of its own."""
    with organizations.opened(catalog, EXISTING) as (_, db):
        organizations.create_company(db, "Eigene Firma AG", new_group="Eigene Gruppe",
                         legal_form="AG")


def list_pg_existing(data_dir: Path, url: str) -> None:
    """Make ``data_dir``'s catalog list EXISTING at ``url`` (a copy of the template)."""
    catalog = Catalog(data_dir)
    catalog.remove(EXISTING)
    catalog.add(OrgEntry(EXISTING, "postgres", url))


@contextlib.contextmanager
def fast_kdf() -> Iterator[None]:
    """conftest's ``fast_kdf`` for a whole module: scrypt memoized, everything else real."""
    original = age_scrypt.scrypt_kdf
    age_scrypt.scrypt_kdf = functools.lru_cache(maxsize=64)(original)
    try:
        yield
    finally:
        age_scrypt.scrypt_kdf = original


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    crash: str | None  # an exception that escaped the command (a traceback), if any

    @property
    def first_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[0] if lines else ""


def run_cli(data_dir: Path, *args: str, password: str | None = None) -> CliResult:
    """``cheel --data-dir DATA_DIR ARGS…`` in this process, no terminal."""
    # Wide enough that Rich never wraps a name: what is printed can be looked for.
    env = {"CHEEL_PASSWORD": password, "CHEEL_DATA_DIR": None, "COLUMNS": "3000"}
    r = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], env=env)
    crash = None
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        import traceback

        crash = "".join(traceback.format_exception(*r.exc_info))[-3000:]
    return CliResult(r.exit_code, r.stdout, r.stderr, crash)


def org_names(data_dir: Path) -> list[str]:
    return [e.name for e in Catalog(data_dir).list()]


def org_fingerprint(data_dir: Path, name: str) -> str:
    return fingerprint(Catalog(data_dir), name)


def group_uids(data_dir: Path, name: str) -> list[str]:
    with organizations.opened(Catalog(data_dir), name) as (_, db):
        return [g.uid for g in organizations.list_groups(db)]


def target_content(data_dir: Path, org: str, uid: str, ignore_uids: bool) -> dict:
    """``helpers.group_content`` of a group in the target, decimals as numbers. A foreign key
    leaving the group (which ``group_content`` cannot rank) is said as such."""
    with organizations.opened(Catalog(data_dir), org) as (_, db):
        with db.snapshot():
            try:
                content = group_content(db, uid, ignore_uids)
            except KeyError as e:
                return {"<error>": f"a restored row refers to a row outside its group ({e})"}
            except AssertionError:
                return {"<error>": f"no group with uid {uid}"}
    return _normalize(content)


def reseal(parts: "Parts", password: str | None = None) -> bytes:
    """A self-consistent file of ``parts``: the index (names, sizes, SHA-256, row counts)
    computed, a zstd frame per member with its checksum, the cheelsha seal, age if
    ``password`` (weak test work factor). Written by cheel's own ContainerWriter; what it
    refuses to write (an index given or edited, a member name no writer makes, data after
    the archive's end) by tests/vectors/assemble.py."""
    items = [("manifest.json", parts.manifest_bytes())]
    items += [(name, parts.chunk_bytes(name)) for name in parts.chunks]
    rows = {name: parts.index_rows.get(name) for name in parts.chunks}
    if parts.index is None and not parts.tail and all(DATA_RE.match(n) for n in parts.chunks):
        out = io.BytesIO()
        recipients = [ScryptRecipient(password, LOG2N)] if password else []
        writer = ContainerWriter(out, recipients, mtime=MTIME)
        for name, data in items:
            writer.add(name, data, rows.get(name))
        writer.close()
        return out.getvalue()
    index = parts.index
    if callable(index):
        edited = index(json.loads(assemble.index_of(items, rows)))
        index = edited if isinstance(edited, bytes) else json.dumps(edited, indent=1).encode()
    index = index if index is not None else assemble.index_of(items, rows)
    contents = [assemble.member(n, d) for n, d in items] + [assemble.member("index.json", index)]
    end = assemble.end_of_archive(sum(len(c) for c in contents)) + parts.tail
    frames = [assemble.frame(c) for c in contents] + [assemble.frame(end)]
    return assemble.put_together(assemble.Parts([], {}), frames=frames, password=password)


# -- the file format, read and written without cheel -----------------------------------------
def plaintext(data: bytes, password: str | None) -> bytes:
    """The tar inside a file: age decrypted by pyrage, every zstd frame decompressed (the
    seal, a skippable frame, set aside)."""
    if data.startswith(b"age-encryption.org/"):
        data = pyrage.passphrase.decrypt(data, password)
    if data[-48:-32] == SEAL_HEAD:
        data = data[:-48]
    return zstandard.ZstdDecompressor().stream_reader(
        io.BytesIO(data), read_across_frames=True).read()


def read_members(data: bytes, password: str | None) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(plaintext(data, password)), mode="r:") as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]


def decode_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        return _Unreadable(f"{type(e).__name__}: {e}")


@dataclass
class _Unreadable:
    why: str


def encode_rows(rows: Any) -> bytes:
    """Compact JSON as the writer makes it; a lone surrogate becomes a JSON escape."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "backslashreplace")


@dataclass
class Parts:
    """A backup taken apart: the manifest and every chunk as JSON values, the index's row
    counts. ``raw`` holds bytes written instead of a member's JSON (``manifest.json`` or a
    chunk name); ``index`` is None (computed), bytes (written as is) or a function editing
    the computed index (a dict) and returning it or bytes."""

    manifest: Any
    chunks: dict[str, Any]
    index_rows: dict[str, int | None]
    raw: dict[str, bytes] = field(default_factory=dict)
    index: bytes | Callable[[dict], Any] | None = None
    tail: bytes = b""  # after the tar's end blocks and padding, inside the zstd frame

    def __repr__(self) -> str:
        return f"<Parts: {len(self.chunks)} chunks>"

    def _repr_pretty_(self, p, cycle) -> None:  # hypothesis prints this
        p.text(repr(self))

    def manifest_bytes(self) -> bytes:
        if "manifest.json" in self.raw:
            return self.raw["manifest.json"]
        return json.dumps(self.manifest, indent=1, ensure_ascii=False).encode(
            "utf-8", "backslashreplace")

    def chunk_bytes(self, name: str) -> bytes:
        return self.raw[name] if name in self.raw else encode_rows(self.chunks[name])

    # -- addressing --------------------------------------------------------------------
    def tables(self) -> list[dict]:
        return self.manifest["tables"]

    def table(self, name: str) -> dict:
        return next(t for t in self.manifest["tables"] if t["name"] == name)

    def columns(self, table: str) -> list[str]:
        return [c["name"] for c in self.table(table)["columns"]]

    def col(self, table: str, column: str) -> int:
        return self.columns(table).index(column)

    def names(self, table: str, scope: str | None = None, org: int = 0) -> list[str]:
        """Chunk names of ``table`` (in ``scope``, or anywhere), in file order."""
        out = []
        for name in self.chunks:
            m = DATA_RE.match(name)
            if m and m[4] == table and int(m[1]) == org and (scope is None or m[2] == scope):
                out.append(name)
        return out

    def rows(self, table: str, scope: str | None = "g1", org: int = 0) -> list[list]:
        """The rows (the lists themselves: edit them in place) of ``table`` in ``scope``."""
        return [r for n in self.names(table, scope, org) for r in self.chunks[n]]

    def ids(self, table: str, scope: str | None = "g1", org: int = 0) -> list[int]:
        i = self.col(table, "id")
        return [r[i] for r in self.rows(table, scope, org)]

    def group(self, key: str = "g1", org: int = 0) -> dict:
        o = next(o for o in self.manifest["organizations"] if o["index"] == org)
        return next(g for g in o["groups"] if g["key"] == key)


def take_apart(data: bytes, password: str | None = None) -> Parts:
    members = read_members(data, password)
    assert members[0][0] == "manifest.json" and members[-1][0] == "index.json", \
        [n for n, _ in members]
    index = json.loads(members[-1][1])
    return Parts(json.loads(members[0][1]),
                 {name: json.loads(body) for name, body in members[1:-1]},
                 {m["name"]: m.get("rows") for m in index["members"]
                  if m["name"] != "manifest.json"})


def fix_counts(parts: Parts) -> None:
    """Row counts made true again after rows were added, dropped or moved: each chunk's in
    the index, each (organization, scope, table)'s in the manifest, the file's total."""
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    for name, rows in parts.chunks.items():
        if name in parts.raw or not isinstance(rows, list):
            continue
        parts.index_rows[name] = len(rows)
        m = DATA_RE.match(name)
        if m:
            counts[(int(m[1]), m[2], m[4])] += len(rows)
    man = parts.manifest
    scope_of = {t["name"]: t["scope"] for t in man["tables"]}
    for o in man["organizations"]:
        o["org_rows"] = {t: counts[(o["index"], "org", t)] for t, s in scope_of.items()
                         if s == "org"}
        for g in o["groups"]:
            g["rows"] = {t: counts[(o["index"], g["key"], t)] for t, s in scope_of.items()
                         if s != "org"}
    man["rows"] = {t: sum(n for (_, _, tt), n in counts.items() if tt == t) for t in scope_of}


def fix_ids(parts: Parts) -> None:
    """Each group's declared id ranges made [min id, max id] of its rows again."""
    for o in parts.manifest["organizations"]:
        for g in o["groups"]:
            ids = {}
            for t in parts.manifest["tables"]:
                if t["scope"] == "org":
                    continue
                values = [v for v in parts.ids(t["name"], g["key"], o["index"]) if _is_int(v)]
                if values:
                    ids[t["name"]] = [min(values), max(values)]
            g["ids"] = ids


def sort_by_id(parts: Parts, table: str, scope: str = "g1") -> None:
    """Rows of ``table`` in ``scope`` back in id order, each chunk keeping its row count."""
    i = parts.col(table, "id")
    names = parts.names(table, scope)
    rows = sorted(parts.rows(table, scope), key=lambda r: r[i])
    for name in names:
        n = len(parts.chunks[name])
        parts.chunks[name], rows = rows[:n], rows[n:]


# -- what a file says a group holds ------------------------------------------------------------
@dataclass
class FileGroup:
    org: int
    key: str
    uid: Any
    name: Any
    content: dict


PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _normalize(content: dict) -> dict:
    """Decimals compared as numbers ("8.1" and "8.10" are one value; the engines differ in
    how many zeros they keep), everything else as it is."""
    out = {}
    for table, rows in content.items():
        if table not in SCHEMA.BY_NAME:
            out[table] = rows
            continue
        types = [c.type for c in SCHEMA.table(table).backup_columns]
        out[table] = [tuple(Decimal(v) if t == "decimal" and isinstance(v, str)
                            and PLAIN_DECIMAL.fullmatch(v) else v for t, v in zip(types, r))
                      for r in rows]
    return out


def file_groups(data: bytes, password: str | None, ignore_uids: bool = False
                ) -> list[FileGroup]:
    """Every group of a file, in the manifest's order, with what the file says it holds,
    shaped like ``helpers.group_content``: the schema's group tables and columns (a column
    the file lacks is None), ids replaced by the row's rank (by id) in its table, foreign
    keys by the referenced row's rank — ``("outside", id)`` if the group holds no such row —
    and references to organization rows by their natural key (``("missing", id)`` if the
    file holds none). Read with pyrage, zstandard, tarfile and json, not with cheel."""
    members = read_members(data, password)
    manifest = json.loads(members[0][1])
    declared = {t["name"]: t for t in manifest["tables"]}
    rows: dict[tuple[int, str, str], list] = defaultdict(list)
    for name, body in members[1:-1]:
        m = DATA_RE.match(name)
        value = decode_json(body)
        if m and isinstance(value, list):
            rows[(int(m[1]), m[2], m[4])].extend(value)

    def as_dicts(o: int, scope: str, table: str) -> list[dict]:
        cols = [c["name"] for c in declared[table]["columns"]] if table in declared else []
        types = {c["name"]: c["type"] for c in declared[table]["columns"]} if cols else {}
        out = []
        for r in rows[(o, scope, table)]:
            d = dict(zip(cols, r))
            for c, v in d.items():
                if types.get(c) == "binary" and isinstance(v, str):
                    try:
                        d[c] = base64.b64decode(v, validate=True)
                    except ValueError:
                        d[c] = ("not base64", v)
            out.append(d)
        return out

    groups = []
    for o in manifest["organizations"]:
        oi = o["index"]
        org_keys: dict[str, dict] = {}
        for t in SCHEMA.org_tables():
            org_keys[t.name] = {d.get("id"): tuple(d.get(k) for k in t.natural_key)
                                for d in as_dicts(oi, "org", t.name)}
        for g in o["groups"]:
            raw = {}
            ranks: dict[str, dict] = {}
            for t in SCHEMA.group_tables():
                ds = as_dicts(oi, g["key"], t.name)
                with contextlib.suppress(TypeError):
                    ds.sort(key=lambda d: d.get("id"))
                raw[t.name] = ds
                ranks[t.name] = {d.get("id"): i for i, d in enumerate(ds)}
            content = {}
            for t in SCHEMA.group_tables():
                out = []
                for d in raw[t.name]:
                    vals = []
                    for c in t.backup_columns:
                        v = d.get(c.name)
                        if c.type == "id":
                            v = ranks[t.name].get(v, ("unranked", v))
                        elif c.ref and v is not None:
                            if SCHEMA.table(c.ref).scope == SCHEMA.ORG:
                                v = org_keys[c.ref].get(v, ("missing", v))
                            else:
                                v = ranks[c.ref].get(v, ("outside", v))
                        elif ignore_uids and c.name in t.new_uid_on_copy + ("name",) and \
                                t.name in (SCHEMA.GROUP_TABLE, SCHEMA.COMPANY_TABLE):
                            v = None
                        vals.append(v)
                    out.append(tuple(vals))
                content[t.name] = out
            groups.append(FileGroup(oi, g["key"], g.get("uid"), g.get("name"),
                                    _normalize(content)))
    return groups


def file_content(path: Path, password: str | None = None, ignore_uids: bool = False
                 ) -> dict[tuple[int, str], dict]:
    """What the file at ``path`` says each group holds, by (organization index, group key)."""
    return {(g.org, g.key): g.content
            for g in file_groups(Path(path).read_bytes(), password, ignore_uids)}


def file_names(data: bytes, password: str | None) -> list[Any]:
    """The organization, group and company names the file's manifest gives (those a
    restore's summary shows)."""
    manifest = json.loads(read_members(data, password)[0][1])
    out = []
    for o in manifest["organizations"]:
        if o["groups"]:  # shown beside its groups
            out.append(o.get("name"))
        for g in o["groups"]:
            out.append(g.get("name"))
            out += [c.get("name") for c in g.get("companies", [])]
    return out


def content_diff(want: dict, got: dict, limit: int = 3) -> str:
    """A short account of how two group contents differ ("" when equal)."""
    if want == got:
        return ""
    if "<error>" in got:
        return got["<error>"]
    lines = []
    for table in sorted(set(want) | set(got)):
        a, b = want.get(table), got.get(table)
        if a == b:
            continue
        if a is None or b is None or len(a) != len(b):
            lines.append(f"{table}: file {_short(a)}, target {_short(b)}")
        else:
            bad = [(x, y) for x, y in zip(a, b) if x != y]
            lines.append(f"{table}: {len(bad)} rows differ, e.g. file {_short(bad[0][0])} "
                         f"target {_short(bad[0][1])}")
        if len(lines) >= limit:
            break
    return "; ".join(lines)


def _short(v: Any, n: int = 160) -> str:
    text = repr(v if not isinstance(v, list) else f"{len(v)} rows: {v[:2]!r}")
    return text if len(text) <= n else text[:n] + "…"


# -- the verdicts ---------------------------------------------------------------------------------
ONE_LINE_MAX = 400


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


ACCEPT, REFUSE, EITHER = "accept", "refuse", "either"
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1
UNIQUE_TUPLES = {c for t in SCHEMA.TABLES for u in t.uniques for c in
                 ((t.name, x) for x in u)}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def value_verdict(table: str, column: str, value: Any, old: Any = None) -> str:
    """What a sound reader does with ``value`` in ``table.column`` (a column that is neither
    an id nor a foreign key), from the target schema: accept what fits the column's type,
    refuse what does not; "either" where the issue leaves it open (control characters in
    texts that are not names, a decimal with fewer places than its scale, a non-canonical
    base64, a column under a unique key)."""
    c = SCHEMA.table(table).column(column)
    if value is None:
        return ACCEPT if c.nullable else REFUSE
    t = c.type
    if t == "int":
        if not _is_int(value) or not INT64_MIN <= value <= INT64_MAX:
            return REFUSE
        if c.max_abs and abs(value) > c.max_abs:
            return REFUSE  # money: the schema bounds it (10^15 centimes)
        if (table, column) in (("entry_lines", "debit"), ("entry_lines", "credit")):
            return ACCEPT if value == old else REFUSE  # the entry would not balance
        verdict = ACCEPT
    elif t == "bool":
        verdict = ACCEPT if _is_int(value) and value in (0, 1) else REFUSE
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


# -- mutations ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mutation:
    """One self-consistent change to a backup (index, checksums and seal are recomputed by
    ``reseal``), with what a sound reader must do with it."""

    cls: str
    label: str
    apply: Callable[[Parts], None] = field(compare=False)
    expect: str | Callable[[Parts], str] = EITHER  # or decided on the honest parts

    def __repr__(self) -> str:
        expect = self.expect if isinstance(self.expect, str) else "judged on the file"
        return f"<{self.cls}: {self.label} → {expect}>"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))

    def verdict(self, honest: Parts) -> str:
        return self.expect if isinstance(self.expect, str) else self.expect(honest)


def mutate(parts: Parts, m: Mutation) -> Parts:
    p = copy.deepcopy(parts)
    m.apply(p)
    return p


def _pick(seq: list, i: int):
    assert seq, "nothing to pick from"
    return seq[i % len(seq)]


# values ------------------------------------------------------------------------------------------
def set_value(table: str, column: str, value: Any, row: int = 0, scope: str = "g1",
              expect: str | None = None, cls: str = "value") -> Mutation:
    """``table.column`` of one row (of ``scope``: ``g1``, ``g2`` or ``org``) set to ``value``;
    unless given, what a sound reader does is ``value_verdict``'s."""

    def apply(p: Parts) -> None:
        _pick(p.rows(table, scope), row)[p.col(table, column)] = value

    def judge(p: Parts) -> str:
        old = _pick(p.rows(table, scope), row)[p.col(table, column)]
        return value_verdict(table, column, value, old)

    return Mutation(cls, f"{scope} {table}.{column}[{row}] = {_short(value, 60)}", apply,
                    expect or judge)


def retype(table: str, column: str, new_type: str, convert: bool = True,
           expect: str = REFUSE) -> Mutation:
    """The manifest declares ``table.column`` as ``new_type``; with ``convert`` its values
    are written as that type would be (so the chunk itself decodes fine)."""

    def apply(p: Parts) -> None:
        c = next(c for c in p.table(table)["columns"] if c["name"] == column)
        old = c["type"]
        c["type"] = new_type
        if not convert:
            return
        i = p.col(table, column)
        for r in p.rows(table, None):
            r[i] = _convert(r[i], old, new_type)

    return Mutation("manifest-type", f"{table}.{column} declared {new_type}"
                    + (" (values converted)" if convert else ""), apply, expect)


def _convert(v: Any, old: str, new: str) -> Any:
    if v is None:
        return None
    text = base64.b64decode(v).decode("latin-1") if old == "binary" else str(v)
    if new == "binary":
        return base64.b64encode(text.encode("utf-8")).decode()
    if new in ("int", "id", "bool"):
        try:
            return int(Decimal(text))
        except InvalidOperation:
            return len(text)
    return text


# ids ---------------------------------------------------------------------------------------------
def _references(p: Parts, table: str) -> Iterator[tuple[str, int]]:
    """(table, column index) of every foreign key to ``table``."""
    for t in p.tables():
        for i, c in enumerate(t["columns"]):
            if c.get("ref") == table:
                yield t["name"], i


def renumber(table: str, new_id: Any, row: int = 0, scope: str = "g1", refs: bool = True,
             fix: bool = True, expect: str = EITHER, label: str | None = None) -> Mutation:
    """Give one row of ``table`` the id ``new_id`` (an int, or "dup" for another row's id
    in the same group, "other" for an id of the table's rows in the other group, "max+N"),
    and (``refs``) every foreign key to it; (``fix``) the declared id ranges follow."""

    def apply(p: Parts) -> None:
        rows = p.rows(table, scope)
        i = p.col(table, "id")
        r = _pick(rows, row)
        old = r[i]
        if new_id == "dup":
            others = [x[i] for x in rows if x[i] != old]
            if not others:  # a single row: it appears twice
                p.chunks[p.names(table, scope)[-1]].append(list(r))
                fix_counts(p)
                others = [old]
            value = _pick(others, row + 1)
        elif new_id == "other" and p.ids(table, "g2" if scope == "g1" else "g1"):
            value = _pick(p.ids(table, "g2" if scope == "g1" else "g1"), row)
        elif new_id == "other":  # the other group has no such rows: a duplicate here
            value = _pick([x[i] for x in rows if x[i] != old] or [old], row + 1)
            if value == old:
                p.chunks[p.names(table, scope)[-1]].append(list(r))
                fix_counts(p)
        elif isinstance(new_id, str) and new_id.startswith("max+"):
            value = max(p.ids(table, None)) + int(new_id[4:])
        else:
            value = new_id
        r[i] = value
        if refs:  # an organization row is referenced from every group
            for t, ci in _references(p, table):
                for x in p.rows(t, None if scope == "org" else scope):
                    if x[ci] == old:
                        x[ci] = value
        if fix:
            fix_ids(p)

    what = label or f"{scope} {table} row {row} gets id {new_id}" + \
        ("" if refs else " (references left)") + ("" if fix else " (id ranges left)")
    return Mutation("id", what, apply, expect)


def swap_rows(table: str, a: int = 0, b: int = 1, scope: str = "g1",
              expect: str = EITHER) -> Mutation:
    def apply(p: Parts) -> None:
        rows = p.rows(table, scope)
        x, y = _pick(rows, a), _pick(rows, b)
        x[:], y[:] = list(y), list(x)

    return Mutation("id", f"{scope} {table} rows {a} and {b} swapped (not in id order)",
                    apply, expect)


def lie_ids(table: str, lo: Any, hi: Any, scope: str = "g1", expect: str = EITHER) -> Mutation:
    """The manifest declares ``table``'s id range of ``scope`` as [lo, hi] ("lo"/"hi": the
    true ones, "lo+1", "hi-1"), rows unchanged."""

    def value(v: Any, true: list) -> Any:
        if v == "lo":
            return true[0]
        if v == "hi":
            return true[1]
        if v == "lo+1":
            return true[0] + 1
        if v == "hi-1":
            return true[1] - 1
        return v

    def apply(p: Parts) -> None:
        ids = p.group(scope)["ids"]
        true = ids.get(table, [1, 1])
        ids[table] = [value(lo, true), value(hi, true)]

    return Mutation("id-range", f"{scope} ids of {table} declared [{lo}, {hi}]", apply, expect)


# foreign keys ------------------------------------------------------------------------------------
def set_ref(table: str, column: str, to: str, row: int = 0, scope: str = "g1",
            expect: str | None = None) -> Mutation:
    """A foreign key of one row pointed ``to``: "other" (a row of the other group),
    "missing" (no row of the file), "null", "same" (another row of the same group),
    "org-missing" (an organization row the file does not hold), "org-other" (another
    organization row it holds)."""
    c = SCHEMA.table(table).column(column)
    ref = c.ref
    assert ref

    def apply(p: Parts) -> None:
        r = _pick(p.rows(table, scope), row)
        i = p.col(table, column)
        other_scope = "g2" if scope == "g1" else "g1"
        if to == "other":
            choices = p.ids(ref, other_scope) or p.ids(ref, "g2")
            value = _pick(choices, row) if choices else max(p.ids(ref, None)) + 1000
        elif to == "missing":
            value = max(p.ids(ref, None) + [0]) + 1000
        elif to == "null":
            value = None
        elif to == "same":
            value = _pick([x for x in p.ids(ref, scope) if x != r[i]] or [r[i]], row)
        elif to == "org-missing":
            value = max(p.ids(ref, "org")) + 1000
        elif to == "org-other":
            value = _pick([x for x in p.ids(ref, "org") if x != r[i]] or [r[i]], row)
        else:
            raise AssertionError(to)
        r[i] = value

    if expect is None:
        if to == "null":
            expect = ACCEPT if c.nullable else REFUSE
        elif to in ("same", "org-other"):
            # Inside the group: sound, unless it may break a unique key or move an entry
            # line to another entry (which then no longer balances).
            expect = EITHER if (table, column) in UNIQUE_TUPLES or \
                (table, column) == ("entry_lines", "entry_id") else ACCEPT
        else:
            expect = REFUSE
    return Mutation("fk", f"{scope} {table}.{column}[{row}] → {to} {ref} row", apply, expect)


# names -------------------------------------------------------------------------------------------
def rename(what: str, name: str, index: int = 0, expect: str | None = None) -> Mutation:
    """A group's, company's or the source organization's name, changed everywhere the file
    says it (the manifest and the table row)."""

    def apply(p: Parts) -> None:
        org = p.manifest["organizations"][0]
        if what == "org":
            org["name"] = name
            return
        if what == "group":
            g = _pick(org["groups"], index)
            g["name"] = name
            for r in p.rows(SCHEMA.GROUP_TABLE, g["key"]):
                r[p.col(SCHEMA.GROUP_TABLE, "name")] = name
            return
        companies = [(g, c) for g in org["groups"] for c in g["companies"]]
        g, c = _pick(companies, index)
        c["name"] = name
        iu, iname = p.col(SCHEMA.COMPANY_TABLE, "uid"), p.col(SCHEMA.COMPANY_TABLE, "name")
        for r in p.rows(SCHEMA.COMPANY_TABLE, g["key"]):
            if r[iu] == c["uid"]:
                r[iname] = name

    who = "the organization" if what == "org" else f"{what} {index}"
    return Mutation("name", f"{who} named {_short(name, 70)}", apply,
                    expect or name_verdict(name))


def reuid(what: str, uid: Any, index: int = 0, expect: str = EITHER) -> Mutation:
    """A group's or company's uid changed in the manifest and in its row; ``uid`` "dup":
    the uid of the other group (or company)."""

    def apply(p: Parts) -> None:
        org = p.manifest["organizations"][0]
        table = SCHEMA.GROUP_TABLE if what == "group" else SCHEMA.COMPANY_TABLE
        if what == "group":
            items = [(g, g) for g in org["groups"]]
        else:
            items = [(g, c) for g in org["groups"] for c in g["companies"]]
        g, item = _pick(items, index)
        old = item["uid"]
        new = _pick([x["uid"] for _, x in items if x["uid"] != old], index) \
            if uid == "dup" else uid
        item["uid"] = new
        iu = p.col(table, "uid")
        for r in p.rows(table, g["key"]):
            if r[iu] == old:
                r[iu] = new

    return Mutation("name", f"{what} {index} uid {_short(uid, 50)}", apply, expect)


# manifest ----------------------------------------------------------------------------------------
_MISSING = object()


def _key(obj: Any, k: Any) -> Any:
    """``k`` as an index of ``obj``; "@name" is the position of the item named so."""
    if isinstance(k, str) and k.startswith("@"):
        return next(i for i, x in enumerate(obj) if x.get("name") == k[1:])
    return k


def at(obj: Any, path: tuple) -> Any:
    for k in path:
        obj = obj[_key(obj, k)]
    return obj


def manifest_set(path: tuple, value: Any = _MISSING, expect: str = REFUSE,
                 label: str | None = None, cls: str = "manifest") -> Mutation:
    """The manifest's value at ``path`` replaced by ``value`` (deleted if none given)."""

    def apply(p: Parts) -> None:
        parent = at(p.manifest, path[:-1])
        k = _key(parent, path[-1])
        if value is _MISSING:
            del parent[k]
        else:
            parent[k] = copy.deepcopy(value)

    what = "deleted" if value is _MISSING else f"= {_short(value, 60)}"
    return Mutation(cls, label or f"manifest {'/'.join(map(str, path))} {what}", apply, expect)


def manifest_edit(label: str, fn: Callable[[Parts], None], expect: str = EITHER,
                  cls: str = "manifest") -> Mutation:
    return Mutation(cls, label, fn, expect)


def deep(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_manifest(where: str, depth: int = 100_000, expect: str = REFUSE) -> Mutation:
    """The manifest with a value nested ``depth`` arrays deep: under an unknown key, as the
    ``organizations`` value, or as the whole manifest."""

    def apply(p: Parts) -> None:
        text = json.dumps(p.manifest, ensure_ascii=False).encode("utf-8", "backslashreplace")
        if where == "whole":
            p.raw["manifest.json"] = deep(depth)
        elif where == "unknown":
            p.raw["manifest.json"] = text[:-1] + b', "zzz_deep": ' + deep(depth) + b"}"
        else:
            m = dict(p.manifest)
            m[where] = "@@DEEP@@"
            p.raw["manifest.json"] = json.dumps(m, ensure_ascii=False).encode(
                "utf-8", "backslashreplace").replace(b'"@@DEEP@@"', deep(depth))

    return Mutation("manifest-deep", f"manifest nested {depth} deep ({where})", apply, expect)


def drop_column(table: str, column: str, expect: str = REFUSE) -> Mutation:
    def apply(p: Parts) -> None:
        i = p.col(table, column)
        del p.table(table)["columns"][i]
        for r in p.rows(table, None):
            del r[i]

    return Mutation("manifest-columns", f"column {table}.{column} dropped (and its values)",
                    apply, expect)


def rename_column(table: str, column: str, new: str, expect: str = REFUSE) -> Mutation:
    def apply(p: Parts) -> None:
        p.table(table)["columns"][p.col(table, column)]["name"] = new

    return Mutation("manifest-columns", f"column {table}.{column} renamed {new}", apply, expect)


def swap_columns(table: str, a: str, b: str, expect: str = EITHER) -> Mutation:
    def apply(p: Parts) -> None:
        i, j = p.col(table, a), p.col(table, b)
        cols = p.table(table)["columns"]
        cols[i], cols[j] = cols[j], cols[i]
        for r in p.rows(table, None):
            r[i], r[j] = r[j], r[i]

    return Mutation("manifest-columns", f"columns {table}.{a} and .{b} swapped (with values)",
                    apply, expect)


def drop_table(table: str, expect: str = EITHER) -> Mutation:
    """``table`` gone from the manifest and the file, later tables renumbered, counts and
    ranges made true (as an older schema without it would write)."""

    def apply(p: Parts) -> None:
        pos = [t["name"] for t in p.tables()].index(table)
        del p.manifest["tables"][pos]
        renumber_members(p, lambda t, seq: None if t == table else
                         (seq - 1 if seq > pos else seq))
        fix_counts(p)
        fix_ids(p)

    return Mutation("manifest-tables", f"table {table} dropped (members renumbered)",
                    apply, expect)


def renumber_members(p: Parts, new_seq: Callable[[str, int], int | None]) -> None:
    chunks, rows = {}, {}
    for name, value in p.chunks.items():
        m = DATA_RE.match(name)
        seq = new_seq(m[4], int(m[3]))
        if seq is None:
            continue
        new = f"data/{m[1]}/{m[2]}/{seq:03d}-{m[4]}-{m[5]}.json"
        chunks[new], rows[new] = value, p.index_rows.get(name)
        if name in p.raw:
            p.raw[new] = p.raw.pop(name)
    p.chunks, p.index_rows = chunks, rows


def rename_members(p: Parts, fn: Callable[[str], str]) -> None:
    p.chunks = {fn(n): v for n, v in p.chunks.items()}
    p.index_rows = {fn(n): v for n, v in p.index_rows.items()}


# counts ------------------------------------------------------------------------------------------
def lie_count(where: str, table: str, delta: Any = 1, expect: str = REFUSE) -> Mutation:
    """A row count made wrong: "group" (g1's rows), "org" (org_rows), "top" (the file's
    rows), "index" (a chunk's rows in the index)."""

    def apply(p: Parts) -> None:
        def bump(d: dict, k: str) -> None:
            d[k] = d.get(k, 0) + delta if _is_int(delta) else delta

        if where == "group":
            bump(p.group("g1")["rows"], table)
        elif where == "org":
            bump(p.manifest["organizations"][0]["org_rows"], table)
        elif where == "top":
            bump(p.manifest["rows"], table)
        elif where == "index":
            name = p.names(table)[0]
            p.index_rows[name] = (p.index_rows[name] or 0) + delta if _is_int(delta) else delta
        else:
            raise AssertionError(where)

    return Mutation("count", f"{where} row count of {table} {'+' if _is_int(delta) else '= '}"
                    f"{_short(delta, 40)}", apply, expect)


# index -------------------------------------------------------------------------------------------
def index_edit(label: str, fn: Callable[[dict], Any], expect: str = REFUSE) -> Mutation:
    """The closing index edited (``fn`` gets the true index, returns it or raw bytes)."""

    def apply(p: Parts) -> None:
        p.index = fn

    return Mutation("index", label, apply, expect)


# members -----------------------------------------------------------------------------------------
def raw_chunk(label: str, table: str, fn: Callable[[bytes], bytes], expect: str = REFUSE,
              scope: str = "g1") -> Mutation:
    """A chunk's bytes replaced (its index entry stays true to them)."""

    def apply(p: Parts) -> None:
        name = p.names(table, scope)[0]
        p.raw[name] = fn(p.chunk_bytes(name))

    return Mutation("chunk-bytes", f"{table} chunk: {label}", apply, expect)


def member_edit(label: str, fn: Callable[[Parts], None], expect: str = EITHER) -> Mutation:
    return Mutation("member", label, fn, expect)


def drop_rows(table: str, row: int = 0, scope: str = "g1", expect: str = EITHER) -> Mutation:
    """One row dropped, counts and ranges made true (a chunk left empty goes, and the
    table's later chunks are renumbered, as a writer would have written them)."""

    def apply(p: Parts) -> None:
        target = _pick(p.rows(table, scope), row)
        names = p.names(table, scope)
        name = next(n for n in names if any(r is target for r in p.chunks[n]))
        p.chunks[name] = [r for r in p.chunks[name] if r is not target]
        if not p.chunks[name]:
            keep = [n for n in names if n != name]
            values = [(p.chunks.pop(n), p.index_rows.pop(n, None)) for n in names]
            del values[names.index(name)]
            for n, (v, c) in zip(names, values):  # the first names, in order
                p.chunks[n], p.index_rows[n] = v, c
            assert len(keep) == len(values)
            _reorder(p)
        fix_counts(p)
        fix_ids(p)

    return Mutation("member", f"{scope} {table} row {row} dropped (counts made true)",
                    apply, expect)


def _reorder(p: Parts) -> None:
    """Chunks back in file order (organization, org before g1, g2…, table, number)."""
    def key(name: str):
        m = DATA_RE.match(name)
        if not m:
            return (1 << 30, 0, 0, 0, name)
        return (int(m[1]), 0 if m[2] == "org" else int(m[2][1:]), int(m[3]), int(m[5]), name)

    order = sorted(p.chunks, key=key)
    p.chunks = {n: p.chunks[n] for n in order}


def _next_chunk(p: Parts, table: str, scope: str = "g1") -> str:
    """The name of the chunk that would follow ``table``'s last one in ``scope``."""
    m = DATA_RE.match(p.names(table, scope)[-1])
    return f"data/{m[1]}/{m[2]}/{m[3]}-{m[4]}-{int(m[5]) + 1:06d}.json"


def rechunk(table: str, scope: str = "g1", per_chunk: int = 1) -> Mutation:
    """``table``'s rows of ``scope`` cut into other chunks (``per_chunk`` rows each; 0: one
    chunk): a writer's choice that every reader takes."""

    def apply(p: Parts) -> None:
        names = p.names(table, scope)
        rows = p.rows(table, scope)
        m = DATA_RE.match(names[0])
        for n in names:
            del p.chunks[n]
            p.index_rows.pop(n, None)
        size = per_chunk or len(rows)
        for k in range(0, len(rows), size):
            n = f"data/{m[1]}/{m[2]}/{m[3]}-{m[4]}-{k // size:06d}.json"
            p.chunks[n] = rows[k:k + size]
            p.index_rows[n] = len(p.chunks[n])
        _reorder(p)

    return Mutation("harmless", f"{scope} {table} rechunked ({per_chunk or 'all'} rows a chunk)",
                    apply, ACCEPT)


def duplicate_row(table: str, row: int = 0, scope: str = "g1", expect: str = EITHER
                  ) -> Mutation:
    """One row copied under a new id (the table's highest + 1), counts and ranges true."""

    def apply(p: Parts) -> None:
        i = p.col(table, "id")
        src = _pick(p.rows(table, scope), row)
        new = list(src)
        new[i] = max(p.ids(table, None)) + 1
        last = p.names(table, scope)[-1]
        p.chunks[last].append(new)
        fix_counts(p)
        fix_ids(p)

    return Mutation("member", f"{scope} {table} row {row} duplicated under a new id",
                    apply, expect)


def balanced_amount(entry: int = 0, delta: int = 1234, scope: str = "g1") -> Mutation:
    """The debit of one line and the credit of another line of the same journal entry
    both raised by ``delta``: the entry still balances."""

    def apply(p: Parts) -> None:
        ie, idb, icr = (p.col("entry_lines", c) for c in ("entry_id", "debit", "credit"))
        entry_id = _pick(p.ids("journal_entries", scope), entry)
        lines = [r for r in p.rows("entry_lines", scope) if r[ie] == entry_id]
        debit = next(r for r in lines if r[idb])
        credit = next(r for r in lines if r[icr])
        debit[idb] += delta
        credit[icr] += delta

    return Mutation("harmless", f"{scope} entry {entry}: debit and credit +{delta}",
                    apply, ACCEPT)


def unknown_keys(where: str) -> Mutation:
    """Keys no reader knows, at ``where`` in the manifest (readers ignore them)."""

    def apply(p: Parts) -> None:
        m = p.manifest
        extra = {"zz_future": {"note": "ignore me", "n": 3}}
        target = {"top": m, "org": m["organizations"][0], "group": p.group("g1"),
                  "company": p.group("g1")["companies"][0], "table": m["tables"][5],
                  "column": m["tables"][5]["columns"][1]}[where]
        target.update(extra)

    return Mutation("harmless", f"unknown manifest keys at {where}", apply, ACCEPT)


# -- the big hostile files (streamed to disk, not held in memory) ---------------------------------
SEAL_HEAD = bytes.fromhex("502a4d18") + (40).to_bytes(4, "little") + b"cheelsha"


class _HashingFile(io.RawIOBase):
    def __init__(self, f):
        self.f, self.hash = f, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.hash.update(b)
        return self.f.write(b)


def write_sealed(path: Path, pieces: Iterable[bytes]) -> None:
    """An unencrypted backup at ``path``: one zstd frame (with checksum) of ``pieces``, then
    the cheelsha seal; made with zstandard and hashlib alone, streamed."""
    with open(path, "wb") as f:
        hashing = _HashingFile(f)
        with zstandard.ZstdCompressor(level=1, write_checksum=True).stream_writer(
                hashing, closefd=False) as z:
            for piece in pieces:
                z.write(piece)
        f.write(SEAL_HEAD + hashing.hash.digest())


def zeros(n: int, step: int = 1 << 20) -> Iterator[bytes]:
    block = bytes(step)
    while n > 0:
        yield block[:min(step, n)]
        n -= step


def _format_1_items(honest: bytes) -> list[tuple[str, bytes]]:
    """``honest``'s members but the index, its manifest saying format version 1 (so that a
    file laid out as format 1 is self-consistent)."""
    items = read_members(honest, None)[:-1]
    manifest = json.loads(items[0][1])
    manifest["format_version"] = 1
    return [("manifest.json", json.dumps(manifest, indent=1).encode())] + items[1:]


def _index(items: list[tuple[str, bytes]], extra: dict | None, version: int) -> bytes:
    listed = json.loads(assemble.index_of(items, {}, version=version))
    if extra:
        listed["members"].append(extra)
    return json.dumps(listed, indent=1).encode()


def trailing_zeros_file(path: Path, honest: bytes, n: int) -> None:
    """Format 1: ``honest``'s archive (end blocks and padding included), then ``n`` more
    zero bytes in the same zstd frame: self-consistent (index, checksum, seal), but a
    stream going on and on."""
    items = _format_1_items(honest)
    parts = [assemble.member(n_, d) for n_, d in items]
    parts.append(assemble.member("index.json", _index(items, None, 1)))
    tar = b"".join(parts)
    write_sealed(path, [tar + assemble.end_of_archive(len(tar)), *zeros(n)])


def bomb_file(path: Path, honest: bytes, size: int, version: int = 2) -> None:
    """``honest``'s members, then a chunk member of ``size`` zero bytes, then an index that
    lists it with its true size and SHA-256: laid out as format 1 (one zstd frame) or 2 (a
    frame per member, this one declaring ``size``)."""
    items = _format_1_items(honest) if version == 1 else read_members(honest, None)[:-1]
    name = "data/0/g2/020-documents-000000.json"
    digest = hashlib.sha256()
    for piece in zeros(size):
        digest.update(piece)
    index = _index(items, {"name": name, "size": size, "sha256": digest.hexdigest(),
                           "rows": 1}, version)

    def bomb() -> Iterator[bytes]:
        yield assemble.header(name, size)
        yield from zeros(size)
        yield bytes(-size % 512)

    before = [assemble.member(n, d) for n, d in items]
    after = assemble.member("index.json", index)
    total = sum(len(p) for p in before) + 512 + size + (-size % 512) + len(after)
    end = assemble.end_of_archive(total)
    if version == 1:
        write_sealed(path, [*before, *bomb(), after, end])
        return
    cctx = zstandard.ZstdCompressor(level=1, write_checksum=True, write_content_size=True)
    cobj = cctx.compressobj(size=512 + size + (-size % 512))
    big = b"".join([cobj.compress(p) for p in bomb()] + [cobj.flush()])
    frames = [assemble.frame(p) for p in before] + [big, assemble.frame(after),
                                                    assemble.frame(end)]
    path.write_bytes(assemble.seal(b"".join(frames)))


@dataclass
class ChildRun:
    code: int | None  # None: killed after the timeout
    stdout: str
    stderr: str
    max_rss_mib: float
    seconds: float


def run_cheel_child(args: list[str], timeout: float, address_limit: int | None = None
                    ) -> ChildRun:
    """``cheel ARGS`` in a child process; its peak RSS from ``os.wait4``. Killed (code None)
    after ``timeout`` seconds; ``address_limit`` (bytes) caps its address space so that a
    reader gone wrong fails instead of taking the machine's memory."""
    code = "from cheel.cli.main import main; main()"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(sys.modules["cheel"].__file__)
                                                        .parent.parent),
                                                    env.get("PYTHONPATH")) if p)
    env.pop("CHEEL_PASSWORD", None)

    def limit() -> None:
        if address_limit:
            resource.setrlimit(resource.RLIMIT_AS, (address_limit, address_limit))

    with open(os.devnull, "rb") as stdin, \
            _temp_file() as out, _temp_file() as err:
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdin=stdin, stdout=out,
                                stderr=err, env=env, preexec_fn=limit)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return ChildRun(None if killed.is_set() else proc.returncode,
                        out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"),
                        usage.ru_maxrss / 1024, seconds)


@contextlib.contextmanager
def _temp_file():
    import tempfile

    with tempfile.TemporaryFile() as f:
        yield f


# -- one mutated file through verify, dry runs and restores ---------------------------------------
@dataclass
class PgTargets:
    """PostgreSQL for the targets: NEW is created on ``server`` (database ``make_name()``),
    EXISTING is a copy of database ``template`` made for each file."""

    server: str
    template: str
    make_name: Callable[[], str]

    def _conn(self):
        import psycopg

        return psycopg.connect(self.server + "/postgres", autocommit=True)

    def clone(self) -> str:
        name = self.make_name()
        with self._conn() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, *names: str | None) -> None:
        with self._conn() as conn:
            for n in names:
                if n:
                    conn.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')

    def databases(self) -> set[str]:
        with self._conn() as conn:
            return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


TRIED: dict[str, int] = defaultdict(int)  # mutated files tried, by test


class Checker:
    """Runs each mutated file through ``verify``, ``restore --dry-run`` and ``restore`` into
    a new organization and into EXISTING (``--on-conflict copy``), on a fresh copy of the
    targets, and says everything that is not as a sound reader would have it."""

    def __init__(self, sources: Sources, work: Path, counter: str,
                 pg: PgTargets | None = None, template: Path | None = None):
        self.sources = sources
        self.work = work
        self.counter = counter
        self.pg = pg
        self.template = template or sources.template
        self.n = 0
        self._before: tuple[str, dict] | None = None

    def _existing_before(self, data_dir: Path) -> tuple[str, dict]:
        """EXISTING's fingerprint and its groups' contents (the same in every copy)."""
        if self._before is None:
            contents = {uid: target_content(data_dir, EXISTING, uid, False)
                        for uid in group_uids(data_dir, EXISTING)}
            self._before = (org_fingerprint(data_dir, EXISTING), contents)
        return self._before

    def check(self, data: bytes, password: str | None, expect: str) -> list[str]:
        TRIED[self.counter] += 1
        self.n += 1
        ex = self.work / f"x{self.n}"
        ex.mkdir(parents=True)
        path = ex / "mutated.cheelbackup"
        path.write_bytes(data)
        dd = ex / "data"
        shutil.copytree(self.template, dd)
        existing_db = new_db = None
        try:
            pg_args: list[str] = []
            if self.pg:
                existing_db = self.pg.clone()
                list_pg_existing(dd, f"{self.pg.server}/{existing_db}")
                new_db = self.pg.make_name()
                pg_args = ["--postgres", f"{self.pg.server}/{new_db}"]
            fp, own = self._existing_before(dd)
            files = _files(dd)
            f = str(path)
            runs = {
                "verify": run_cli(dd, "verify", f, password=password),
                "dry-run new": run_cli(dd, "restore", f, "--into", NEW, "--create", *pg_args,
                                       "--dry-run", password=password),
            }
            problems = []
            if NEW in org_names(dd):
                problems.append("restore --dry-run created the new organization")
            if runs["dry-run new"].code == 0:
                try:
                    names = file_names(data, password)
                except Exception as e:  # noqa: BLE001 - accepted: it must be readable
                    names = []
                    problems.append(f"an accepted manifest cannot be read without cheel: "
                                    f"{type(e).__name__}")
                for name in names:
                    if name_verdict(name) == ACCEPT and name not in runs["dry-run new"].stdout:
                        problems.append(f"the dry run does not show the name {name!r} as it "
                                        "is")
            runs["restore new"] = run_cli(dd, "restore", f, "--into", NEW, "--create",
                                          *pg_args, "--json", password=password)
            runs["dry-run existing"] = run_cli(dd, "restore", f, "--into", EXISTING,
                                               "--on-conflict", "copy", "--dry-run",
                                               password=password)
            runs["restore existing"] = run_cli(dd, "restore", f, "--into", EXISTING,
                                               "--on-conflict", "copy", "--json",
                                               password=password)
            for what, r in runs.items():
                if r.crash:
                    problems.append(f"{what}: an exception escaped: {r.crash[-600:]}")
                if r.code not in (0, 3, 4):
                    problems.append(f"{what}: exit {r.code}: {r.first_line[:300]}")
                elif r.code != 0 and one_sentence(r.stderr):
                    problems.append(f"{what}: exit {r.code}, stderr has "
                                    f"{one_sentence(r.stderr)}")
                if "Traceback" in r.stdout:
                    problems.append(f"{what}: a traceback on stdout")
            codes = {w: r.code for w, r in runs.items()}
            said = {w: r.first_line[:160] for w, r in runs.items() if r.code in (3, 4)}
            said = f" {said}" if said else ""
            if expect == REFUSE and set(codes.values()) != {4}:
                problems.append(f"a sound reader refuses this file (exit 4), got {codes}{said}")
            elif expect == ACCEPT and set(codes.values()) != {0}:
                problems.append(f"a sound reader accepts this file, got {codes}{said}")
            elif len(set(codes.values())) > 1:
                problems.append(f"the verdicts differ: {codes}{said}")
            # the new organization
            new = runs["restore new"]
            if new.code != 0:
                if NEW in org_names(dd):
                    problems.append("a refused restore --create left the organization listed")
                stray = _files(dd) - files
                if stray:
                    problems.append(f"a refused restore --create left files: {sorted(stray)}")
                # Only the target's own database: other tests may share the server.
                if self.pg and new_db in self.pg.databases():
                    problems.append(f"a refused restore --create left its database {new_db}")
            else:
                problems += self._compare(dd, NEW, new.stdout, data, password, new=True)
            # the existing organization
            ext = runs["restore existing"]
            if ext.code != 0:
                if org_fingerprint(dd, EXISTING) != fp:
                    problems.append("a refused restore changed the existing organization")
            else:
                problems += self._compare(dd, EXISTING, ext.stdout, data, password, new=False)
                for uid, content in own.items():
                    got = target_content(dd, EXISTING, uid, False)
                    if got != content:
                        problems.append(f"restoring changed the existing group {uid}: "
                                        f"{content_diff(content, got)}")
            return problems
        finally:
            if self.pg:
                self.pg.drop(new_db, existing_db)
            shutil.rmtree(ex, ignore_errors=True)

    def _compare(self, dd: Path, org: str, stdout: str, data: bytes, password: str | None,
                 new: bool) -> list[str]:
        """The restored groups hold exactly what the file says (names and uids too where
        the restore kept them)."""
        where = "the new organization" if new else "the existing organization"
        try:
            report = json.loads(stdout)
            groups = report["groups"]
        except (ValueError, KeyError, TypeError) as e:
            return [f"restore into {where}: no JSON report ({e}): {stdout[:200]!r}"]
        try:
            exact = file_groups(data, password)
            loose = file_groups(data, password, ignore_uids=True)
        except Exception as e:  # noqa: BLE001 - the file was accepted: it must be readable
            return [f"an accepted file cannot be read without cheel: {type(e).__name__}: {e}"]
        if len(groups) != len(exact):
            return [f"restore into {where} reports {len(groups)} groups, the file holds "
                    f"{len(exact)}"]
        companies = _manifest_companies(data, password)
        problems = []
        for g, fx, fl, cs in zip(groups, exact, loose, companies):
            if g.get("action") == "skip":
                continue
            # Names and uids as in the file unless the restore said it renamed the group or
            # a company (a name taken) or gave it a new identity (a copy).
            keep = new and g.get("action") == "new" and not g.get("renamed") and \
                g.get("companies") == cs
            want = fx.content if keep else fl.content
            got = target_content(dd, org, g["target_uid"], not keep)
            diff = content_diff(want, got)
            if diff:
                problems.append(f"{where}: group {fx.key} restored as {g['target_uid']} is not "
                                f"what the file says: {diff}")
        return problems


def _manifest_companies(data: bytes, password: str | None) -> list[list]:
    manifest = json.loads(read_members(data, password)[0][1])
    return [[c.get("name") for c in g.get("companies", [])]
            for o in manifest["organizations"] for g in o["groups"]]


def _files(d: Path) -> set[str]:
    # .locks/ holds the organizations' lock files (store/locks.py), kept between runs
    return {p.name for p in d.iterdir()
            if not p.name.endswith(("-wal", "-shm", ".lock", ".tmp")) and p.name != ".locks"}


# -- fixtures shared by the sound-file test modules (import them there) ---------------------------
@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Sources:
    return make_sources(tmp_path_factory.mktemp("sound-sources"))


@pytest.fixture(scope="module")
def honest(sources) -> dict[str, Parts]:
    return {k: take_apart(v, sources.passwords[k]) for k, v in sources.files.items()}


@pytest.fixture(scope="module", autouse=True)
def module_kdf():
    with fast_kdf():
        yield


@pytest.fixture(scope="module", autouse=True)
def count_report(request):
    """Say how many mutated files were tried, at the end of the session."""
    pm = request.config.pluginmanager
    if not pm.has_plugin("sound-file-count"):
        pm.register(_CountReport(), "sound-file-count")
    yield


class _CountReport:
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if TRIED:
            total = sum(TRIED.values())
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(TRIED.items()))
            terminalreporter.write_line(f"sound files: {total} mutated files tried ({detail})")
