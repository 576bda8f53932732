"""A new PostgreSQL database's keys, indexes and checks, built on several connections."""

from __future__ import annotations

import threading

import psycopg
import pytest

from cheel.errors import DamagedFile, IntegrityError
from cheel.store import organizations
from cheel.store.engines import Check
from cheel.store.pg_steps import ALTER, ANALYZE, FOREIGN_KEY, INDEX, READ, Step, run_steps
from cheel.store.postgres import PostgresDatabase

from helpers import bulk_organization

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db(pg_url, pg_dbname):
    from cheel.store.pgserver import pg_create_database

    name = pg_dbname()
    pg_create_database(f"{pg_url}/{name}", name)
    db = PostgresDatabase(f"{pg_url}/{name}")
    yield db
    db.close()


def _recorder(log: list, lock: threading.Lock, name: str, sql: str = "SELECT pg_sleep(0.05)"):
    def run(db):
        with lock:
            log.append(("start", name))
        db.execute(sql)
        with lock:
            log.append(("end", name))
    return run


def _overlaps(log: list, a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` ran at the same time in the recorded order."""
    running: set[str] = set()
    for event, name in log:
        if event == "start":
            running.add(name)
            if {a, b} <= running:
                return True
        else:
            running.discard(name)
    return False


def test_steps_without_conflicts_run_at_once(pg_db):
    """Two steps that each wait for the other to start can only finish side by side."""
    meet = threading.Barrier(2, timeout=20)

    def step(db):
        meet.wait()
        db.execute("SELECT 1")

    run_steps(pg_db, lambda: PostgresDatabase(pg_db.url),
              [Step("a", step, {"t1": INDEX}), Step("b", step, {"t1": INDEX, "t2": READ})])


@pytest.mark.parametrize("first,second", [(INDEX, ANALYZE), (INDEX, FOREIGN_KEY),
                                          (READ, ALTER), (FOREIGN_KEY, FOREIGN_KEY),
                                          (ANALYZE, ANALYZE)])
def test_conflicting_locks_never_run_at_once_and_order_is_kept(pg_db, first, second):
    log: list = []
    lock = threading.Lock()
    rec = lambda name: _recorder(log, lock, name)  # noqa: E731
    steps = [Step("x", rec("x"), {"t": first}), Step("y", rec("y"), {"t": second}),
             Step("free", rec("free"), {"other": INDEX}),
             Step("last", rec("last"), {"u": READ}, frozenset({"x", "y", "free"}))]
    run_steps(pg_db, lambda: PostgresDatabase(pg_db.url), steps, connections=3)
    assert not _overlaps(log, "x", "y")
    assert log.index(("start", "last")) > max(log.index(("end", n)) for n in ("x", "y", "free"))
    assert sorted(n for e, n in log if e == "end") == ["free", "last", "x", "y"]


def test_a_failing_step_cancels_the_others_and_is_raised(pg_db):
    outcome: dict = {}

    def long(db):
        try:
            db.execute("SELECT pg_sleep(60)")
            outcome["long"] = "finished"
        except psycopg.errors.QueryCanceled:
            outcome["long"] = "cancelled"
            raise

    def fail(db):
        db.execute("SELECT pg_sleep(0.3)")  # the long step is running by now
        raise IntegrityError("3 restored rows are wrong; nothing was restored")

    never = []
    steps = [Step("long", long, {"a": INDEX}), Step("fail", fail, {"b": INDEX}),
             Step("then", lambda db: never.append(1), {"c": READ}, frozenset({"fail"}))]
    with pytest.raises(IntegrityError, match="3 restored rows are wrong"):
        run_steps(pg_db, lambda: PostgresDatabase(pg_db.url), steps)
    assert outcome == {"long": "cancelled"} and not never


def test_unknown_dependencies_are_refused(pg_db):
    with pytest.raises(ValueError):
        run_steps(pg_db, lambda: PostgresDatabase(pg_db.url),
                  [Step("a", lambda db: None, {"t": READ}, frozenset({"b"}))])


def _schema(db) -> set[tuple]:
    """Every constraint and index of the public tables, as PostgreSQL describes them."""
    cons = db.query("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                    "FROM pg_constraint WHERE connamespace = 'public'::regnamespace")
    idx = db.query("SELECT tablename, indexname, indexdef FROM pg_indexes "
                   "WHERE schemaname = 'public'")
    return {("constraint", *r) for r in cons} | {("index", *r) for r in idx}


_PARALLEL = ("max_parallel_maintenance_workers", "max_parallel_workers_per_gather")


@pytest.mark.parametrize("connections", [1, 2])
def test_completed_bulk_schema_is_the_regular_one(catalog, pg_url, pg_dbname, connections):
    regular = organizations.create_organization(catalog, "Regular", postgres=f"{pg_url}/{pg_dbname()}")
    bulk = bulk_organization(catalog, "Bulk", f"{pg_url}/{pg_dbname()}")
    seen = []
    check = Check("look", lambda db: seen.append(db.scalar("SELECT count(*) FROM entry_lines")),
                  ("entry_lines", "journal_entries"), ("entry_lines", ("entry_id",)))
    with organizations.opened(catalog, regular.name) as (_, want), organizations.opened(catalog, bulk.name) as (_, db):
        assert _schema(db) != _schema(want)
        db.complete_schema([check], connections)
        assert _schema(db) == _schema(want)
        assert seen == [0]
        assert db.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 'entry_lines' "
                         "AND attname = 'entry_id'") == 0  # no rows, nothing to sample
        for name in ("maintenance_work_mem", *_PARALLEL):
            assert db.scalar(f"SHOW {name}") == want.scalar(f"SHOW {name}")


@pytest.mark.parametrize("cores,parallel", [(2, False), (1, False), (8, True)])
def test_no_parallel_workers_when_the_connections_fill_the_local_cores(
        catalog, pg_url, pg_dbname, monkeypatch, cores, parallel):
    """Two connections on a 2-core server: PostgreSQL's own workers would only compete
    with them. On a larger machine its settings stay as they are."""
    from cheel.store import postgres

    monkeypatch.setattr(postgres.os, "cpu_count", lambda: cores)
    bulk = bulk_organization(catalog, "Bulk", f"{pg_url}/{pg_dbname()}")
    seen, lock = [], threading.Lock()

    def look(db):
        with lock:
            seen.append(tuple(db.scalar(f"SHOW {n}") for n in _PARALLEL))

    checks = [Check(f"look {i}", look, (t,)) for i, t in
              enumerate(("entry_lines", "journal_entries", "invoices", "contacts"))]
    with organizations.opened(catalog, bulk.name) as (_, db):
        server = tuple(db.scalar(f"SHOW {n}") for n in _PARALLEL)
        db.complete_schema(checks, 2)
        assert tuple(db.scalar(f"SHOW {n}") for n in _PARALLEL) == server
    assert len(seen) == 4
    assert set(seen) == ({server} if parallel else {("0", "0")})
    assert server != ("0", "0")  # else this test proves nothing


@pytest.mark.parametrize("host,local", [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("/var/run/postgresql", True),
    ("", True), (None, True), ("10.0.0.5", False), ("db.example.ch", False)])
def test_local_hosts(host, local):
    from cheel.store.postgres import is_local_host

    assert is_local_host(host) is local


@pytest.mark.parametrize("bad,message", [
    ("INSERT INTO currencies (id, group_id, code, name, decimals) VALUES "
     "(1, 1, 'CHF', 'Franc', 2), (1, 1, 'EUR', 'Euro', 2)", "repeat a value that must be unique"),
    ("INSERT INTO currencies (id, group_id, code, name, decimals) VALUES "
     "(1, 99, 'CHF', 'Franc', 2)", "point to missing rows"),
])
def test_refused_rows_become_one_sentence(catalog, pg_url, pg_dbname, bad, message):
    bulk = bulk_organization(catalog, "Bulk", f"{pg_url}/{pg_dbname()}")
    with organizations.opened(catalog, bulk.name) as (_, db):
        db.execute("INSERT INTO company_groups (id, uid, name, created_at) "
                   "VALUES (1, 'g1', 'G', now())")
        db.execute(bad)
        with pytest.raises(IntegrityError, match=message) as e:
            db.complete_schema([], connections=2)
        assert e.value.message.endswith("nothing was restored")


def test_create_refuses_unbalanced_data_and_leaves_no_database(catalog, tmp_path, pg_url,
                                                               pg_dbname, temporary_databases):
    """The checks that run beside the key builds stop a --create like the others do."""
    from cheel.backup import BackupOptions, plan_backup, run_backup
    from cheel.demo import DemoOptions, create_demo
    from cheel.restore import RestoreOptions, run_restore

    create_demo(catalog, DemoOptions(name="Src", entries=500, seed=2))
    with organizations.opened(catalog, "Src") as (_, db):
        with db.transaction():
            db.execute("UPDATE entry_lines SET debit = debit + 1 WHERE id = "
                       "(SELECT min(id) FROM entry_lines WHERE debit > 0)")
    path = run_backup(catalog, plan_backup(catalog, BackupOptions(["Src"], tmp_path))).path

    final = pg_dbname()
    # The database's balance check stops it; the file's fault, said as DamagedFile.
    with pytest.raises(DamagedFile, match="1 restored journal entries do not balance"):
        run_restore(catalog, RestoreOptions(path, "New", create=True,
                                            postgres=f"{pg_url}/{final}"))
    assert temporary_databases.made and temporary_databases(final) == set()
    assert not catalog.exists("New")
