#!/usr/bin/env python3
"""cheel benchmark: backup and restore side by side with the SQLite and PostgreSQL tools.

Run from the project root::

    .venv/bin/python bench/run.py --quick          # ~1-2 minutes, 50,000 lines, 1 repetition
    .venv/bin/python bench/run.py                  # the full run: 1,000,000 lines, 3 repetitions

Every command runs as its own process (the baselines as real pipelines). For each command the
script records the wall time, the CPU time of the process(es) (user + sys, from ``os.wait4``),
the peak RSS (``ru_maxrss``; for a pipeline, the largest over its processes) and the size of
what it wrote. Commands of one comparison alternate within each repetition; tables show medians.
See bench/README.md for what is measured and how to read the results.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from common import DEFAULT_PG, ROOT, BenchError, Sample
from scenarios import Bench


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark cheel backup/restore against sqlite3 .dump|zstd and "
                    "pg_dump/pg_restore. See bench/README.md.")
    p.add_argument("--quick", action="store_true",
                   help="small data (50,000 lines) and 1 repetition: about a minute")
    p.add_argument("--lines", type=int, default=None,
                   help="N, journal entry lines of the main organization (default 1,000,000; "
                        "50,000 with --quick); also measured: N/100, N/10, N/4")
    p.add_argument("--big", action="store_true", help="also measure 4×N lines")
    p.add_argument("--reps", type=int, default=None,
                   help="repetitions of every command (default 3; 1 with --quick)")
    p.add_argument("--out", default=None,
                   help="where to write the results (default bench/; bench/work/ with --quick, "
                        "which git ignores: a quick run never changes a tracked file)")
    p.add_argument("--stem", default=None,
                   help="file name of the results without extension (default 'results', "
                        "'results-quick' with --quick)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory and the PostgreSQL databases")
    p.add_argument("--tmp-dir", default=None,
                   help="create the temporary directory here (default: the system's)")
    p.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    p.add_argument("--pg-url", default=os.environ.get("CHEEL_BENCH_PG", DEFAULT_PG),
                   help="PostgreSQL server URL (a superuser; default %(default)s, "
                        "env CHEEL_BENCH_PG)")
    p.add_argument("--from-json", metavar="FILE", default=None,
                   help="only write the report and plot again from a results .json")
    p.add_argument("--drop-kept", metavar="TAG", default=None,
                   help="drop the databases a --keep run kept (it prints its TAG) and exit")
    p.add_argument("--cheel", default=None, help="the cheel executable (default .venv/bin/cheel)")
    args = p.parse_args(argv)
    if args.lines is None:
        args.lines = 50_000 if args.quick else 1_000_000
    if args.reps is None:
        args.reps = 1 if args.quick else 3
    if args.out is None:
        args.out = str(ROOT / "bench" / ("work" if args.quick else ""))
    if args.lines < 500:
        p.error("--lines must be at least 500 (the demo's minimum)")
    if args.reps < 1:
        p.error("--reps must be at least 1")
    return args


def drop_kept(args: argparse.Namespace) -> int:
    """Drop the databases named cheelbench_<TAG>_… that a --keep run left."""
    tag = args.drop_kept.lower()
    if not all(ch.isalnum() or ch == "_" for ch in tag):
        print(f"bench: error: not a run tag: {args.drop_kept}", file=sys.stderr)
        return 2
    b = Bench(args)
    try:
        names = b.psql("SELECT datname FROM pg_database WHERE datname LIKE "
                       f"'cheelbench\\_{tag}\\_%' ORDER BY 1").split()
        for name in names:
            b.drop_db(name)
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 1
    print(f"bench: dropped {len(names)} database(s)", file=sys.stderr)
    return 0


def from_json(args: argparse.Namespace) -> int:
    """Write the report and the plot again from a results .json (no measuring)."""
    try:
        data = json.loads(Path(args.from_json).read_text())
        meta = data["meta"]
        args.lines, args.reps, args.quick = meta["lines"], meta["reps"], meta["quick"]
        args.big = 4 * meta["lines"] in meta["sizes"]
        args.no_postgres = "postgres" not in meta["engines"]
        b = Bench(args)
        b.meta = meta
        fields = set(Sample.__dataclass_fields__)
        b.samples = [Sample(**{k: v for k, v in d.items() if k in fields})
                     for d in data["samples"]]
        b.write_results()
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"bench: error: cannot read {args.from_json}: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.drop_kept:
        return drop_kept(args)
    if args.from_json:
        return from_json(args)
    bench = Bench(args)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    rc = 0
    try:
        bench.run()
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        rc = 1
    except KeyboardInterrupt:
        print("bench: interrupted; cleaning up", file=sys.stderr)
        rc = 130
    finally:
        try:
            bench.cleanup()
        except KeyboardInterrupt:
            print("bench: cleanup interrupted; temporary files or databases may remain "
                  f"(prefix cheelbench_{bench.tag})", file=sys.stderr)
            rc = 130
    return rc


if __name__ == "__main__":
    sys.exit(main())
