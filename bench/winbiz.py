"""The WinBIZ import measured against the restore of a backup of the same data (issue 17).

For each size, a WinBIZ company is written by the tests' fixture writer (three fiscal years,
realistic Swiss books); `cheel import winbiz` imports it into an empty organization; that
organization is backed up, and the backup restored into another empty organization (the
same kind of target: an existing organization) and into a new one (`--create`). Wall time
and peak memory (the command's maximum resident set, from wait4: for the import, the
larger of its two processes) side by side, as ratios.

    .venv/bin/python bench/winbiz.py                       # 250,000 and 1,000,000 lines
    .venv/bin/python bench/winbiz.py --lines 50000 --no-postgres   # a quick look

Writes bench/results-winbiz.md and .json (bench/work/ with --quick).
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
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fixture writer

CHEEL = str(ROOT / ".venv" / "bin" / "cheel")
PG = os.environ.get("CHEEL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
IMPORT_LIMIT = 1.5  # the import may take at most this many times the restore
MEMORY_LIMIT = 1.10  # peak memory at 4N at most this many times that at N


def run(argv: list[str], env: dict) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one command; its failure stops the run."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:3])} failed ({child.returncode}): "
                             f"{err.read().decode()[:500]}")
    return wall, usage.ru_maxrss, text


def measure(size: int, engine: str, work: Path, reps: int) -> dict:
    from winbiz_fixtures import write_company

    source = work / f"src-{size}"
    if not source.exists():
        started = time.monotonic()
        expected = write_company(source, years=(2022, 2023, 2024), lines=size, seed=1)
        print(f"  wrote {expected.lines:,} lines in {time.monotonic() - started:.1f} s",
              flush=True)
    folder = next((source / "DAT").iterdir())
    data = work / f"data-{engine}-{size}"
    env = dict(os.environ, CHEEL_DATA_DIR=str(data))
    env.pop("CHEEL_PASSWORD", None)
    samples: dict[str, list[tuple[float, int]]] = {"import": [], "restore_existing": [],
                                                    "restore_new": []}

    def org(name: str) -> None:
        argv = [CHEEL, "org", "create", name]
        if engine == "postgres":
            argv += ["--postgres", PG]
        run(argv, env)

    for rep in range(reps):
        tag = uuid.uuid4().hex[:6]
        target, existing, new = f"Import {tag}", f"Restore {tag}", f"New {tag}"
        org(target)
        org(existing)
        wall, rss, out = run([CHEEL, "import", "winbiz", str(folder), "--into", target,
                              "--json"], env)
        lines = json.loads(out)["lines"]
        samples["import"].append((wall, rss))
        dest = work / f"backups-{tag}"
        dest.mkdir()
        _, _, out = run([CHEEL, "backup", target, "--dest", str(dest), "--json"], env)
        path = json.loads(out)["path"]
        samples["restore_existing"].append(run([CHEEL, "restore", path, "--into", existing,
                                                "--json"], env)[:2])
        argv = [CHEEL, "restore", path, "--into", new, "--create", "--json"]
        if engine == "postgres":
            argv += ["--postgres", PG]
        samples["restore_new"].append(run(argv, env)[:2])
        for name in (target, existing, new):
            run([CHEEL, "org", "delete", name, "--yes"], env)
        shutil.rmtree(dest)
    best = {k: min(v) for k, v in samples.items()}  # the least disturbed repetition
    return {"lines": lines, "engine": engine,
            **{f"{k}_seconds": round(v[0], 2) for k, v in best.items()},
            **{f"{k}_rss_kib": v[1] for k, v in best.items()}}


def report(results: list[dict], sizes: list[int]) -> str:
    lines = ["# WinBIZ import against restore (bench/winbiz.py)", "",
             f"{platform.node()}: {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; the best of the repetitions.", "",
             "| engine | lines | import | restore into an existing organization | ratio "
             "| restore --create | import peak RSS | restore peak RSS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ratio = r["import_seconds"] / r["restore_existing_seconds"]
        lines.append(f"| {r['engine']} | {r['lines']:,} | {r['import_seconds']:.2f} s | "
                     f"{r['restore_existing_seconds']:.2f} s | {ratio:.2f}× "
                     f"{'✓' if ratio <= IMPORT_LIMIT else '✗'} | "
                     f"{r['restore_new_seconds']:.2f} s | "
                     f"{r['import_rss_kib'] / 1024:.0f} MiB | "
                     f"{r['restore_existing_rss_kib'] / 1024:.0f} MiB |")
    lines += ["", f"Bars: the import takes at most {IMPORT_LIMIT}× the restore of a backup of "
              "the same data into an existing organization (the import's own kind of target); "
              f"its peak memory grows by less than {MEMORY_LIMIT - 1:.0%} from the smallest to "
              "the largest size. The import runs two processes (the reader, a child, and the "
              "writer); its peak RSS is the larger of the two, as wait4 reports it.", ""]
    for engine in sorted({r["engine"] for r in results}):
        rows = sorted((r for r in results if r["engine"] == engine), key=lambda r: r["lines"])
        if len(rows) > 1:
            growth = rows[-1]["import_rss_kib"] / rows[0]["import_rss_kib"]
            lines.append(f"- {engine}: import peak RSS {rows[0]['lines']:,} → "
                         f"{rows[-1]['lines']:,} lines: ×{growth:.3f} "
                         f"{'✓' if growth <= MEMORY_LIMIT else '✗'}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="250000,1000000",
                        help="sizes in entry lines, comma-separated (default 250000,1000000)")
    parser.add_argument("--reps", type=int, default=1, help="repetitions (default 1)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--quick", action="store_true", help="50,000 lines, results in "
                        "bench/work/")
    args = parser.parse_args()
    sizes = [50_000] if args.quick else [int(n) for n in args.lines.split(",")]
    engines = ["sqlite"] + ([] if args.no_postgres else ["postgres"])
    out = ROOT / "bench" / ("work" if args.quick else "")
    out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="cheel-bench-winbiz-") as tmp:
        for size in sizes:
            for engine in engines:
                print(f"{engine} {size:,} lines", flush=True)
                results.append(measure(size, engine, Path(tmp), args.reps))
                print(f"  {results[-1]}", flush=True)
    text = report(results, sizes)
    (out / "results-winbiz.md").write_text(text)
    (out / "results-winbiz.json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
