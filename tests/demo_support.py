"""What the demo tests share: one demo organization per engine and module, a content hash,
and independent implementations of the Swiss check digits."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest

from cheel.demo import DemoOptions, create_demo
from cheel.store import schema
from cheel.store.catalog import Catalog
from cheel.store.organizations import opened
from cheel.store.staging import drop_database

LINES = 2000


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request, tmp_path_factory):
    """One demo organization per engine (2000 lines), shared by the tests of this module."""
    catalog = Catalog(tmp_path_factory.mktemp(f"demo-{request.param}"))
    postgres = None
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        postgres = f"{url}/cheel_test_demo_{uuid.uuid4().hex[:10]}"
    calls: list[tuple[int, int]] = []
    entry = create_demo(catalog, DemoOptions(name="Demo SA", entries=LINES, seed=7,
                                             postgres=postgres),
                        progress=lambda done, total: calls.append((done, total)))
    with opened(catalog, entry.name) as (_, db):
        yield catalog, entry, db, calls
    drop_database(catalog, entry)


def db_of(demo):
    return demo[2]


def group_id_of(db, name):
    return db.scalar("SELECT id FROM company_groups WHERE name = ?", (name,))


def content_hash(db) -> str:
    """A hash of every row of every table, in canonical form and id order."""
    h = hashlib.sha256()
    for key, value in db.query("SELECT key, value FROM meta ORDER BY key"):
        h.update(repr((key, value)).encode())
    for t in schema.TABLES:
        exprs = ", ".join(db.select_expr(c, "t0") for c in t.columns)
        h.update(t.name.encode())
        for row in db.query(f"SELECT {exprs} FROM {t.name} t0 ORDER BY t0.id"):
            h.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v
                                for v in row)).encode())
    return h.hexdigest()


# -- independent check-digit implementations ------------------------------------------------
def ide_valid(ide: str) -> bool:
    m = re.fullmatch(r"CHE-(\d{3})\.(\d{3})\.(\d{3})", ide)
    if not m:
        return False
    digits = [int(c) for c in "".join(m.groups())]
    rest = sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4), digits)) % 11
    check = (11 - rest) % 11
    return check != 10 and check == digits[8]


def qr_valid(ref: str) -> bool:
    if not re.fullmatch(r"\d{27}", ref):
        return False
    table = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)
    carry = 0
    for ch in ref[:26]:
        carry = table[(carry + int(ch)) % 10]
    return (10 - carry) % 10 == int(ref[26])
