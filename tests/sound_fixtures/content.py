"""What a file says each group holds, read with ``pyrage``, ``zstandard``, ``tarfile`` and
``json`` only (not by the reader under test), shaped like ``helpers.group_content``; how two
group contents differ."""

from __future__ import annotations

import base64
import contextlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cheel.archive.members import DATA_RE
from cheel.store import schema

from .parts import decode_json, read_members
from .verdicts import PLAIN_DECIMAL


@dataclass
class FileGroup:
    org: int
    key: str
    uid: Any
    name: Any
    content: dict


def normalize(content: dict) -> dict:
    """Decimals compared as numbers ("8.1" and "8.10" are one value; the engines differ in
    how many zeros they keep), everything else as it is."""
    out = {}
    for table, rows in content.items():
        if table not in schema.BY_NAME:
            out[table] = rows
            continue
        types = [c.type for c in schema.table(table).backup_columns]
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
        for t in schema.org_tables():
            org_keys[t.name] = {d.get("id"): tuple(d.get(k) for k in t.natural_key)
                                for d in as_dicts(oi, "org", t.name)}
        for g in o["groups"]:
            raw = {}
            ranks: dict[str, dict] = {}
            for t in schema.group_tables():
                ds = as_dicts(oi, g["key"], t.name)
                with contextlib.suppress(TypeError):
                    ds.sort(key=lambda d: d.get("id"))
                raw[t.name] = ds
                ranks[t.name] = {d.get("id"): i for i, d in enumerate(ds)}
            content = {}
            for t in schema.group_tables():
                out = []
                for d in raw[t.name]:
                    vals = []
                    for c in t.backup_columns:
                        v = d.get(c.name)
                        if c.type == "id":
                            v = ranks[t.name].get(v, ("unranked", v))
                        elif c.ref and v is not None:
                            if schema.table(c.ref).scope == schema.ORG:
                                v = org_keys[c.ref].get(v, ("missing", v))
                            else:
                                v = ranks[c.ref].get(v, ("outside", v))
                        elif ignore_uids and c.name in t.new_uid_on_copy + ("name",) and \
                                t.name in (schema.GROUP_TABLE, schema.COMPANY_TABLE):
                            v = None
                        vals.append(v)
                    out.append(tuple(vals))
                content[t.name] = out
            groups.append(FileGroup(oi, g["key"], g.get("uid"), g.get("name"),
                                    normalize(content)))
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
            lines.append(f"{table}: file {short(a)}, target {short(b)}")
        else:
            bad = [(x, y) for x, y in zip(a, b) if x != y]
            lines.append(f"{table}: {len(bad)} rows differ, e.g. file {short(bad[0][0])} "
                         f"target {short(bad[0][1])}")
        if len(lines) >= limit:
            break
    return "; ".join(lines)


def short(v: Any, n: int = 160) -> str:
    text = repr(v if not isinstance(v, list) else f"{len(v)} rows: {v[:2]!r}")
    return text if len(text) <= n else text[:n] + "…"
