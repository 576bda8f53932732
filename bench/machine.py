"""The machine, the versions and the sources a run measured."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from common import ROOT

if TYPE_CHECKING:
    from scenarios import Bench


def src_fingerprint() -> str:
    """A short hash of the cheel sources, to tell which code a run measured (the tree may be
    edited between, or during, runs)."""
    h = hashlib.sha256()
    src = ROOT / "src"
    for p in sorted(src.rglob("*.py")):
        h.update(str(p.relative_to(src)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def _first_line(argv: list[str], env: dict | None = None) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _self_rss_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def machine_info(b: "Bench") -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    py = Path(b.cheel).parent / "python"
    py = str(py) if py.exists() else sys.executable
    probe = ("import sys, sqlite3, zstandard, cryptography; "
             "print(sys.version.split()[0], sqlite3.sqlite_version, zstandard.__version__, "
             "cryptography.__version__)")
    parts = _first_line([py, "-c", probe]).split()
    git_head = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    try:
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                               capture_output=True, text=True, timeout=30).stdout
        dirty_n = len([x for x in dirty.splitlines() if x.strip()])
    except (OSError, subprocess.TimeoutExpired):
        dirty_n = None
    info = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": parts[0] if len(parts) == 4 else "unknown",
        "sqlite_python": parts[1] if len(parts) == 4 else "unknown",
        "zstandard_python": parts[2] if len(parts) == 4 else "unknown",
        "cryptography": parts[3] if len(parts) == 4 else "unknown",
        "sqlite3_cli": _first_line(["sqlite3", "--version"]).split()[0],
        "zstd_cli": _first_line(["zstd", "--version"]),
        "cheel": _first_line([b.cheel, "--version"]),
        "git_head": git_head,
        "git_changed_files": dirty_n,
        "src_fingerprint": src_fingerprint(),
        "lines": b.args.lines,
        "sizes": b.sizes,
        "reps": b.args.reps,
        "quick": b.args.quick,
        "engines": b.engines,
        "temp_dir": str(b.tmp),
        "load_average_start": list(os.getloadavg()),
        "cpu_start": cpu_snapshot(b),
        "rss_method": ("/usr/bin/time -f %M per process" if b.time_bin else
                       "wait4 ru_maxrss (floored at the benchmark process's own RSS, "
                       f"{_self_rss_kb() / 1024:.0f} MiB: GNU time not found)"),
        "argv": sys.argv[1:],
    }
    if "postgres" in b.engines:
        info["postgresql_server"] = b.psql("SHOW server_version")
        info["pg_dump"] = _first_line(["pg_dump", "--version"])
        info["pg_url"] = urlunsplit(urlsplit(b.args.pg_url)._replace(path=""))
        info["pg_server_cpu"] = b.pg_clock.pid is not None
    return info



def cpu_snapshot(b: "Bench") -> dict | None:
    """CPU seconds so far: the whole machine's (busy, and stolen by the hypervisor), this
    run's own (the benchmark and every command it waited for) and the local PostgreSQL
    server's. Between two snapshots the rest is what other processes used: unlike the load
    average, which this run's own work raises, it tells whether anything else ran.
    Linux only (``/proc/stat``); ``None`` elsewhere."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    t = os.times()
    return {"time": time.monotonic(),
            "busy": (sum(v[:3]) + sum(v[5:7])) / tick,  # user nice system, irq softirq
            "steal": (v[7] if len(v) > 7 else 0) / tick,
            "own": t.user + t.system + t.children_user + t.children_system,
            "server": b.pg_clock.read()}


def others_cpu(start: dict | None, end: dict | None) -> tuple[float, float] | None:
    """(cores used on average by other processes, cores stolen on average) between two
    :func:`cpu_snapshot` readings."""
    if not start or not end or end["time"] <= start["time"]:
        return None
    wall = end["time"] - start["time"]
    server = ((end["server"] or 0) - (start["server"] or 0)
              if start["server"] is not None and end["server"] is not None else 0.0)
    others = (end["busy"] - start["busy"]) - (end["own"] - start["own"]) - server
    return max(0.0, others) / wall, (end["steal"] - start["steal"]) / wall
