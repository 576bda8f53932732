"""DDL of the logical schema for each engine, from the declarations in ``schema``."""

from __future__ import annotations

from . import schema as S

SQLITE, POSTGRES = "sqlite", "postgres"

_TYPES = {
    SQLITE: {"int": "INTEGER", "bool": "INTEGER", "text": "TEXT", "decimal": "TEXT",
             "date": "TEXT", "timestamp": "TEXT", "binary": "BLOB"},
    POSTGRES: {"int": "BIGINT", "bool": "BOOLEAN", "text": "TEXT", "decimal": "NUMERIC",
               "date": "DATE", "timestamp": "TIMESTAMP", "binary": "BYTEA"},
}


def _column_ddl(engine: str, c: S.Column, references: bool = True) -> str:
    if c.type == "id":
        return "id INTEGER PRIMARY KEY" if engine == SQLITE else "id BIGSERIAL PRIMARY KEY"
    typ = _TYPES[engine][c.type]
    if c.type == "decimal" and engine == POSTGRES and c.precision:
        typ = f"NUMERIC({c.precision[0]}, {c.precision[1]})"
    parts = [c.name, typ]
    if not c.nullable:
        parts.append("NOT NULL")
    if c.unique:
        parts.append("UNIQUE")
    if c.ref and references:
        # Deferred: rows of one table may reference each other in any order within a load.
        parts.append(f"REFERENCES {c.ref} (id) DEFERRABLE INITIALLY DEFERRED")
    return " ".join(parts)


def ddl(engine: str, bulk: bool = False) -> list[str]:
    # SQLite cannot add a foreign key later: it keeps them, unchecked while loading.
    references = not bulk or engine == SQLITE
    out = ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"]
    for t in S.TABLES:
        cols = [_column_ddl(engine, c, references) for c in t.columns]
        cols += [f"UNIQUE ({', '.join(u)})" for u in t.uniques]
        out.append(f"CREATE TABLE {t.name} (\n  " + ",\n  ".join(cols) + "\n)")
    return out + ([] if bulk else index_ddl())


def index_ddl() -> list[str]:
    """An index on every foreign key: scope joins and key checks walk them. Optional keys
    (mostly NULL, e.g. an entry line's VAT code) get a partial index of their set values."""
    return [f"CREATE INDEX IF NOT EXISTS ix_{t.name}_{c.name} ON {t.name} ({c.name})"
            + (f" WHERE {c.name} IS NOT NULL" if c.nullable else "")
            for t in S.TABLES for c in t.foreign_keys]
