"""A fiduciary's night (issue 19): N PostgreSQL organizations backed up by one plan run
against a shell loop of ``pg_dump -Fc`` over the same databases.

    .venv/bin/python bench/fleet.py                      # 100 organizations of 10,000 lines
    .venv/bin/python bench/fleet.py --orgs 20 --keep     # keep the databases for the next run

Each command is one process tree: its wall time, and its peak memory as the largest sum of
the resident sets of the tree's processes (sampled every 20 ms from /proc: the workers of a
run are counted with it). The plan runs three ways: unencrypted, for an age public key
(the run verifies with the private key), and with a passphrase (scrypt, log2n 18, paid by
the backup and again by its verification). Also: cheel's start-up, and the backup of an
empty organization (the per-organization overhead). Writes bench/results-fleet.md/.json;
bench/report.py puts the same table in bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHEEL = str(ROOT / ".venv" / "bin" / "cheel")
PG = os.environ.get("CHEEL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
TIME_BAR, MEMORY_BAR_MIB = 0.8, 400  # the bars


def _tree_rss_kb(root: int) -> int:
    """The resident set of ``root`` and its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def measure(argv: list[str], env: dict, shell: bool = False) -> dict:
    """Wall seconds, the tree's peak RSS (MiB), and the exit code of one command."""
    started = time.monotonic()
    child = subprocess.Popen(argv, env=env, shell=shell, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(child.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = child.communicate()[0].decode(errors="replace")
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    if child.returncode not in (0,):
        print(output[-2000:], file=sys.stderr)
        raise SystemExit(f"{str(argv)[:200]} failed with exit code {child.returncode}")
    return {"seconds": round(wall, 3), "peak_mib": round(peak / 1024, 1),
            "exit": child.returncode}


def _dbname(i: int) -> str:
    return f"cheel_fleet_{i:03d}"


def _drop(i: int, env: dict) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", "SET client_min_messages = warning",
                    "-c", f'DROP DATABASE IF EXISTS "{_dbname(i)}" WITH (FORCE)'],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def create_fleet(env: dict, orgs: int, lines: int) -> None:
    """N demo organizations, each in its own database, two created at a time."""
    def make(i: int) -> None:
        _drop(i, env)
        subprocess.run([CHEEL, "demo", "--name", f"Client {i:03d} SA", "--entries",
                        str(lines), "--seed", str(i), "--postgres", f"{PG}/{_dbname(i)}"],
                       check=True, env=env, stdout=subprocess.DEVNULL)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(make, range(1, orgs + 1)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="Keep the databases and data.")
    parser.add_argument("--work", type=Path, help="Where the data folder lives (reused).")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cheel-bench-fleet-"))
    data = work / "data"
    env = dict(os.environ, CHEEL_DATA_DIR=str(data))
    env.pop("CHEEL_PASSWORD", None)
    started = time.monotonic()
    have = len(json.loads(subprocess.run([CHEEL, "org", "list", "--json"], env=env,
                                         capture_output=True, text=True).stdout or "[]"))
    if have != args.orgs:
        shutil.rmtree(data, ignore_errors=True)
        create_fleet(env, args.orgs, args.lines)
        print(f"{args.orgs} organizations of {args.lines:,} lines in "
              f"{time.monotonic() - started:.0f} s", flush=True)
    results: dict = {"orgs": args.orgs, "lines": args.lines, "jobs": args.jobs}

    dumps = work / "dumps"
    shutil.rmtree(dumps, ignore_errors=True)
    dumps.mkdir()
    loop = " ".join(_dbname(i) for i in range(1, args.orgs + 1))
    results["pg_dump_loop"] = measure(
        f'for db in {loop}; do pg_dump -Fc -f "{dumps}/$db.dump" "{PG}/$db" || exit 1; done',
        env, shell=True)
    print(f"  pg_dump loop: {results['pg_dump_loop']}", flush=True)

    key = work / "key.txt"
    key.unlink(missing_ok=True)
    public = json.loads(subprocess.run([CHEEL, "keygen", "-o", str(key), "--json"], env=env,
                                       capture_output=True, text=True, check=True).stdout)
    passphrase = work / "passphrase"
    passphrase.write_text("a long passphrase for the bench\n")
    variants = {"unencrypted": [],
                "public key": ["--recipient", public["recipient"], "--identity", str(key)],
                "passphrase": ["--password-file", str(passphrase)]}
    for variant, flags in variants.items():
        dest = work / f"backups-{variant.replace(' ', '-')}"
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir()
        subprocess.run([CHEEL, "plan", "add", "fleet", "--dest", str(dest), "--keep-last",
                        "7", "--replace", *flags], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        results[variant] = measure([CHEEL, "plan", "run", "fleet", "--jobs", str(args.jobs)],
                                   env)
        print(f"  plan run ({variant}): {results[variant]}", flush=True)

    # an organization with its groups, companies and charts but no entry: what a backup
    # costs beyond its data (an organization without any group has nothing to back up)
    subprocess.run([CHEEL, "demo", "--name", "Empty SA", "--entries", "0"], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    empty_dest = work / "backups-empty"
    empty_dest.mkdir(exist_ok=True)
    results["startup"] = min((measure([CHEEL, "--version"], env) for _ in range(3)),
                             key=lambda r: r["seconds"])
    results["empty_backup"] = min((measure([CHEEL, "backup", "Empty SA", "--dest",
                                            str(empty_dest)], env) for _ in range(3)),
                                  key=lambda r: r["seconds"])
    subprocess.run([CHEEL, "org", "delete", "Empty SA", "--yes"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results["machine"] = f"{platform.node()}: {os.cpu_count()} cores, Python " \
                         f"{platform.python_version()}"
    text = report(results)
    (ROOT / "bench" / "results-fleet.md").write_text(text)
    (ROOT / "bench" / "results-fleet.json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    # bench/results.md shows the same table (bench/report.py): written again from its json
    subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--from-json",
                    str(ROOT / "bench" / "results.json"), "--out", str(ROOT / "bench")],
                   check=False)
    if not args.keep:
        for i in range(1, args.orgs + 1):
            _drop(i, env)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(r: dict) -> str:
    base = r["pg_dump_loop"]["seconds"]
    lines = [f"{r['machine']}; {r['orgs']} PostgreSQL organizations of {r['lines']:,} journal "
             f"entry lines, each in its own database; `cheel plan run --jobs {r['jobs']}` "
             "(backup, verify, retention of every organization) against a shell loop of "
             "`pg_dump -Fc` (dump only); peak memory = the largest sum of the resident sets "
             "of the command's process tree.", "",
             "| command | time | ratio | peak memory (tree) |", "|---|---:|---:|---:|",
             f"| `pg_dump -Fc` loop | {base:.1f} s | 1.00× | "
             f"{r['pg_dump_loop']['peak_mib']:.0f} MiB |"]
    for variant in ("unencrypted", "public key", "passphrase"):
        v = r[variant]
        ok = "✓" if v["seconds"] <= TIME_BAR * base and v["peak_mib"] < MEMORY_BAR_MIB \
            else "✗"
        lines.append(f"| plan run, {variant} | {v['seconds']:.1f} s | "
                     f"{v['seconds'] / base:.2f}× {ok} | {v['peak_mib']:.0f} MiB |")
    lines += ["", f"Bars (issue 19): at most {TIME_BAR}× the loop's time, the whole run under "
              f"{MEMORY_BAR_MIB} MiB. Start-up (`cheel --version`): "
              f"{r['startup']['seconds']:.2f} s; the backup of an organization without entries "
              f"(start-up included): {r['empty_backup']['seconds']:.2f} s, "
              f"{r['empty_backup']['peak_mib']:.0f} MiB. A passphrase costs each file two "
              "scrypt derivations (log2n 18: one to write, one to verify); public keys cost "
              "none."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
