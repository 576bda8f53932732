"""DDL of the logical schema for each engine, from the declarations in ``schema``."""

from __future__ import annotations

from . import schema

SQLITE, POSTGRES = "sqlite", "postgres"

_TYPES = {
    SQLITE: {"int": "INTEGER", "bool": "INTEGER", "text": "TEXT", "decimal": "TEXT",
             "date": "TEXT", "timestamp": "TEXT", "binary": "BLOB"},
    POSTGRES: {"int": "BIGINT", "bool": "BOOLEAN", "text": "TEXT", "decimal": "NUMERIC",
               "date": "DATE", "timestamp": "TIMESTAMP", "binary": "BYTEA"},
}


def _column_ddl(engine: str, c: schema.Column, keys: bool = True) -> str:
    if c.type == "id":
        if engine == SQLITE:
            return "id INTEGER PRIMARY KEY"
        return "id BIGSERIAL PRIMARY KEY" if keys else "id BIGSERIAL"
    typ = _TYPES[engine][c.type]
    if c.type == "decimal" and engine == POSTGRES and c.precision:
        typ = f"NUMERIC({c.precision[0]}, {c.precision[1]})"
    parts = [c.name, typ]
    if not c.nullable:
        parts.append("NOT NULL")
    if c.unique and keys:
        parts.append("UNIQUE")
    if c.ref and keys:
        # Deferred: rows of one table may reference each other in any order within a load.
        parts.append(f"REFERENCES {c.ref} (id) DEFERRABLE INITIALLY DEFERRED")
    return " ".join(parts)


def ddl(engine: str, bulk: bool = False) -> list[str]:
    """The tables and their indexes. ``bulk=True`` (a new database about to be loaded)
    leaves out the foreign-key indexes and, on PostgreSQL, the primary, unique and foreign
    keys: they are added after the load, as pg_restore does. SQLite cannot add keys to a
    table later; it keeps them (its foreign keys unchecked while the loader loads)."""
    keys = not (bulk and engine == POSTGRES)
    out = ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"]
    for t in schema.TABLES:
        cols = [_column_ddl(engine, c, keys) for c in t.columns]
        if keys:
            cols += [f"UNIQUE ({', '.join(u)})" for u in t.uniques]
        out.append(f"CREATE TABLE {t.name} (\n  " + ",\n  ".join(cols) + "\n)")
    return out + ([] if bulk else index_ddl())


def unique_keys() -> list[tuple[str, str, tuple[str, ...]]]:
    """``(constraint name, table, columns)`` of the primary and unique keys that
    ``ddl(POSTGRES, bulk=True)`` leaves out, named as PostgreSQL names them."""
    out = []
    for t in schema.TABLES:
        out.append((f"{t.name}_pkey", t.name, ("id",)))
        for u in [(c.name,) for c in t.columns if c.unique] + list(t.uniques):
            out.append((f"{t.name}_{'_'.join(u)}_key", t.name, tuple(u)))
    return out


def foreign_key_indexes() -> list[tuple[str, str, str]]:
    """``(index name, table, CREATE INDEX …)``: an index on every foreign key, for scope
    joins and key checks. Optional keys (mostly NULL, e.g. an entry line's VAT code) get a
    partial index of their set values."""
    return [(index_name(t.name, c.name), t.name,
             f"CREATE INDEX IF NOT EXISTS {index_name(t.name, c.name)} ON {t.name} ({c.name})"
             + (f" WHERE {c.name} IS NOT NULL" if c.nullable else ""))
            for t in schema.TABLES for c in t.foreign_keys]


def index_name(table: str, column: str) -> str:
    """The name of the index on foreign key ``column`` of ``table``."""
    return f"ix_{table}_{column}"


def index_ddl() -> list[str]:
    return [stmt for _, _, stmt in foreign_key_indexes()]
