#!/usr/bin/env python3
"""A/B of restores (and verify) between two versions of cheel, alternating, pair by pair.

One demo organization of N lines is made once (``cheel demo --entries N --seed 1``) with its
backup; then each pair runs the same command with version A and version B, in flipped order
every other pair, each a process of its own, and prints both wall times (and CPU) and their
ratio B ÷ A. A version is a source tree (its ``src/`` goes first on ``PYTHONPATH``) or a git
ref, checked out into a temporary worktree::

    .venv/bin/python bench/restore_ab.py --a HEAD~1 --b . --case new --lines 1000000 --pairs 5
    .venv/bin/python bench/restore_ab.py --a . --b . --env-b CHEEL_X=1 --case replace

Cases: ``new`` (restore --create of the whole file into a new SQLite organization),
``group-new`` (the largest group alone into a new one), ``replace`` (the largest group
replacing itself in a copy of the organization, made afresh before each run), ``verify``,
``pg-new`` (restore --create into a new PostgreSQL database, dropped after each run) and
``pg-restore`` (``createdb`` + ``pg_restore --jobs 2`` of a ``pg_dump -Fc`` of the same
organization on PostgreSQL), ``sqlite-load`` (``zstd -dc dump.sql.zst | sqlite3 NEW.db``,
the dump made once by ``sqlite3 .dump | zstd -3``) and ``sqlite-floor`` (bench/run.py's
attach-and-copy floor: the organization's rows copied into a new file, then its
indexes), ``backup`` (cheel backup of the whole SQLite organization into a new folder) and
``sqlite-dump`` (its baseline: ``sqlite3 ORG .dump | zstd -3 > FILE``). ``--case-a`` gives A
another case than B, for a ratio of two cases of one version: ``--a . --case-a group-new
--case replace``, ``--case-a pg-restore --case pg-new``, or ``--case-a sqlite-dump --case
backup --encrypted``.
``--encrypted`` backs up with a password (in ``CHEEL_PASSWORD``, never in argv): the file the
restores read, and the ``backup`` case's.
The machine's load average is printed with every pair, and the CPU the machine spent
beyond both commands' own ("others"): other work on a 2-core machine shows in both sides of
a pair alike, which is why only ratios within a pair are compared (and a command that needs
both cores, as a backup does, loses more to it than one that needs one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import GROUP, floor_script

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PG = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = "restore-ab-throwaway"
CASES = ["new", "group-new", "replace", "verify", "pg-new", "pg-restore", "sqlite-load",
         "sqlite-floor", "backup", "sqlite-dump"]
BACKUP_CASES = {"backup", "sqlite-dump"}  # these read the organization, not a backup


def cheel(tree: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    """Run cheel of source tree ``tree`` (untimed: the preparations)."""
    return subprocess.run(cheel_argv(*args), env=dict(env, PYTHONPATH=str(tree / "src")),
                          check=True, capture_output=True, text=True)


def timed(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU (user + sys, the process and its children) seconds of one command."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv[:6])}… failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def busy_seconds() -> float:
    """The CPU seconds every core of the machine has spent working since it started."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cheel_argv(*args: str) -> list[str]:
    return [PY, "-c", "import sys; from cheel.cli.main import main; sys.argv[0] = 'cheel'; "
            "sys.exit(main())", *args]


def version(spec: str, work: Path, label: str) -> Path:
    """A source tree for ``spec``: a folder holding ``src/cheel``, or a git ref."""
    path = Path(spec)
    if (path / "src" / "cheel").is_dir():
        return path.resolve()
    tree = work / f"tree-{label}"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), spec],
                   check=True, capture_output=True)
    return tree


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--a", required=True, help="version A: a source tree or a git ref")
    p.add_argument("--b", default=str(ROOT), help="version B (default: this tree)")
    p.add_argument("--env-a", action="append", default=[], help="NAME=VALUE for A's runs")
    p.add_argument("--env-b", action="append", default=[], help="NAME=VALUE for B's runs")
    p.add_argument("--case", default="new", choices=CASES)
    p.add_argument("--case-a", default=None, choices=CASES, help="A's case (default: --case)")
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--encrypted", action="store_true")
    p.add_argument("--work", default=None, help="keep the organization and backup here "
                   "(made on the first run, reused by the next ones with the same --lines)")
    p.add_argument("--pg-url", default=PG)
    args = p.parse_args()

    temp = Path(tempfile.mkdtemp(prefix="restore-ab-"))
    work = Path(args.work) if args.work else temp
    work.mkdir(parents=True, exist_ok=True)
    base_env = {k: v for k, v in os.environ.items() if k != "CHEEL_PASSWORD"}
    if args.encrypted:
        base_env["CHEEL_PASSWORD"] = PASSWORD
    trees = {"A": version(args.a, temp, "a"), "B": version(args.b, temp, "b")}
    extra = {"A": dict(e.split("=", 1) for e in args.env_a),
             "B": dict(e.split("=", 1) for e in args.env_b)}
    cases = {"A": args.case_a or args.case, "B": args.case}
    pg = bool({"pg-new", "pg-restore"} & set(cases.values()))
    try:
        backup, org_file, dump = prepare(work, args, trees["B"], base_env, pg,
                                         "pg-restore" in cases.values(),
                                         not set(cases.values()) <= BACKUP_CASES)
        ratios = []
        kind = "encrypted" if args.encrypted else "plain"
        print(f"case {cases['A']} / {cases['B']}, {args.lines:,} lines, {kind}; "
              f"A = {args.a} {extra['A'] or ''}; B = {args.b} {extra['B'] or ''}")
        for i in range(args.pairs):
            walls = {}
            busy = busy_seconds()
            for side in ("AB" if i % 2 == 0 else "BA"):
                walls[side] = run_one(args, cases[side], side, trees[side],
                                      dict(base_env, **extra[side]), temp, backup, org_file, dump)
            (wa, ca), (wb, cb) = walls["A"], walls["B"]
            # The CPU the machine spent during the pair beyond both commands' own (a server
            # working for them, PostgreSQL's, counts here too): other work shows there.
            others = max(0.0, busy_seconds() - busy - ca - cb)
            ratios.append(wb / wa)
            load = os.getloadavg()[0]
            print(f"pair {i + 1}: A {wa:6.2f} s (CPU {ca:5.2f})  B {wb:6.2f} s (CPU {cb:5.2f})"
                  f"  B/A {wb / wa:.3f}  load {load:.2f}  others {others:5.2f} s CPU", flush=True)
        print(f"B/A median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, "
              f"max {max(ratios):.3f}) over {len(ratios)} pairs")
    finally:
        for label in ("a", "b"):
            tree = temp / f"tree-{label}"
            if tree.exists():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], capture_output=True)
        shutil.rmtree(temp, ignore_errors=True)


