"""A diff of a backup against its organization against a verify of the same file (issue 20).

One demo organization of N journal entry lines (SQLite), backed up (not encrypted); then a
few scripted changes to it, as a day's work would make them (entries booked, one corrected,
one deleted, a line's amount, a contact added and one renamed, a VAT rate); then, each
repeated and alternating: `cheel verify` of the file, `cheel diff FILE --against ORG` (the
backup against the organization it was made from: read by id range first), and `cheel diff
FILE --against COPY`, the backup against a copy of it restored into an organization that
held rows already (other ids: every row matched by natural key, both sides sorted). Wall
time and peak memory (the child's maximum resident set, from wait4), side by side; memory
again at N/4 lines, to see that it stays flat.

    .venv/bin/python bench/diff.py                   # 1,000,000 lines, 3 repetitions
    .venv/bin/python bench/diff.py --lines 250000 --reps 2

Writes bench/results-diff.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (CHEEL, ROOT, alternate, cheel_env, machine_line, measure, measure_cpu,
                    write_results)

sys.path.insert(0, str(ROOT / "src"))

ORG, COPY = "Demo SA", "Copie"
TIME_LIMIT = 1.5  # the bar: a diff at most this many times verify's time
MEMORY_LIMIT = 0.10  # flat: N lines within this fraction of N/4's peak


def changes(data_dir: Path) -> dict:
    """A day's work on the organization: what the diff must find (counts)."""
    from cheel.store.catalog import Catalog
    from cheel.store.organizations import opened

    with opened(Catalog(data_dir), ORG) as (_, db):
        gid = db.scalar("SELECT id FROM company_groups WHERE name = 'Groupe Helvetia'")
        company, fy = db.query("SELECT c.id, f.id FROM companies c JOIN fiscal_years f ON "
                               "f.company_id = c.id WHERE c.group_id = ? ORDER BY f.start_date "
                               "DESC, c.id", (gid,))[0]
        top = db.scalar("SELECT MAX(number) FROM journal_entries WHERE fiscal_year_id = ?",
                        (fy,))
        bank, rent = (db.scalar("SELECT id FROM accounts WHERE group_id = ? AND number = ?",
                                (gid, n)) for n in ("1020", "6000"))
        free = [r[0] for r in db.query(
            "SELECT e.id FROM journal_entries e WHERE e.fiscal_year_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM payments p WHERE p.entry_id = e.id) AND NOT EXISTS (SELECT 1 FROM "
            "invoices i WHERE i.entry_id = e.id) AND NOT EXISTS (SELECT 1 FROM documents d "
            "WHERE d.entry_id = e.id) ORDER BY e.number LIMIT 3", (fy,))]
        with db.transaction():
            for k in range(1, 4):
                entry = db.insert("journal_entries", {
                    "company_id": company, "fiscal_year_id": fy, "number": top + k,
                    "date": "2025-12-31", "description": f"Loyer {k}", "journal": "d",
                    "created_at": "2026-01-05 08:00:00"})
                for account, debit, credit in ((rent, 150000, 0), (bank, 0, 150000)):
                    db.insert("entry_lines", {"entry_id": entry, "account_id": account,
                                              "debit": debit, "credit": credit})
            db.execute("UPDATE journal_entries SET description = 'Corrigée' WHERE id = ?",
                       (free[0],))
            line = db.query("SELECT id FROM entry_lines WHERE entry_id = ? ORDER BY id",
                            (free[1],))
            db.execute("UPDATE entry_lines SET text = 'Remarque' WHERE id = ?", (line[0][0],))
            db.execute("DELETE FROM entry_lines WHERE entry_id = ?", (free[2],))
            db.execute("DELETE FROM journal_entries WHERE id = ?", (free[2],))
            db.insert("contacts", {"group_id": gid, "kind": "firm", "name": "Nouvelle SA",
                                   "created_at": "2026-01-05 09:00:00"})
            db.execute("UPDATE contacts SET name = name || ' SA' WHERE id = (SELECT MIN(id) "
                       "FROM contacts WHERE group_id = ?)", (gid,))
            db.execute("UPDATE vat_codes SET rate = '8.20' WHERE group_id = ? AND code = 'V81'",
                       (gid,))
    return {"journal_entries": {"added": 3, "removed": 1, "changed": 2}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    results: dict = {"lines": args.lines, "reps": args.reps, "runs": {}, "flat": {}}
    with tempfile.TemporaryDirectory(prefix="cheel-bench-diff-") as tmp:
        work = Path(tmp)
        for lines in (args.lines // 4, args.lines):
            data = work / f"data{lines}"
            env = cheel_env(data)
            started = time.monotonic()
            subprocess.run([CHEEL, "demo", "--name", ORG, "--entries", str(lines)], env=env,
                           check=True, stdout=subprocess.DEVNULL)
            dest = work / f"out{lines}"
            dest.mkdir()
            subprocess.run([CHEEL, "backup", ORG, "--dest", str(dest)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            file = str(next(dest.glob("*.cheelbackup")))
            # the copy: an organization holding rows already, so that every id is shifted
            subprocess.run([CHEEL, "demo", "--name", COPY, "--entries", "1000", "--seed", "9"],
                           env=env, check=True, stdout=subprocess.DEVNULL)
            subprocess.run([CHEEL, "restore", file, "--into", COPY], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            expected = changes(data)
            print(f"{lines:,} lines ready in {time.monotonic() - started:.1f} s", flush=True)
            found = json.loads(subprocess.run([CHEEL, "diff", file, "--against", ORG, "--json"],
                                              env=env, check=True, capture_output=True).stdout)
            group = next(g for g in found["groups"] if g["name"] == "Groupe Helvetia")
            assert group["rows"]["journal_entries"] == expected["journal_entries"], group["rows"]
            commands = {"verify": [CHEEL, "verify", file],
                        "diff": [CHEEL, "diff", file, "--against", ORG, "--json"],
                        "diff-copy": [CHEEL, "diff", file, "--against", COPY, "--json"]}
            if lines != args.lines:  # N/4: memory only
                results["flat"][str(lines)] = measure(commands["diff"], env)[1]
                continue
            results["size"] = Path(file).stat().st_size
            results["load"] = [round(x, 2) for x in os.getloadavg()]
            samples = alternate(commands, env, args.reps, measured=measure_cpu)
            results["load"] += [round(x, 2) for x in os.getloadavg()]
            results["flat"][str(lines)] = max(m for _, m, _ in samples["diff"])
            results["runs"] = {k: [[round(s, 3), round(m, 1), round(c, 3)] for s, m, c in v]
                               for k, v in samples.items()}
    write_results("diff", results, report(results))
    return 0


def report(r: dict) -> str:
    runs = r["runs"]
    verify = runs["verify"]
    load = r["load"]
    lines = ["# A diff of a backup against its organization, and a verify (bench/diff.py)",
             "", f"{machine_line()}{r['lines']:,} journal entry lines (SQLite), a "
             f"file of {r['size'] / 2**20:.1f} MiB; {r['reps']} repetitions, the commands "
             "alternating; time: the median of each repetition's ratio to verify's run just "
             "before it (the machine's load changes between repetitions, not within one); "
             "CPU: user + system of all the command's threads (what the machine's load does "
             "not change); peak RSS: the largest. Load average (1, 5, 15 min) "
             f"{load[0]} / {load[1]} / {load[2]} at the start, {load[3]} / {load[4]} / "
             f"{load[5]} at the end.", "",
             "| command | median time | ratio to verify | CPU | CPU ratio | peak RSS |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind, samples in runs.items():
        ratio = statistics.median(s / v[0] for (s, _, _), v in zip(samples, verify))
        cpu = statistics.median(c / v[2] for (_, _, c), v in zip(samples, verify))
        ok = "" if kind == "verify" else (" ✓" if ratio <= TIME_LIMIT else " ✗")
        lines.append(f"| {kind} | {statistics.median(s for s, _, _ in samples):.2f} s | "
                     f"{ratio:.2f}×{ok} | {statistics.median(c for _, _, c in samples):.2f} s "
                     f"| {cpu:.2f}× | {max(m for _, m, _ in samples):.0f} MiB |")
    small, large = (r["flat"][k] for k in sorted(r["flat"], key=int))
    quarter = r["lines"] // 4
    lines += ["", f"Memory of `diff --against {ORG}`: {small:.0f} MiB at {quarter:,} lines, "
              f"{large:.0f} MiB at {r['lines']:,} lines ({large / small - 1:+.1%}; flat within "
              f"{MEMORY_LIMIT:.0%}: {'✓' if large <= small * (1 + MEMORY_LIMIT) else '✗'}).",
              "", f"Bar (issue 20): a diff at most {TIME_LIMIT}× the time of a verify of the "
              "same file, memory bounded as the backup reader's. `diff` is the backup against "
              "the organization it was made from, after the scripted changes (the rows of each "
              "family compared by id range with the live rows, encoded as the backup "
              "encodes them, then only the touched entries by natural key); `diff-copy` "
              "against a restored copy, whose ids differ (every row matched by natural key: "
              "the file's groups spooled to a temporary SQLite file, both sides sorted, "
              "merged). Both find the same differences (tests/test_diff.py)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
