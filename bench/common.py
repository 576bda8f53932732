"""What the benchmark's parts share: names, labels, and the records of a measurement."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
# A throwaway password, only ever passed through the CHEEL_PASSWORD environment variable.
PASSWORD = "cheel-bench-password"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432"
KELLER = "Atelier Keller GmbH"  # the demo's small single-company group (10 % of the lines)

# Command ids → display names. The baseline of a comparison is the id starting with "base_".
LABELS = {
    "sqlite": {
        "backup_enc": "cheel backup (encrypted)",
        "backup_plain": "cheel backup (unencrypted)",
        "base_backup": "sqlite3 .dump | zstd -3",
        "restore_enc": "cheel restore --create (encrypted file)",
        "restore_plain": "cheel restore --create (unencrypted file)",
        "base_restore": "zstd -dc | sqlite3 NEW.db",
        "base_restore_floor": "floor: sqlite3 copies the rows from the attached file, "
                              "then its indexes",
    },
    "postgres": {
        "backup_enc": "cheel backup (encrypted)",
        "backup_plain": "cheel backup (unencrypted)",
        "base_backup": "pg_dump -Fc",
        "restore_enc": "cheel restore --create --postgres (encrypted file)",
        "restore_plain": "cheel restore --create --postgres (unencrypted file)",
        "base_restore": "createdb && pg_restore (--jobs 1, the default)",
        "base_restore_jobs": "createdb && pg_restore --jobs {jobs}",
    },
}
GROUP_LABELS = {
    "group_keller": f'cheel backup --group "{KELLER}"',
    "group_copies": "cheel backup --group ×3 (copies of the 1/100 org)",
    "group_whole": "cheel backup (whole organization)",
}
ENGINE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def floor_script(org_file: Path) -> str:
    """The SQL with which ``sqlite3 NEW.db`` does what a SQLite restore into a new
    organization asks of SQLite itself: the organization's file attached, its tables made in
    a new file without a journal (as cheel loads one), every table's rows copied (no
    decoding, no checks), then the same indexes."""
    out = subprocess.run(
        ["sqlite3", "-separator", "\t", str(org_file),
         "SELECT type, name, replace(replace(sql, char(10), ' '), char(9), ' ') "
         "FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"],
        check=True, capture_output=True, text=True).stdout
    schema = [line.split("\t", 2) for line in out.splitlines() if line]
    tables = [(name, sql) for kind, name, sql in schema if kind == "table"]
    return "\n".join(["PRAGMA journal_mode = OFF;", "PRAGMA synchronous = OFF;",
                      "PRAGMA cache_size = -4096;", f"ATTACH '{org_file}' AS src;", "BEGIN;"]
                     + [f"{sql};" for _, sql in tables]
                     + [f"INSERT INTO main.{n} SELECT * FROM src.{n};" for n, _ in tables]
                     + [f"{sql};" for kind, _, sql in schema if kind == "index"]
                     + ["COMMIT;"]) + "\n"


class BenchError(Exception):
    """A failure the user can act on: printed as one message, exit code 1."""



@dataclass
class Step:
    """One process of a pipeline: its argv, and optional files for its stdin / stdout."""

    argv: list[str]
    stdin: Path | None = None
    stdout: Path | None = None


@dataclass
class Measured:
    wall: float
    user: float
    sys: float
    maxrss_kb: int
    stages: list[dict]
    stdout: str  # the last stage's stdout when it was captured (cheel --json), else ""

    @property
    def cpu(self) -> float:
        return self.user + self.sys


@dataclass
class Sample:
    section: str  # backup | restore | group | setup | startup
    engine: str
    lines: int
    cmd: str
    rep: int
    wall: float
    user: float
    sys: float
    maxrss_kb: int
    out_bytes: int | None
    server_cpu: float | None = None
    stages: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def cpu(self) -> float:
        return self.user + self.sys

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["cpu"] = round(self.cpu, 4)
        return d

