"""Backups end to end, what goes into the file: every column type round-trips on both
engines (plain and encrypted), PostgreSQL dates whatever the DateStyle; chunk boundaries,
large rows, a row too large for the format; add_lines cuts exactly as one row at a time.
Which rows a backup holds, names, destinations and snapshots: test_backup_content.py.

Real files, real SQLite, real PostgreSQL (skipped with a reason when the server is not
reachable, unless CHEEL_REQUIRE_PG=1). Encryption uses the test-only work factor log2n=10.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cheel.archive import members, rows
from cheel.errors import CheelError
from cheel.store import organizations
from cheel.store import schema
from cheel.store.catalog import Catalog
from cheel.verify import verify_backup

from backup_support import (ALL_BYTES, PW, STAMPS, add_documents, backup, make_org, raw_members,
                            read_backup, table_rows)


# -- every column type, both engines -------------------------------------------------------
TEXTS = ["", "plain", 'double " quote, back\\slash and \\" both', "line\nfeed\r\nCRLF\ttab",
         "Zürich, Genève, Ticino, Graubünden – ß", "emoji 😀 👍🏽 𝄞", "\u2028\u2029 separators",
         "control \x01\x1f\x7f", "עברית العربية", "e\u0301 combining", "'single' `back`",
         '{"json": [1, 2], "x": null}', "x" * 5000]
BIG_INTS = [0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63)]
MONEY = [0, 1, -1, 2**31, 10**15 - 7, schema.MONEY_LIMIT, -schema.MONEY_LIMIT]
DECIMALS_18_6 = ["0.000000", "0.000001", "-1.500000", "123456789012.123456", "0.950000"]
DECIMALS_5_2 = ["8.10", "-0.01", "999.99", "0.00"]
DATES = ["2024-02-29", "1900-01-01", "9999-12-31", "2000-01-01"]


def _fill_types(db) -> dict[str, dict[int, dict]]:
    """Rows of every column type; returns what was written, by table and id."""
    rng = random.Random(5)
    blobs = [b"", ALL_BYTES, b"\x00", rng.randbytes(100_000), "ü\n".encode()]
    want: dict[str, dict[int, dict]] = {}

    def put(table: str, values: dict) -> int:
        rid = db.insert(table, values)
        want.setdefault(table, {})[rid] = dict(values, id=rid)
        return rid

    with db.transaction():
        gid = put("company_groups", {"uid": "g-types", "name": "Types ü", "created_at": STAMPS[0]})
        chf = put("currencies", {"group_id": gid, "code": "CHF", "name": TEXTS[4], "decimals": 2})
        for i, rate in enumerate(DECIMALS_18_6):
            put("exchange_rates", {"currency_id": chf, "valid_from": DATES[i % len(DATES)],
                                   "rate": rate})
        acc = [put("accounts", {"group_id": gid, "number": str(1000 + i), "kind": "asset",
                                "currency_id": chf if i else None, "active": bool(i % 2)})
               for i in range(3)]
        for i, rate in enumerate(DECIMALS_5_2):
            put("vat_codes", {"group_id": gid, "code": f"V{i}", "kind": "sales", "rate": rate,
                              "valid_from": DATES[i], "valid_to": None if i % 2 else DATES[2],
                              "account_id": acc[0] if i else None})
        contact = None
        for i, text in enumerate(TEXTS):
            contact = put("contacts", {"group_id": gid, "kind": "firm", "name": text,
                                       "first_name": None if i % 2 else text, "firm_id": contact,
                                       "language": None, "created_by": None,
                                       "created_at": STAMPS[i % len(STAMPS)]})
        company = put("companies", {"group_id": gid, "uid": "c-types", "name": "Typen AG",
                                    "legal_form": None, "ide_number": "CHE-123.456.788",
                                    "vat_number": None, "contact_id": contact,
                                    "created_at": STAMPS[1]})
        year = put("fiscal_years", {"company_id": company, "name": "2024",
                                    "start_date": DATES[3], "end_date": DATES[2], "closed": True})
        # 64-bit integers in every corner (entry numbers); money at its schema's limits,
        # each line balanced.
        entries = [put("journal_entries", {"company_id": company, "fiscal_year_id": year,
                                           "number": n, "date": DATES[0], "reference": None,
                                           "description": TEXTS[3], "journal": "main",
                                           "created_by": None, "created_at": STAMPS[2]})
                   for n in BIG_INTS]
        entry = entries[0]
        for i, n in enumerate(MONEY):
            put("entry_lines", {"entry_id": entries[i % len(entries)], "account_id": acc[i % 3],
                                "debit": n, "credit": n, "vat_code_id": None,
                                "currency_id": chf if i % 2 else None,
                                "amount_fc": None if i % 2 else -n,
                                "rate": DECIMALS_18_6[i % 5] if i % 3 else None,
                                "text": TEXTS[i % len(TEXTS)]})
        for i, blob in enumerate(blobs):
            put("documents", {"company_id": company, "entry_id": entry if i % 2 else None,
                              "filename": f"doc-{i}.bin", "mime_type": "application/octet-stream",
                              "content": blob, "created_at": STAMPS[i % 3]})
    return want


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_every_column_type_round_trips(catalog, dest, engine_url, encrypted):
    make_org(catalog, "Types", engine_url)
    with organizations.opened(catalog, "Types") as (_, db):
        want = _fill_types(db)
    result = backup(catalog, ["Types"], dest, password=PW if encrypted else None)
    assert result.encrypted is encrypted
    verified = verify_backup(result.path, PW if encrypted else None)
    manifest, data = read_backup(result.path, PW if encrypted else None)
    assert verified.rows == sum(manifest["rows"].values()) == sum(len(v) for v in data.values())
    for table, by_id in want.items():
        got = {r["id"]: r for r in table_rows(manifest, data, table)}
        assert got == by_id, table
    # The raw chunks: a JSON array of rows; no float, no true/false; binary as base64 text.
    for name, chunk in raw_members(result.path, PW if encrypted else None):
        if not name.startswith("data/"):
            continue
        rows = json.loads(chunk)
        assert isinstance(rows, list) and rows
        for row in rows:
            assert isinstance(row, list)
            assert all(v is None or type(v) in (int, str) for v in row), row
    # Manifest: column types and decimal scales as declared.
    tables = {t["name"]: t for t in manifest["tables"]}
    assert [t["name"] for t in manifest["tables"]] == [t.name for t in schema.TABLES]
    rate = next(c for c in tables["exchange_rates"]["columns"] if c["name"] == "rate")
    assert rate == {"name": "rate", "type": "decimal", "nullable": False, "scale": 6}
    assert "password_hash" not in [c["name"] for c in tables["users"]["columns"]]


@pytest.mark.postgres
def test_postgres_dates_do_not_depend_on_datestyle(catalog, dest, pg_url, pg_dbname):
    import psycopg

    name = pg_dbname()
    make_org(catalog, "Datestyle", f"{pg_url}/{name}")
    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{name}\" SET DateStyle = 'German, DMY'")
    with organizations.opened(catalog, "Datestyle") as (_, db):
        with db.transaction():
            db.insert("company_groups", {"uid": "u", "name": "G",
                                         "created_at": "2024-02-29 10:00:00"})
    _, data = read_backup(backup(catalog, ["Datestyle"], dest).path)
    assert data[(0, "g1", "company_groups")][0][3] == "2024-02-29 10:00:00"


# -- chunk boundaries ----------------------------------------------------------------------
ROW_VALUE = "v" * 50


def _row_bytes(contact: int) -> int:
    """Encoded size of one communications row (ids of 6 digits) plus its separator."""
    line = json.dumps([100000, contact, "email", ROW_VALUE], separators=(",", ":"))
    return len(line.encode()) + 1


def _chunking_org(catalog: Catalog, n: int) -> int:
    make_org(catalog, "Chunks")
    with organizations.opened(catalog, "Chunks") as (_, db):
        organizations.create_company(db, "Chunk AG")
        contact = db.scalar("SELECT id FROM contacts")
        with db.transaction():
            db.insert_rows("communications", ["id", "contact_id", "kind", "value"],
                           [(100000 + i, contact, "email", ROW_VALUE) for i in range(n)])
    return contact


@pytest.mark.parametrize("n, limit_rows, limit_delta, chunks", [
    (0, 10, 0, []),  # no rows: no chunk at all
    (10, 10, 0, [10]),  # exactly one full chunk
    (10, 10, -1, [10]),  # one byte under the size of 10 rows: still 10 rows
    (10, 10, +1, [10]),  # one byte over: the chunk is not full, ends with the table
    (9, 10, 0, [9]),  # one row short
    (11, 10, 0, [10, 1]),  # one row over: a second chunk of one row
    (103, 10, 0, [10] * 10 + [3]),  # many chunks
    (25_003, 1000, 0, [1000] * 25 + [3]),  # across the 10,000-row fetch batches
    (3, 0, 1, [1, 1, 1]),  # a limit below one row: one row per chunk
])
def test_chunk_boundaries(catalog, dest, monkeypatch, n, limit_rows, limit_delta, chunks):
    contact = _chunking_org(catalog, n)
    size = _row_bytes(contact)
    monkeypatch.setattr(rows, "CHUNK_BYTES", limit_rows * size + limit_delta)
    result = backup(catalog, ["Chunks"], dest)
    verify_backup(result.path)
    members = [(name, data) for name, data in raw_members(result.path)
               if "-communications-" in name]
    assert [len(json.loads(d)) for _, d in members] == chunks
    assert [name.rsplit("-", 1)[1] for name, _ in members] == \
        [f"{i:06d}.json" for i in range(len(chunks))]
    assert all(len(d) == k * size + 1 for (_, d), k in zip(members, chunks))
    manifest, data = read_backup(result.path)
    got = data.get((0, "g1", "communications"), [])
    assert [r[0] for r in got] == [100000 + i for i in range(n)]
    assert manifest["organizations"][0]["groups"][0]["rows"]["communications"] == n


def test_large_rows_never_make_large_chunks(catalog, dest, monkeypatch):
    """Documents are fetched and chunked row by row: a chunk is at most the limit + one row."""
    add_documents(catalog, "Docs", "Docs AG", 40, 20_000, seed=3)
    monkeypatch.setattr(rows, "CHUNK_BYTES", 64 * 1024)
    result = backup(catalog, ["Docs"], dest)
    docs = [d for name, d in raw_members(result.path) if "-documents-" in name]
    assert len(docs) > 5
    assert max(len(d) for d in docs) < 64 * 1024 + 30_000
    assert verify_backup(result.path).rows == 40 + 3


def test_a_row_too_large_for_the_format_fails_the_backup(catalog, dest, monkeypatch):
    make_org(catalog, "Huge")
    with organizations.opened(catalog, "Huge") as (_, db):
        organizations.create_company(db, "Huge AG")
        with db.transaction():
            db.insert("documents", {"company_id": db.scalar("SELECT id FROM companies"),
                                    "filename": "big.bin", "mime_type": "x/y",
                                    "content": bytes(3000), "created_at": STAMPS[0]})
    monkeypatch.setattr(members, "MAX_CHUNK", 2000)
    with pytest.raises(CheelError, match="more than the 2000 bytes"):
        backup(catalog, ["Huge"], dest)
    assert list(dest.iterdir()) == []  # neither a final file nor a .part


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"\n", b"x")),
                max_size=60),
       st.lists(st.integers(0, 60), max_size=6), st.integers(1, 300))
def test_add_lines_cuts_exactly_like_one_row_at_a_time(texts, splits, limit):
    """Rows joined by newlines (several units) give the chunks that adding rows one by one
    gives: same cuts, same bytes, same counts."""
    expected, current, size = [], [], 0
    for t in texts:  # the rule, one row at a time: the row reaching the limit closes a chunk
        current.append(t)
        size += len(t) + 1
        if size >= limit:
            expected.append((b"[" + b",".join(current) + b"]", len(current)))
            current, size = [], 0
    if current:
        expected.append((b"[" + b",".join(current) + b"]", len(current)))
    lines = rows.ChunkBuilder(["text"], limit=limit)
    got, bounds = [], sorted({min(s, len(texts)) for s in splits} | {0, len(texts)})
    for a, b in zip(bounds, bounds[1:]):
        got += lines.add_lines(b"\n".join(texts[a:b]))
    got += [lines.take()] if not lines.empty else []
    assert got == expected
