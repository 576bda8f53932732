"""What the backup tests share: the weak test-only work factor, a backup helper, readers of
a backup's members and rows, and the check that a damaged file is refused."""

from __future__ import annotations

import random
import shutil
import sys
from datetime import datetime
from pathlib import Path

import msgspec

from cheel.archive.age import Unlocker
from cheel.archive.reader import BackupReader
from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.errors import CheelError, DamagedFile, WrongPassword
from cheel.store import organizations
from cheel.store.catalog import Catalog
from cheel.soundness import SoundReader
from cheel.verify import verify_backup
from vectors_support import load_script

PW = "Backup-Passwort ü 42"
LOG2N = 10  # test-only weak work factor
AGE = shutil.which("age")
ZSTD = shutil.which("zstd")
ALL_BYTES = bytes(range(256))
PYTHON = sys.executable


mv = load_script("sample")  # the sample organization the vectors are made from


def backup(catalog: Catalog, orgs: list[str], dest: Path, groups=(), password=None,
           now: datetime | None = None, progress=None, recipients=()):
    plan = plan_backup(catalog, BackupOptions(list(orgs), dest, list(groups), password,
                                              list(recipients), log2n=LOG2N), now=now)
    return run_backup(catalog, plan, progress)


def read_backup(path: Path, password=None) -> tuple[dict, dict[tuple[int, str, str], list]]:
    """(manifest as plain JSON data, rows by (org index, scope key, table)) read through
    every rule of a sound file."""
    out: dict[tuple[int, str, str], list] = {}
    with open(path, "rb") as f:
        sound = SoundReader(BackupReader(f, Unlocker(password)))
        for chunk in sound:
            out.setdefault((chunk.org, chunk.scope, chunk.table), []).extend(chunk.rows)
        return msgspec.to_builtins(sound.manifest), out


def raw_members(path: Path, password=None) -> list[tuple[str, bytes]]:
    """The data members' names and bytes, as the archive holds them."""
    with open(path, "rb") as f:
        return [(c.name, bytes(c.data)) for c in BackupReader(f, Unlocker(password)).chunks()]


def table_rows(manifest: dict, data: dict, table: str) -> list[dict]:
    cols = next([c["name"] for c in t["columns"]] for t in manifest["tables"]
                if t["name"] == table)
    return [dict(zip(cols, r)) for key, rs in sorted(data.items()) if key[2] == table
            for r in rs]


def make_org(catalog: Catalog, name: str, url: str | None = None) -> None:
    organizations.create_organization(catalog, name, ["fr", "de"], postgres=url)


def must_fail(path: Path, password=None) -> CheelError:
    """verify_backup must refuse ``path`` with WrongPassword or DamagedFile, nothing else."""
    try:
        verify_backup(path, password)
    except (WrongPassword, DamagedFile) as e:
        assert PW not in e.message
        return e
    except Exception as e:  # noqa: BLE001 - any other exception is the failure we look for
        raise AssertionError(f"{type(e).__name__}: {e}") from e
    raise AssertionError("a damaged backup was accepted")



STAMPS = ["2024-12-31 23:59:59", "1970-01-01 00:00:00", "2024-02-29 12:00:00"]


def add_documents(catalog: Catalog, org: str, company: str, count: int, size: int,
                  seed: int, ext: str = "pdf", mime: str = "application/pdf") -> None:
    """A new organization with one company holding ``count`` random documents of ``size``
    bytes each."""
    make_org(catalog, org)
    rng = random.Random(seed)
    with organizations.opened(catalog, org) as (_, db):
        organizations.create_company(db, company)
        company_id = db.scalar("SELECT id FROM companies")
        with db.transaction():
            for i in range(count):
                db.insert("documents", {"company_id": company_id, "filename": f"{i}.{ext}",
                                        "mime_type": mime, "content": rng.randbytes(size),
                                        "created_at": STAMPS[0]})