def prepare(work: Path, args, tree: Path, env: dict, pg: bool, want_dump: bool,
            want_backup: bool = True) -> tuple[Path | None, Path, Path | None]:
    """The organization (SQLite, and PostgreSQL for the pg cases), its backup (unless only
    backups are measured), its dump."""
    data = work / f"data-{args.lines}"
    dest = work / f"dest-{args.lines}{'-enc' if args.encrypted else ''}"
    env = dict(env, CHEEL_DATA_DIR=str(data))
    if not (data / "catalog.json").exists():
        cheel(tree, "demo", "--name", "Big", "--entries", str(args.lines), "--seed", "1", env=env)
    org_file = next(data.glob("*.sqlite"))
    if pg:
        pg_org = "BigPg"
        listed = cheel(tree, "org", "list", "--json", env=env).stdout
        if pg_org not in listed:
            cheel(tree, "demo", "--name", pg_org, "--entries", str(args.lines), "--seed", "1",
                  "--postgres", args.pg_url, env=env)
        source = pg_org
    else:
        source = "Big"
    dest = dest.with_name(dest.name + ("-pg" if pg else ""))
    if not want_backup:
        return None, org_file, None
    if not dest.exists():
        dest.mkdir(parents=True)
        cheel(tree, "backup", source, "--dest", str(dest), env=env)
    backup = next(dest.glob("*.cheelbackup"))
    dump = None
    if want_dump:
        dump = work / f"dump-{args.lines}.pgc"
        if not dump.exists():
            entries = json.loads((data / "catalog.json").read_text())
            location = next(o["location"] for o in entries["organizations"]
                            if o["name"] == pg_org)
            subprocess.run(["pg_dump", "-Fc", "-d", location, "-f", str(dump)], check=True)
    return backup, org_file, dump


def run_one(args, case: str, side: str, tree: Path, env: dict, temp: Path, backup: Path | None,
            org_file: Path, dump: Path | None) -> tuple[float, float]:
    env = dict(env, PYTHONPATH=str(tree / "src"))
    run = temp / f"run-{side}"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir()
    env["CHEEL_DATA_DIR"] = str(run)
    if case == "backup":  # read where it is (a backup only reads), written into this run's
        env["CHEEL_DATA_DIR"] = str(org_file.parent)
        return timed(cheel_argv("backup", "Big", "--dest", str(run)), env)
    if case == "sqlite-dump":
        return timed(["sh", "-c", f'sqlite3 "{org_file}" .dump | zstd -3 -q > '
                      f'"{run / "dump.sql.zst"}"'], env)
    assert backup is not None
    if case == "new":
        return timed(cheel_argv("restore", str(backup), "--into", "X", "--create"), env)
    if case == "group-new":
        return timed(cheel_argv("restore", str(backup), "--into", "X", "--create",
                                "--group", GROUP), env)
    if case == "verify":
        return timed(cheel_argv("verify", str(backup)), env)
    if case == "sqlite-load":
        dump = org_file.parent.parent / f"dump-{args.lines}.sql.zst"
        if not dump.exists():
            subprocess.run(["sh", "-c", f'sqlite3 "{org_file}" .dump | zstd -3 -q > "{dump}"'],
                           check=True)
        return timed(["sh", "-c", f'zstd -dc "{dump}" | sqlite3 "{run / "new.db"}" '
                      '> /dev/null'], env)
    if case == "sqlite-floor":
        script = run / "floor.sql"
        script.write_text(floor_script(org_file))
        return timed(["sh", "-c", f'sqlite3 "{run / "new.db"}" < "{script}" > /dev/null'], env)
    if case == "replace":
        # A copy of the organization, as it was, before every run.
        shutil.copy(org_file.parent / "catalog.json", run / "catalog.json")
        shutil.copy(org_file, run / org_file.name)
        return timed(cheel_argv("restore", str(backup), "--into", "Big", "--group", GROUP,
                                "--on-conflict", "replace"), env)
    db = f"restore_ab_{os.getpid()}_{side.lower()}"
    url = f"{args.pg_url}/{db}"
    try:
        if case == "pg-restore":
            return timed(["sh", "-c", f'createdb --maintenance-db="{args.pg_url}/postgres" {db} '
                          f'&& pg_restore --jobs 2 -d "{url}" "{dump}"'], env)
        return timed(cheel_argv("restore", str(backup), "--into", "X", "--create",
                                "--postgres", url), env)
    finally:
        subprocess.run(["dropdb", "--if-exists", f"--maintenance-db={args.pg_url}/postgres",
                        db], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
