"""Mutations of the members: a chunk's bytes replaced, rows dropped, duplicated or cut
into other chunks; and the member names renumbered or renamed, the chunks put back in file
order."""

from __future__ import annotations

from collections.abc import Callable

from cheel.archive.members import DATA_RE

from .mutation import Mutation, pick
from .parts import Parts, fix_counts, fix_ids
from .verdicts import ACCEPT, EITHER, REFUSE


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
        target = pick(p.rows(table, scope), row)
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
            reorder(p)
        fix_counts(p)
        fix_ids(p)

    return Mutation("member", f"{scope} {table} row {row} dropped (counts made true)",
                    apply, expect)


def reorder(p: Parts) -> None:
    """Chunks back in file order (organization, org before g1, g2…, table, number)."""
    def key(name: str):
        m = DATA_RE.match(name)
        if not m:
            return (1 << 30, 0, 0, 0, name)
        return (int(m[1]), 0 if m[2] == "org" else int(m[2][1:]), int(m[3]), int(m[5]), name)

    order = sorted(p.chunks, key=key)
    p.chunks = {n: p.chunks[n] for n in order}


def next_chunk(p: Parts, table: str, scope: str = "g1") -> str:
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
        reorder(p)

    return Mutation("harmless", f"{scope} {table} rechunked ({per_chunk or 'all'} rows a chunk)",
                    apply, ACCEPT)


def duplicate_row(table: str, row: int = 0, scope: str = "g1", expect: str = EITHER
                  ) -> Mutation:
    """One row copied under a new id (the table's highest + 1), counts and ranges true."""

    def apply(p: Parts) -> None:
        i = p.col(table, "id")
        src = pick(p.rows(table, scope), row)
        new = list(src)
        new[i] = max(p.ids(table, None)) + 1
        last = p.names(table, scope)[-1]
        p.chunks[last].append(new)
        fix_counts(p)
        fix_ids(p)

    return Mutation("member", f"{scope} {table} row {row} duplicated under a new id",
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
