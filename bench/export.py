"""Exports out of a backup against a verify of the same file (issue 20, "Take data out").

One demo organization of N journal entry lines, backed up once (not encrypted); then, each
repeated and alternating: `cheel verify` of the file (the sound reader alone), and `cheel
export` of the largest company's whole journal (CSV and xlsx) and of its latest year's
general ledger (CSV), then the journals of the other companies (CSV), so that every line
of the file has been exported once. Wall time and peak memory (the child's maximum
resident set, from wait4), side by side with verify's.

    .venv/bin/python bench/export.py                  # 1,000,000 lines, 3 repetitions
    .venv/bin/python bench/export.py --lines 250000 --reps 2

Writes bench/results-export.md and .json.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (CHEEL, alternate, best_and_peak, cheel_env, machine_line, make_demo,
                    write_results)

LARGEST = "Helvetia Services SA"  # 40 % of the demo's lines
OTHERS = ("Helvetia Holding SA", "Helvetia Immobilier SA", "Boulangerie Favre Sàrl",
          "Atelier Keller GmbH")


def rows_of(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cheel-bench-export-") as tmp:
        work = Path(tmp)
        env = cheel_env(work / "data")
        make_demo(env, args.lines)
        (work / "b").mkdir()
        subprocess.run([CHEEL, "backup", "Demo SA", "--dest", str(work / "b")], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        file = str(next((work / "b").glob("*.cheelbackup")))
        out = work / "out"
        out.mkdir()

        def export(company: str, name: str, *more: str) -> list[str]:
            return [CHEEL, "export", file, "--company", company, "--out", str(out / name),
                    *more]

        commands = {
            "verify": [CHEEL, "verify", file],
            "journal csv": export(LARGEST, "journal.csv"),
            "journal xlsx": export(LARGEST, "journal.xlsx", "--format", "xlsx"),
            "ledger csv": export(LARGEST, "ledger.csv", "--what", "ledger"),
        }
        for i, company in enumerate(OTHERS):
            commands[f"journal csv ({company})"] = export(company, f"other{i}.csv")
        samples = alternate(commands, env, args.reps)
        rows = {"journal csv": rows_of(out / "journal.csv"),
                "ledger csv": rows_of(out / "ledger.csv")}
        rows["journal xlsx"] = rows["journal csv"]
        for i, company in enumerate(OTHERS):
            rows[f"journal csv ({company})"] = rows_of(out / f"other{i}.csv")
        size = Path(file).stat().st_size
    results = {"lines": args.lines, "size": size, "reps": args.reps, "rows": rows,
               **best_and_peak(samples)}
    write_results("export", results, report(results))
    return 0


def report(r: dict) -> str:
    verify_s, verify_m = r["best_seconds"]["verify"], r["peak_mib"]["verify"]
    lines = ["# Exports out of a backup against verify of the same file (bench/export.py)", "",
             f"{machine_line()}a demo organization of {r['lines']:,} journal entry lines, "
             f"a backup of {r['size'] / 2**20:.1f} MiB (not encrypted); best time and largest "
             f"peak RSS of {r['reps']} alternating runs. Every export reads the whole file "
             "through the sound reader (as verify does), spools the company's entries and lines "
             "to a temporary SQLite file and writes them out sorted.", "",
             "| command | rows out | time | × verify | peak RSS | × verify |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind, s in r["best_seconds"].items():
        m = r["peak_mib"][kind]
        out = f"{r['rows'][kind]:,}" if kind in r["rows"] else ""
        lines.append(f"| {kind} | {out} | {s:.2f} s | {s / verify_s:.2f}× | {m:.0f} MiB | "
                     f"{m / verify_m:.2f}× |")
    journals = [k for k in r["rows"] if k.startswith("journal csv")]
    total_rows = sum(r["rows"][k] for k in journals)
    total_s = sum(r["best_seconds"][k] for k in journals)
    lines += ["", f"The five companies' journals as CSV: {total_rows:,} rows (every line of the "
              f"file) in {total_s:.1f} s, {total_s / verify_s:.1f}× one verify (each export "
              "reads the whole file once)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
