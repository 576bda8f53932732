"""What the drill tests share (test_drill.py, test_drill_failures.py): a demo organization's
backups, plain, password-encrypted and for a public key, made once per module (``made``);
the system's temporary folder per test, where throwaways are made (``scratch``); the
PostgreSQL databases a test's drills made (``drill_databases``); a backup copied with its
record (``copy``) and the drill command (``drill``). The modules import the fixtures by
name (``# noqa: F401``)."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cheel.backups.record import record_path
from cheel.demo import DemoOptions, create_demo
from cheel.drill import throwaway

from backup_support import PW, backup  # backups made with the weak test work factor
from helpers import run_cli


ORG = "Demo SA"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A demo organization's backups: plain, password-encrypted (weak test work factor),
    and for a public key (with the key), made once; each test copies the ones it drills."""
    from cheel.store.catalog import Catalog

    root = tmp_path_factory.mktemp("drill-sources")
    catalog = Catalog(root / "data")
    create_demo(catalog, DemoOptions(name=ORG, entries=150, seed=7))
    out = root / "out"
    out.mkdir()
    key = root / "key.txt"
    result = run_cli(catalog, "keygen", "-o", str(key), "--json")
    recipient = json.loads(result.output)["recipient"]
    files = {
        "plain": backup(catalog, [ORG], out, now=NOW - timedelta(hours=3)).path,
        "password": backup(catalog, [ORG], out, password=PW,
                           now=NOW - timedelta(hours=2)).path,
        "public-key": backup(catalog, [ORG], out, recipients=[recipient],
                             now=NOW - timedelta(hours=1)).path,
    }
    return catalog, files, key


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """The system's temporary folder, for this test: where throwaways are made."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def drill_databases(monkeypatch, temporary_databases):
    """The PostgreSQL databases this test's drills made (throwaways, and the restore's own
    temporary ones); calling it says which of them still exist."""
    made: list[str] = []
    name = throwaway.pg_temporary_name

    def record(prefix: str) -> str:
        made.append(name(prefix))
        return made[-1]

    monkeypatch.setattr(throwaway, "pg_temporary_name", record)

    def left() -> set[str]:
        assert made, "no drill database was made"
        return temporary_databases(*made)

    return left


def copy(made, kind: str, dest: Path) -> Path:
    """The backup of ``kind`` and its record, copied into ``dest``."""
    _, files, _ = made
    path = dest / files[kind].name
    shutil.copy(files[kind], path)
    shutil.copy(record_path(files[kind]), record_path(path))
    return path


def drill(made, *args: str):
    catalog, _, _ = made
    return run_cli(catalog, "drill", *args)
