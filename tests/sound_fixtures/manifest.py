"""Mutations of what the file declares: the manifest (a value at a path, nesting, columns and
their types, tables, row counts, unknown keys) and the closing index."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from .content import short
from .members import renumber_members
from .mutation import Mutation
from .parts import Parts, fix_counts, fix_ids
from .verdicts import ACCEPT, EITHER, REFUSE, is_int

MISSING = object()


def _key(obj: Any, k: Any) -> Any:
    """``k`` as an index of ``obj``; "@name" is the position of the item named so."""
    if isinstance(k, str) and k.startswith("@"):
        return next(i for i, x in enumerate(obj) if x.get("name") == k[1:])
    return k


def at(obj: Any, path: tuple) -> Any:
    for k in path:
        obj = obj[_key(obj, k)]
    return obj


def manifest_set(path: tuple, value: Any = MISSING, expect: str = REFUSE,
                 label: str | None = None, cls: str = "manifest") -> Mutation:
    """The manifest's value at ``path`` replaced by ``value`` (deleted if none given)."""

    def apply(p: Parts) -> None:
        parent = at(p.manifest, path[:-1])
        k = _key(parent, path[-1])
        if value is MISSING:
            del parent[k]
        else:
            parent[k] = copy.deepcopy(value)

    what = "deleted" if value is MISSING else f"= {short(value, 60)}"
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


def lie_count(where: str, table: str, delta: Any = 1, expect: str = REFUSE) -> Mutation:
    """A row count made wrong: "group" (g1's rows), "org" (org_rows), "top" (the file's
    rows), "index" (a chunk's rows in the index)."""

    def apply(p: Parts) -> None:
        def bump(d: dict, k: str) -> None:
            d[k] = d.get(k, 0) + delta if is_int(delta) else delta

        if where == "group":
            bump(p.group("g1")["rows"], table)
        elif where == "org":
            bump(p.manifest["organizations"][0]["org_rows"], table)
        elif where == "top":
            bump(p.manifest["rows"], table)
        elif where == "index":
            name = p.names(table)[0]
            p.index_rows[name] = (p.index_rows[name] or 0) + delta if is_int(delta) else delta
        else:
            raise AssertionError(where)

    return Mutation("count", f"{where} row count of {table} {'+' if is_int(delta) else '= '}"
                    f"{short(delta, 40)}", apply, expect)


def index_edit(label: str, fn: Callable[[dict], Any], expect: str = REFUSE) -> Mutation:
    """The closing index edited (``fn`` gets the true index, returns it or raw bytes)."""

    def apply(p: Parts) -> None:
        p.index = fn

    return Mutation("index", label, apply, expect)


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
