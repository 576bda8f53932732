"""What the benchmark's parts share: names, labels, and the records of a measurement."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
CHEEL = str(ROOT / ".venv" / "bin" / "cheel")
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
# Issue 22's other two goals, on SQLite at the main size: a replace of the largest group
# against the same group into a new organization, and verify against the restore.
GROUP = "Groupe Helvetia"  # the demo's largest group (80 % of the lines)
REPLACE_LABELS = {
    "restore_plain": "cheel restore --create (the whole file)",
    "verify": "cheel verify (the same file)",
    "group_new": f'cheel restore --create --group "{GROUP}"',
    "group_replace": f'cheel restore --group "{GROUP}" --on-conflict replace (into a copy of '
                     "the organization)",
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



# -- one command at a time, measured and reported (destinations.py, export.py, diff.py) --------
def measure(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command; its failure stops the run."""
    started = time.monotonic()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed: {child.stderr.read().decode()[:500]}")
    return wall, usage.ru_maxrss / 1024


def measure_cpu(argv: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system, every thread) of one
    command: the CPU time does not depend on what else the machine runs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, peak = measure(argv, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, peak, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cheel_env(data_dir: Path) -> dict:
    """The environment of a cheel command on ``data_dir``, never with a password."""
    env = dict(os.environ, CHEEL_DATA_DIR=str(data_dir))
    env.pop("CHEEL_PASSWORD", None)
    return env


def make_demo(env: dict, lines: int) -> None:
    """The demo organization (Demo SA) of ``lines`` journal entry lines, its time said."""
    started = time.monotonic()
    subprocess.run([CHEEL, "demo", "--entries", str(lines)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"demo of {lines:,} lines in {time.monotonic() - started:.1f} s", flush=True)


def alternate(commands: dict[str, list[str] | Callable[[int], list[str]]], env: dict,
              reps: int, measured: Callable[[list[str], dict], tuple] = measure,
              pause: float = 0.0) -> dict[str, list[tuple]]:
    """Each command's ``measured`` samples, the commands alternating, ``reps`` times (a
    command may be a function of the repetition's index); each sample said as it comes,
    ``pause`` seconds between repetitions."""
    samples: dict[str, list[tuple]] = {k: [] for k in commands}
    for rep in range(reps):
        for kind, argv in commands.items():
            sample = measured(argv(rep) if callable(argv) else argv, env)
            samples[kind].append(sample)
            cpu = f", {sample[2]:.2f} s of CPU" if len(sample) > 2 else ""
            print(f"  {kind} rep {rep + 1}: {sample[0]:.2f} s, {sample[1]:.0f} MiB{cpu}",
                  flush=True)
        if pause:
            time.sleep(pause)
    return samples


def best_and_peak(samples: dict[str, list[tuple]]) -> dict:
    """Per command, its best time (s) and its largest peak RSS (MiB)."""
    return {"best_seconds": {k: round(min(s[0] for s in v), 3) for k, v in samples.items()},
            "peak_mib": {k: round(max(s[1] for s in v), 1) for k, v in samples.items()}}


def machine_line() -> str:
    """The start of a report's first sentence: the machine, its cores, Python."""
    return f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; "


def write_results(name: str, results: dict, text: str) -> None:
    """bench/results-NAME.md (the report, also printed) and .json (the figures)."""
    (ROOT / "bench" / f"results-{name}.md").write_text(text)
    (ROOT / "bench" / f"results-{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)
