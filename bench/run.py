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
import datetime as dt
import hashlib
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


class BenchError(Exception):
    """A failure the user can act on: printed as one message, exit code 1."""


# -- measuring ---------------------------------------------------------------------------------
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


class PgServerClock:
    """CPU seconds used by the local PostgreSQL server (postmaster + all its processes).

    Backends exit when their client disconnects and the postmaster reaps them, which moves
    their CPU time into its ``cutime``/``cstime``; so the sum over the postmaster and its live
    children only grows. Best effort: ``None`` when the server is not local or /proc is not
    readable. It counts every client of the server, not only ours.
    """

    def __init__(self, postmaster_pid: int | None):
        self.pid = postmaster_pid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @staticmethod
    def _stat(pid: int | str) -> list[str] | None:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                text = f.read().decode("ascii", "replace")
        except OSError:
            return None
        return text.rsplit(")", 1)[1].split()

    def read(self) -> float | None:
        if self.pid is None:
            return None
        me = self._stat(self.pid)
        if me is None:
            return None
        ticks = sum(int(me[i]) for i in (11, 12, 13, 14))
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            st = self._stat(name)
            if st is not None and int(st[1]) == self.pid:
                ticks += sum(int(st[i]) for i in (11, 12, 13, 14))
        return ticks / self.tick


def _gnu_time() -> str | None:
    """GNU time (``/usr/bin/time``), if it works: it measures each command's own peak RSS."""
    path = shutil.which("time", path="/usr/bin:/bin:/usr/local/bin")
    if not path:
        return None
    try:
        with tempfile.NamedTemporaryFile("r") as f:
            out = subprocess.run([path, "-f", "%M", "-o", f.name, "true"], timeout=10,
                                 capture_output=True)
            ok = out.returncode == 0 and f.read().strip().isdigit()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if ok else None


# -- the benchmark -----------------------------------------------------------------------------
class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.cheel = str(Path(args.cheel).resolve()) if args.cheel else str(ROOT / ".venv/bin/cheel")
        self.tag = f"{os.getpid()}_{secrets.token_hex(2)}"
        self.tmp: Path | None = None
        self.data_dir: Path | None = None
        self.pg_dbs: list[str] = []  # every database this run created (dropped at the end)
        self.running: list[subprocess.Popen] = []
        self.samples: list[Sample] = []
        self.counter = 0
        self.started = time.monotonic()
        self.engines = ["sqlite"] + ([] if args.no_postgres else ["postgres"])
        self.jobs = os.cpu_count() or 1
        self.files: dict[tuple[str, int, str], Path] = {}  # (engine, lines, kind) → a kept output
        self.orgs: dict[tuple[str, int], str] = {}  # (engine, lines) → organization name
        self.pg_clock = PgServerClock(None)
        self.time_bin = _gnu_time()
        n = args.lines
        sizes = {max(500, n // 100), max(500, n // 10), max(500, n // 4), n}
        if args.big:
            sizes.add(4 * n)
        self.sizes = sorted(sizes)
        self.small, self.mid, self.n = max(500, n // 100), max(500, n // 10), n
        # peak RSS at 1x and 4x the data
        self.mem_pairs = [(max(500, n // 4), n)] + ([(n, 4 * n)] if args.big else [])

    # ---- logging and helpers
    def log(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.started:7.1f}s] {msg}", file=sys.stderr, flush=True)

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def env(self, data_dir: Path, password: bool = False) -> dict:
        env = {k: v for k, v in os.environ.items() if k != "CHEEL_PASSWORD"}
        env["CHEEL_DATA_DIR"] = str(data_dir)
        if password:
            env["CHEEL_PASSWORD"] = PASSWORD
        return env

    def pg_url(self, dbname: str) -> str:
        u = urlsplit(self.args.pg_url)
        return urlunsplit((u.scheme, u.netloc, "/" + dbname, u.query, u.fragment))

    def new_db_name(self, what: str) -> str:
        name = f"cheelbench_{self.tag}_{what}".lower()
        if len(name) > 63:
            raise BenchError(f"database name too long: {name}")
        self.pg_dbs.append(name)
        return name

    def psql(self, sql: str, db: str = "postgres") -> str:
        try:
            out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                                  "-d", self.pg_url(db), "-c", sql],
                                 capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise BenchError(f"psql failed: {e}") from None
        if out.returncode != 0:
            raise BenchError(f"psql failed ({sql[:60]}…): {out.stderr.strip()}")
        return out.stdout.strip()

    def drop_db(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def pg_db_size(self, name: str) -> int:
        return int(self.psql(f"SELECT pg_database_size('{name}')"))

    # ---- running one measured job
    def measure(self, pipelines: list[list[Step]], env: dict, what: str) -> Measured:
        """Run pipelines one after the other (like ``a | b && c | d``) and measure them all.

        CPU times are summed over every process; peak RSS is the largest of them.
        """
        logs = self.tmp / "logs"
        logs.mkdir(exist_ok=True)
        stages: list[dict] = []
        captured = ""
        t0 = time.perf_counter()
        for pipe in pipelines:
            procs: list[tuple[subprocess.Popen, Path, Step, Path]] = []
            out_log = logs / f"{self.next_id()}.out"
            try:
                prev: subprocess.Popen | None = None
                for i, st in enumerate(pipe):
                    last = i == len(pipe) - 1
                    err_log = logs / f"{self.next_id()}.err"
                    opened = []
                    if st.stdin is not None:
                        stdin = open(st.stdin, "rb")
                        opened.append(stdin)
                    elif prev is not None:
                        stdin = prev.stdout
                    else:
                        stdin = subprocess.DEVNULL
                    if last:
                        stdout = open(st.stdout if st.stdout else out_log, "wb")
                        opened.append(stdout)
                    else:
                        stdout = subprocess.PIPE
                    stderr = open(err_log, "wb")
                    opened.append(stderr)
                    rss_file = logs / f"{self.next_id()}.rss"
                    argv = ([self.time_bin, "-f", "%M", "-o", str(rss_file), *st.argv]
                            if self.time_bin else st.argv)
                    try:
                        p = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr,
                                             env=env, cwd=self.tmp)
                    except OSError as e:
                        raise BenchError(f"cannot run {st.argv[0]}: {e.strerror}") from None
                    finally:
                        for f in opened:
                            f.close()
                    if prev is not None and prev.stdout is not None:
                        prev.stdout.close()  # so that prev gets SIGPIPE if p dies
                    self.running.append(p)
                    procs.append((p, err_log, st, rss_file))
                    prev = p
                for p, _err, st, rss_file in procs:
                    # wait4 gives the CPU time of the process and of what it waited for (time's
                    # child); see _peak_rss for the peak RSS.
                    _pid, status, ru = os.wait4(p.pid, 0)
                    p.returncode = os.waitstatus_to_exitcode(status)
                    self.running.remove(p)
                    stages.append({"argv": st.argv, "rc": p.returncode,
                                   "user": round(ru.ru_utime, 4), "sys": round(ru.ru_stime, 4),
                                   "maxrss_kb": self._peak_rss(rss_file, ru.ru_maxrss)})
            finally:
                self._kill_running()
            for p, err, st, _rss in procs:
                text = err.read_text(errors="replace").strip()
                # sqlite3 keeps going after an SQL error when reading a script from stdin
                bad = p.returncode != 0 or (st.argv[0].endswith("sqlite3") and text)
                if bad:
                    tail = "\n    ".join(text.splitlines()[-6:]) or "(no message)"
                    raise BenchError(f"{what}: `{' '.join(st.argv)}` failed with exit code "
                                     f"{p.returncode}:\n    {tail}")
            if pipe and pipe[-1].stdout is None:
                captured = out_log.read_text(errors="replace")
        wall = time.perf_counter() - t0
        return Measured(wall=wall, user=sum(s["user"] for s in stages),
                        sys=sum(s["sys"] for s in stages),
                        maxrss_kb=max(s["maxrss_kb"] for s in stages), stages=stages,
                        stdout=captured)

    def _peak_rss(self, rss_file: Path, wait4_kb: int) -> int:
        """Peak RSS in KiB of the measured command.

        A child's ``ru_maxrss`` starts from its parent's RSS at fork time (Linux carries the
        old memory's high-water mark over exec), so wait4 on a child of this Python process
        never reports less than this process's own RSS. Hence each command runs under
        ``/usr/bin/time -f %M``, which forks it from a tiny process and reports its true peak.
        """
        if not self.time_bin:
            return wait4_kb
        try:
            lines = rss_file.read_text().split()
            return int(lines[-1])
        except (OSError, ValueError, IndexError):
            raise BenchError(f"{self.time_bin} did not report the peak RSS "
                             f"({rss_file})") from None

    def _kill_running(self) -> None:
        for p in list(self.running):
            try:
                p.kill()
                os.waitpid(p.pid, 0)
            except (OSError, ChildProcessError):
                pass
            self.running.remove(p)

    def record(self, section: str, engine: str, lines: int, cmd: str, rep: int, m: Measured,
               out_bytes: int | None, server_cpu: float | None = None, **extra) -> Sample:
        s = Sample(section, engine, lines, cmd, rep, round(m.wall, 4), round(m.user, 4),
                   round(m.sys, 4), m.maxrss_kb, out_bytes,
                   None if server_cpu is None else round(server_cpu, 3), m.stages, extra)
        self.samples.append(s)
        size = "" if out_bytes is None else f", {out_bytes / 1e6:.2f} MB"
        self.log(f"  {ENGINE_NAMES.get(engine, engine):<10} {lines:>9,} rep {rep + 1}: "
                 f"{cmd:<16} {m.wall:7.2f} s wall, {m.cpu:7.2f} s CPU, "
                 f"{m.maxrss_kb / 1024:6.1f} MiB{size}")
        return s

    def cheel_json(self, m: Measured, what: str) -> dict:
        try:
            return json.loads(m.stdout)
        except ValueError:
            raise BenchError(f"{what}: cheel did not print JSON: {m.stdout[:200]!r}") from None

    # ---- setup
    def preflight(self) -> None:
        if not os.access(self.cheel, os.X_OK):
            raise BenchError(f"cheel not found at {self.cheel}",)
        tools = ["sqlite3", "zstd"]
        if "postgres" in self.engines:
            tools += ["pg_dump", "pg_restore", "createdb", "psql"]
        missing = [t for t in tools if shutil.which(t) is None]
        if missing:
            raise BenchError(f"missing tool(s) on PATH: {', '.join(missing)}"
                             + (" (or use --no-postgres)" if "sqlite3" not in missing else ""))
        if "postgres" in self.engines:
            try:
                self.psql("SELECT 1")
            except BenchError as e:
                raise BenchError(f"PostgreSQL is not reachable at {self.args.pg_url}: {e}; "
                                 "start it, pass --pg-url, or use --no-postgres") from None
            self.pg_clock = PgServerClock(self._postmaster())

    def _postmaster(self) -> int | None:
        """The pid of the local PostgreSQL server we talk to, or None (server CPU: n/a)."""
        host = urlsplit(self.args.pg_url).hostname or "localhost"
        if host not in ("localhost", "127.0.0.1", "::1") and not host.startswith("/"):
            return None
        # Ask the server for the pid of our own backend, and read its parent while the
        # connection is still open (a psql subprocess's backend would be gone already).
        try:
            import psycopg

            with psycopg.connect(self.pg_url("postgres"), connect_timeout=10) as conn:
                pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
                st = PgServerClock._stat(pid)
        except Exception:  # psycopg missing or any connection problem: no server CPU
            return None
        if st is None:
            return None
        clock = PgServerClock(int(st[1]))
        return clock.pid if clock.read() is not None else None

    def make_demos(self) -> None:
        for engine in self.engines:
            for lines in self.sizes:
                name = f"Bench {ENGINE_NAMES[engine]} {lines}"
                argv = [self.cheel, "demo", "--entries", str(lines), "--name", name,
                        "--seed", "1", "--json"]
                if engine == "postgres":
                    argv += ["--postgres", self.pg_url(self.new_db_name(f"org_{lines}"))]
                m = self.measure([[Step(argv)]], self.env(self.data_dir), f"cheel demo {name}")
                info = self.cheel_json(m, "cheel demo")
                rows = sum(sum(g["rows"].values()) for g in info["groups"])
                self.orgs[(engine, lines)] = name
                self.record("setup", engine, lines, "demo", 0, m, info.get("size_bytes"),
                            org=name, group_rows=rows)

    # ---- sections 1-3, 6: whole-organization backup and restore at every size
    def run_backup(self, engine: str, lines: int, rep: int, encrypted: bool,
                   extra_args: list[str] | None = None, cmd: str | None = None,
                   section: str = "backup", keep_as: str | None = None) -> Sample:
        dest = self.tmp / "out" / f"b{self.next_id()}"
        dest.mkdir(parents=True)
        org = self.orgs[(engine, lines)]
        argv = [self.cheel, "backup", org, *(extra_args or []), "--dest", str(dest), "--json"]
        t_srv = self.pg_clock.read() if engine == "postgres" else None
        m = self.measure([[Step(argv)]], self.env(self.data_dir, password=encrypted),
                         f"cheel backup {org}")
        srv = self._server_delta(t_srv)
        res = self.cheel_json(m, "cheel backup")
        path = Path(res["path"])
        size = path.stat().st_size
        cmd = cmd or ("backup_enc" if encrypted else "backup_plain")
        s = self.record(section, engine, lines, cmd, rep, m, size, srv,
                        rows=sum(res["rows"].values()), seconds_reported=res.get("seconds"))
        self._keep_or_delete(path, (engine, lines, keep_as) if keep_as else None, dest)
        return s

    def _server_delta(self, before: float | None) -> float | None:
        if before is None:
            return None
        time.sleep(0.05)  # let the postmaster reap the backend that just ended
        after = self.pg_clock.read()
        return None if after is None else max(0.0, after - before)

    def _keep_or_delete(self, path: Path, key: tuple | None, also_dir: Path | None = None
                        ) -> None:
        if key is not None and key not in self.files:
            kept = self.tmp / "files" / f"{key[0]}-{key[1]}-{key[2]}{''.join(path.suffixes)}"
            kept.parent.mkdir(exist_ok=True)
            path.replace(kept)
            self.files[key] = kept
        elif not self.args.keep:
            path.unlink(missing_ok=True)
        if also_dir is not None and not self.args.keep:
            shutil.rmtree(also_dir, ignore_errors=True)

    def run_base_backup(self, engine: str, lines: int, rep: int) -> Sample:
        org = self.orgs[(engine, lines)]
        if engine == "sqlite":
            out = self.tmp / "out" / f"dump{self.next_id()}.sql.zst"
            db = self.data_dir / self._sqlite_location(org)
            pipes = [[Step(["sqlite3", str(db), ".dump"]),
                      Step(["zstd", "-3", "-q"], stdout=out)]]
        else:
            out = self.tmp / "out" / f"dump{self.next_id()}.pgc"
            pipes = [[Step(["pg_dump", "-Fc", "-d", self.pg_url(self._pg_db(lines)),
                            "-f", str(out)])]]
        out.parent.mkdir(parents=True, exist_ok=True)
        t_srv = self.pg_clock.read() if engine == "postgres" else None
        m = self.measure(pipes, self.env(self.data_dir), f"baseline backup of {org}")
        srv = self._server_delta(t_srv)
        s = self.record("backup", engine, lines, "base_backup", rep, m, out.stat().st_size, srv)
        self._keep_or_delete(out, (engine, lines, "dump"))
        return s

    def _sqlite_location(self, org: str) -> str:
        catalog = json.loads((self.data_dir / "catalog.json").read_text())
        for o in catalog["organizations"]:
            if o["name"] == org:
                return o["location"]
        raise BenchError(f"organization {org} is not in the catalog")

    def _pg_db(self, lines: int) -> str:
        return f"cheelbench_{self.tag}_org_{lines}".lower()

    def run_restore(self, engine: str, lines: int, rep: int, encrypted: bool) -> Sample:
        src = self.files[(engine, lines, "enc" if encrypted else "plain")]
        scratch = self.tmp / "restore" / f"r{self.next_id()}"
        data = scratch / "data"
        data.mkdir(parents=True)
        argv = [self.cheel, "restore", str(src), "--into", "Restored", "--create", "--json"]
        db = None
        if engine == "postgres":
            db = self.new_db_name(f"r{self.next_id()}")
            argv += ["--postgres", self.pg_url(db)]
        t_srv = self.pg_clock.read() if engine == "postgres" else None
        before = self._restoring_dbs() if db else set()
        try:
            m = self.measure([[Step(argv)]], self.env(data, password=encrypted),
                             f"cheel restore {src.name}")
        except BenchError as e:
            left = sorted(self._restoring_dbs() - before) if db else []
            if left:  # not dropped here: another client's restore may be running right now
                raise BenchError(f"{e}\n    cheel left its temporary database(s) "
                                 f"{', '.join(left)} behind; drop them by hand") from None
            raise
        srv = self._server_delta(t_srv)
        res = self.cheel_json(m, "cheel restore")
        if db:
            size = self.pg_db_size(db)
        else:
            size = sum(p.stat().st_size for p in data.iterdir() if ".sqlite" in p.name)
        s = self.record("restore", engine, lines, "restore_enc" if encrypted else "restore_plain",
                        rep, m, size, srv, rows=sum(res["rows"].values()),
                        seconds_reported=res.get("seconds"))
        self._cleanup_restore(scratch, db)
        return s

    def _restoring_dbs(self) -> set[str]:
        """The temporary databases of cheel restores in progress (or left by a failed one)."""
        try:
            return set(self.psql("SELECT datname FROM pg_database "
                                 "WHERE datname LIKE 'cheel\\_restoring\\_%'").split())
        except BenchError:
            return set()

    def _cleanup_restore(self, scratch: Path, db: str | None) -> None:
        if self.args.keep:
            return
        shutil.rmtree(scratch, ignore_errors=True)
        if db:
            self.drop_db(db)
            self.pg_dbs.remove(db)

    def run_base_restore(self, engine: str, lines: int, rep: int, jobs: int | None = None
                         ) -> Sample:
        dump = self.files[(engine, lines, "dump")]
        db = None
        scratch = self.tmp / "restore" / f"r{self.next_id()}"
        scratch.mkdir(parents=True)
        if engine == "sqlite":
            new = scratch / "new.db"
            pipes = [[Step(["zstd", "-dc", str(dump)]),
                      Step(["sqlite3", str(new)], stdout=scratch / "sqlite3.out")]]
        else:
            db = self.new_db_name(f"r{self.next_id()}")
            restore = ["pg_restore", "-d", self.pg_url(db)]
            if jobs:
                restore += ["--jobs", str(jobs)]
            pipes = [[Step(["createdb", "--maintenance-db", self.pg_url("postgres"), db])],
                     [Step(restore + [str(dump)])]]
        t_srv = self.pg_clock.read() if engine == "postgres" else None
        m = self.measure(pipes, self.env(self.data_dir), f"baseline restore of {dump.name}")
        srv = self._server_delta(t_srv)
        size = self.pg_db_size(db) if db else (scratch / "new.db").stat().st_size
        s = self.record("restore", engine, lines, "base_restore_jobs" if jobs else "base_restore",
                        rep, m, size, srv)
        self._cleanup_restore(scratch, db)
        return s

    def alternate(self, reps: int, jobs: list) -> None:
        """Run every job once per repetition; the order flips every other repetition."""
        for rep in range(reps):
            order = jobs if rep % 2 == 0 else list(reversed(jobs))
            for job in order:
                job(rep)

    def whole_org(self) -> None:
        reps = self.args.reps
        for lines in self.sizes:
            for engine in self.engines:
                self.log(f"{ENGINE_NAMES[engine]} {lines:,} lines: backup")
                self.alternate(reps, [
                    lambda r, e=engine, n=lines: self.run_backup(e, n, r, True, keep_as="enc"),
                    lambda r, e=engine, n=lines: self.run_backup(e, n, r, False,
                                                                 keep_as="plain"),
                    lambda r, e=engine, n=lines: self.run_base_backup(e, n, r),
                ])
                self.log(f"{ENGINE_NAMES[engine]} {lines:,} lines: restore")
                jobs = [
                    lambda r, e=engine, n=lines: self.run_restore(e, n, r, True),
                    lambda r, e=engine, n=lines: self.run_restore(e, n, r, False),
                    lambda r, e=engine, n=lines: self.run_base_restore(e, n, r),
                ]
                if engine == "postgres" and self.jobs > 1:
                    jobs.append(lambda r, n=lines: self.run_base_restore("postgres", n, r,
                                                                         jobs=self.jobs))
                self.alternate(reps, jobs)

    # ---- section 4: a small group out of a large organization
    def groups(self) -> None:
        n, reps = self.n, self.args.reps
        for engine in self.engines:
            org = self.orgs[(engine, n)]
            # a ~1 % group set: the whole 1/100 organization, restored as copies into the big one
            src = self.files[(engine, self.small, "plain")]
            self.log(f"{ENGINE_NAMES[engine]} {n:,} lines: restoring the {self.small:,}-line "
                     f"organization into it as copies")
            argv = [self.cheel, "restore", str(src), "--into", org, "--on-conflict", "copy",
                    "--json"]
            m = self.measure([[Step(argv)]], self.env(self.data_dir), "restore as copies")
            res = self.cheel_json(m, "cheel restore --on-conflict copy")
            uids = [g["target_uid"] for g in res["groups"]]
            self.record("setup", engine, n, "restore_copies", 0, m, None,
                        rows=sum(res["rows"].values()),
                        groups=[g["target_name"] for g in res["groups"]])
            copies = [a for uid in uids for a in ("--group", uid)]
            self.log(f"{ENGINE_NAMES[engine]} {n:,} lines: group backups")
            self.alternate(reps, [
                lambda r, e=engine: self.run_backup(e, n, r, False, ["--group", KELLER],
                                                    "group_keller", "group"),
                lambda r, e=engine: self.run_backup(e, n, r, False, copies, "group_copies",
                                                    "group"),
                lambda r, e=engine: self.run_backup(e, n, r, False, None, "group_whole",
                                                    "group"),
                # The standalone organizations the groups are compared with, measured in
                # the same alternation (a reference taken minutes earlier drifts with the
                # machine by as much as a 1 % group costs).
                lambda r, e=engine: self.run_backup(e, self.small, r, False, None,
                                                    "standalone", "group"),
                lambda r, e=engine: self.run_backup(e, self.mid, r, False, None,
                                                    "standalone", "group"),
            ])

    def startup(self) -> None:
        for rep in range(max(3, self.args.reps)):
            m = self.measure([[Step([self.cheel, "--version"])]], self.env(self.data_dir),
                             "cheel --version")
            self.record("startup", "-", 0, "version", rep, m, None)

    # ---- the whole run
    def run(self) -> None:
        self.preflight()
        base = Path(self.args.tmp_dir) if self.args.tmp_dir else None
        if base is not None:
            base.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix="cheel-bench-", dir=base))
        self.data_dir = self.tmp / "data"
        self.data_dir.mkdir()
        self.meta = machine_info(self)
        self.log(f"sizes {', '.join(f'{s:,}' for s in self.sizes)} lines; "
                 f"{self.args.reps} repetition(s); engines {', '.join(self.engines)}; "
                 f"temp {self.tmp}")
        self.startup()
        self.log("creating demo organizations")
        self.make_demos()
        self.whole_org()
        self.groups()
        self.meta["load_average_end"] = list(os.getloadavg())
        self.meta["src_fingerprint_end"] = src_fingerprint()
        self.meta["seconds"] = round(time.monotonic() - self.started, 1)
        self.write_results()

    def cleanup(self) -> None:
        self._kill_running()
        if self.args.keep:
            if self.tmp:
                print(f"bench: kept {self.tmp}", file=sys.stderr)
            if self.pg_dbs:
                print(f"bench: kept PostgreSQL databases: {', '.join(self.pg_dbs)}\n"
                      f"bench: drop them with: {sys.argv[0]} --drop-kept {self.tag}"
                      + ("" if self.args.pg_url == DEFAULT_PG else
                         f" --pg-url {self.args.pg_url}"), file=sys.stderr)
            return
        for db in list(self.pg_dbs):
            try:
                self.drop_db(db)
                self.pg_dbs.remove(db)
            except BenchError as e:
                print(f"bench: warning: could not drop database {db}: {e}", file=sys.stderr)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- results
    def write_results(self) -> None:
        out = Path(self.args.out)
        out.mkdir(parents=True, exist_ok=True)
        stem = self.args.stem or ("results-quick" if self.args.quick else "results")
        report = Report(self)
        data = {"meta": self.meta, "summary": report.bars,
                "samples": [s.as_dict() for s in self.samples]}
        (out / f"{stem}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        png = out / f"{stem}.png"
        plotted = report.plot(png)
        (out / f"{stem}.md").write_text(report.markdown(png.name if plotted else None))
        self.log(f"wrote {out / stem}.md, .json" + (", .png" if plotted else ""))


# -- machine and versions ----------------------------------------------------------------------
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


def machine_info(b: Bench) -> dict:
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


# -- report ------------------------------------------------------------------------------------
def med(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def mib(kb: float | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.1f}"


def mb(b: float | None) -> str:
    return "–" if b is None else f"{b / 1e6:,.2f}"


def yes(ok: bool | None) -> str:
    return "–" if ok is None else ("**yes**" if ok else "**NO**")


class Report:
    def __init__(self, b: Bench):
        self.b = b
        self.m = b.meta
        self.bars: list[dict] = []
        self._compute_bars()

    def stat(self, section: str, engine: str, lines: int, cmd: str) -> dict | None:
        ss = [s for s in self.b.samples
              if (s.section, s.engine, s.lines, s.cmd) == (section, engine, lines, cmd)]
        if not ss:
            return None
        return {"wall": med([s.wall for s in ss]), "cpu": med([s.cpu for s in ss]),
                "rss": med([s.maxrss_kb for s in ss]), "out": med([s.out_bytes for s in ss]),
                "srv": med([s.server_cpu for s in ss]),
                "rows": med([s.extra.get("rows") for s in ss]), "n": len(ss)}

    def paired_ratio(self, section: str, engine: str, lines: int, cmd: str, base: str
                     ) -> float | None:
        """Median over repetitions of ``cmd``'s wall time ÷ the baseline's in the same
        repetition (the two run back to back), so that the machine's speed drifting between
        repetitions cancels out instead of landing on one side of a ratio of medians."""
        def walls(c: str) -> dict[int, float]:
            return {s.rep: s.wall for s in self.b.samples
                    if (s.section, s.engine, s.lines, s.cmd) == (section, engine, lines, c)}
        a, r = walls(cmd), walls(base)
        ratios = [a[k] / r[k] for k in a if k in r and r[k]]
        return statistics.median(ratios) if ratios else None

    def label(self, engine: str, cmd: str, cell: bool = True) -> str:
        """The display name of a command; ``cell``: escaped for a Markdown table cell."""
        text = GROUP_LABELS[cmd] if cmd in GROUP_LABELS else \
            LABELS[engine][cmd].format(jobs=self.b.jobs)
        return text.replace("|", "\\|") if cell else text

    # ---- the bars, at the main size N
    def _compute_bars(self) -> None:
        b, n = self.b, self.b.n

        def ratio(engine, cmd, base, key="wall", section="backup"):
            if key == "wall":
                return self.paired_ratio(section, engine, n, cmd, base)
            a, c = self.stat(section, engine, n, cmd), self.stat(section, engine, n, base)
            if not a or not c or not c[key]:
                return None
            return a[key] / c[key]

        def add(bar, engine, value, ok, detail=""):
            self.bars.append({"bar": bar, "engine": engine, "value": value, "ok": ok,
                              "detail": detail})

        r = ratio("sqlite", "backup_enc", "base_backup")
        add("encrypted backup time ≤ 1.0× `sqlite3 .dump | zstd -3`", "sqlite", r,
            None if r is None else r <= 1.0)
        for cmd in ("restore_enc", "restore_plain"):
            r = ratio("sqlite", cmd, "base_restore", section="restore")
            add(f"restore time < 1.0× `zstd -dc | sqlite3` ({'encrypted' if cmd == 'restore_enc' else 'unencrypted'} file)",
                "sqlite", r, None if r is None else r < 1.0)
        r = ratio("sqlite", "backup_enc", "base_backup", key="out")
        add("backup file size ≤ zstd -3 SQL dump", "sqlite", r, None if r is None else r <= 1.0)
        if "postgres" in b.engines:
            r = ratio("postgres", "backup_enc", "base_backup")
            add("encrypted backup time ≤ 1.0× `pg_dump -Fc`", "postgres", r,
                None if r is None else r <= 1.0)
            for cmd in ("restore_enc", "restore_plain"):
                r = ratio("postgres", cmd, "base_restore", section="restore")
                add(f"restore time ≤ 1.0× `pg_restore` ({'encrypted' if cmd == 'restore_enc' else 'unencrypted'} file)",
                    "postgres", r, None if r is None else r <= 1.0)
        for engine in b.engines:
            worst = None
            for g in self.group_rows(engine):
                if g["vs_ref"] is not None and (worst is None or g["vs_ref"] > worst):
                    worst = g["vs_ref"]
            add("small-group backup costs in proportion to its rows (time ÷ time of a "
                "standalone org of that size, row-scaled; ≤ 1.25)", engine, worst,
                None if worst is None else worst <= 1.25)
        for engine in b.engines:
            for lo, hi in b.mem_pairs:
                worst = None
                for row in self.memory_rows(engine):
                    if row["cheel"] and (row["lo"], row["hi"]) == (lo, hi):
                        worst = row["growth"] if worst is None else max(worst, row["growth"])
                add(f"peak RSS growth from {lo:,} to {hi:,} lines < 10 % (worst cheel command)",
                    engine, worst, None if worst is None else worst < 0.10)

    def group_rows(self, engine: str) -> list[dict]:
        b, n = self.b, self.b.n
        whole = self.stat("group", engine, n, "group_whole")
        rows = []
        refs = {"group_keller": b.mid, "group_copies": b.small}
        for cmd in ("group_keller", "group_copies", "group_whole"):
            g = self.stat("group", engine, n, cmd)
            if not g or not whole:
                continue
            ref_lines = refs.get(cmd)
            ref = None
            if ref_lines:  # older results had no standalone runs in this section
                ref = (self.stat("group", engine, ref_lines, "standalone")
                       or self.stat("backup", engine, ref_lines, "backup_plain"))
            vs_ref = None
            if ref and ref["rows"] and g["rows"] and ref["wall"]:
                vs_ref = g["wall"] / (ref["wall"] * g["rows"] / ref["rows"])
            rows.append({"cmd": cmd, "rows": g["rows"], "wall": g["wall"], "cpu": g["cpu"],
                         "rss": g["rss"], "out": g["out"],
                         "row_share": g["rows"] / whole["rows"] if whole["rows"] else None,
                         "time_share": g["wall"] / whole["wall"] if whole["wall"] else None,
                         "ref_lines": ref_lines, "ref": ref, "vs_ref": vs_ref})
        return rows

    def memory_rows(self, engine: str) -> list[dict]:
        out = []
        for lo, hi in self.b.mem_pairs:
            for cmd in ("backup_enc", "backup_plain", "base_backup", "restore_enc",
                        "restore_plain", "base_restore", "base_restore_jobs"):
                section = "backup" if "backup" in cmd else "restore"
                a, c = self.stat(section, engine, lo, cmd), self.stat(section, engine, hi, cmd)
                if not a or not c:
                    continue
                out.append({"cmd": cmd, "lo": lo, "hi": hi, "rss_lo": a["rss"],
                            "rss_hi": c["rss"], "growth": c["rss"] / a["rss"] - 1,
                            "cheel": not cmd.startswith("base_")})
        return out

    # ---- markdown
    def markdown(self, png: str | None) -> str:
        b, m = self.b, self.m
        L: list[str] = []
        w = L.append
        kind = "QUICK run (small data, 1 repetition: not the bar's 1,000,000 lines)" \
            if b.args.quick else "full run"
        w(f"# cheel benchmark results — {kind}\n")
        w(f"Generated by `bench/run.py {' '.join(m['argv'])}` on {m['date']} in "
          f"{m['seconds']:.0f} s. Medians of {b.args.reps} repetition(s); every command is a "
          "separate process; the commands of one comparison alternate within each repetition. "
          "Ratios are cheel ÷ baseline (wall time unless said otherwise); < 1 means cheel is "
          "faster/smaller. Time ratios are the median over repetitions of the ratio within "
          "each repetition, where the two commands ran back to back (a change of the "
          "machine's speed between repetitions cancels out); the time columns are medians. "
          "Raw samples: the `.json` file next to this one. "
          "How to read this: `bench/README.md`.\n")
        w("| machine | |\n|---|---|")
        w(f"| CPU | {m['cpu']} |")
        w(f"| cores | {m['cores']} |")
        w(f"| memory | {m['memory']} |")
        w(f"| OS | {m['os']} |")
        w(f"| load average (1/5/15 min) at start → end | "
          f"{' / '.join(f'{x:.2f}' for x in m['load_average_start'])} → "
          f"{' / '.join(f'{x:.2f}' for x in m['load_average_end'])} |")
        w(f"| Python | {m['python']} (sqlite3 module: SQLite {m['sqlite_python']}; "
          f"zstandard {m['zstandard_python']}; cryptography {m['cryptography']}) |")
        w(f"| SQLite CLI | {m['sqlite3_cli']} |")
        w(f"| zstd CLI | {m['zstd_cli']} |")
        if "postgresql_server" in m:
            w(f"| PostgreSQL | server {m['postgresql_server']}; {m['pg_dump']} |")
        w(f"| cheel | {m['cheel']} (git {m['git_head']}, {m['git_changed_files']} changed or "
          f"untracked files in the tree; sources fingerprint `{m['src_fingerprint']}`) |")
        w(f"| data | demo organizations (`cheel demo --seed 1`) of "
          f"{', '.join(f'{s:,}' for s in b.sizes)} journal entry lines; main size N = "
          f"{b.n:,} |")
        w(f"| temp dir | `{m['temp_dir']}` |")
        w(f"| peak RSS measured with | {m.get('rss_method', 'wait4 ru_maxrss')} |")
        w("")
        if b.args.quick:
            w("> **Quick run**: the data is small, so fixed costs (Python start-up ≈ "
              f"{fmt(self.startup_wall())} s, scrypt key derivation ≈ 0.7 s) dominate cheel's "
              "times. Judge the bars on a full run (`bench/run.py`, 1,000,000 lines).\n")
        if m["src_fingerprint"] != m["src_fingerprint_end"]:
            w("> **The sources under `src/` changed during this run** (fingerprint "
              f"`{m['src_fingerprint']}` → `{m['src_fingerprint_end']}`): different rows may "
              "have measured different code. Run again.\n")
        if max(m["load_average_start"][0], m["load_average_end"][0]) > 0.5 * (m["cores"] or 1):
            w("> **The machine was busy** during this run (see the load average): absolute "
              "times and ratios are unreliable. Run again on a quiet machine.\n")

        w("## Summary: the quality bars (at N = " f"{b.n:,} lines)\n")
        w("| bar | engine | measured | meets the bar? |\n|---|---|---:|---|")
        for bar in self.bars:
            v = bar["value"]
            if v is None:
                shown = "–"
            elif "RSS" in bar["bar"]:
                shown = f"{v * 100:+.1f} %"
            else:
                shown = f"{v:.2f}×"
            w(f"| {bar['bar'].replace('|', chr(92) + '|')} | {ENGINE_NAMES[bar['engine']]} | {shown} | {yes(bar['ok'])} |")
        w("")
        sec = 1
        for engine in b.engines:
            for section in ("backup", "restore"):
                title = {"backup": "Backup of the whole organization",
                         "restore": "Restore into a new organization"}[section]
                w(f"## {sec}. {ENGINE_NAMES[engine]}: {title}\n")
                sec += 1
                w(self.section_table(engine, section))
        w(f"## {sec}. Backup of one small group out of a large organization\n")
        sec += 1
        w(f"Groups of the {b.n:,}-line organization, unencrypted (so that the constant scrypt "
          "cost does not blur the proportion). The *copies* are the three groups of the "
          f"{b.small:,}-line organization restored into the {b.n:,}-line one with "
          "`--on-conflict copy` (≈ 1 % of its rows), backed up with three `--group` options. "
          "*vs standalone* = group backup time ÷ (backup time of a standalone organization of "
          "about that size × group rows ÷ its rows, measured alternating with the group "
          "backups): 1.0 means the group costs exactly what its own data costs; the bar is "
          "≤ 1.25.\n")
        for engine in b.engines:
            w(f"**{ENGINE_NAMES[engine]}**\n")
            w("| backup | rows | group rows ÷ org rows | wall (s) | group time ÷ whole-org "
              "time | CPU (s) | peak RSS (MiB) | file (MB) | standalone org (lines: rows, wall) "
              "| vs standalone | meets the bar? |")
            w("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
            for g in self.group_rows(engine):
                ref = g["ref"]
                ref_s = "–" if not ref else (f"{g['ref_lines']:,}: {ref['rows']:,.0f} rows, "
                                             f"{fmt(ref['wall'])} s")
                ok = None if g["vs_ref"] is None else g["vs_ref"] <= 1.25
                share_r = "–" if g["row_share"] is None else f"{g['row_share'] * 100:.1f} %"
                share_t = "–" if g["time_share"] is None else f"{g['time_share'] * 100:.1f} %"
                w(f"| {self.label(engine, g['cmd'])} | {g['rows']:,.0f} | {share_r} | "
                  f"{fmt(g['wall'])} | {share_t} | {fmt(g['cpu'])} | {mib(g['rss'])} | "
                  f"{mb(g['out'])} | {ref_s} | {fmt(g['vs_ref'])} | {yes(ok)} |")
            setup = [s for s in b.samples if s.section == "setup" and s.cmd == "restore_copies"
                     and s.engine == engine]
            if setup:
                s = setup[0]
                w(f"\nRestoring the {b.small:,}-line organization's {s.extra['rows']:,} rows "
                  f"into the existing {b.n:,}-line organization as copies took "
                  f"{s.wall:.2f} s ({s.maxrss_kb / 1024:.0f} MiB peak RSS).")
            w("")
        w(f"## {sec}. Memory: peak RSS at 1× and 4× the data\n")
        sec += 1
        w("Peak RSS of the process (see \"peak RSS measured with\" above); for pipelines the "
          "largest of its processes. "
          "Bar (cheel only): < 10 % more at 4× the data. Encrypted commands include scrypt's "
          "fixed 256 MiB work area (work factor 2^18, age's default): a backup derives the key "
          "while it reads the data (the file's header is written last), a restore before it "
          "reads; either way a constant that hides the data-dependent memory, so judge "
          "flatness on the unencrypted rows.\n")
        w("| engine | command | lines (1×) | RSS 1× (MiB) | lines (4×) | RSS 4× (MiB) | growth "
          "| meets the bar? |\n|---|---|---:|---:|---:|---:|---:|---|")
        for engine in b.engines:
            for row in self.memory_rows(engine):
                ok = (row["growth"] < 0.10) if row["cheel"] else None
                verdict = yes(ok) + (" (scrypt's peak)" if row["cmd"].endswith("_enc") else "")
                w(f"| {ENGINE_NAMES[engine]} | {self.label(engine, row['cmd'])} | "
                  f"{row['lo']:,} | {mib(row['rss_lo'])} | {row['hi']:,} | "
                  f"{mib(row['rss_hi'])} | {row['growth'] * 100:+.1f} % | {verdict} |")
        w("")
        w(f"## {sec}. The cost of encryption (scrypt + ChaCha20-Poly1305)\n")
        sec += 1
        w("Unencrypted vs encrypted `cheel backup` of the same organization. The difference is "
          "mostly the scrypt key derivation (≈ constant time and 256 MiB, by design), plus "
          "the stream cipher (proportional to the file size).\n")
        w("| engine | lines | unencrypted wall (s) | encrypted wall (s) | difference (s) | "
          "unencrypted CPU (s) | encrypted CPU (s) | unencrypted RSS (MiB) | encrypted RSS (MiB) "
          "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for engine in b.engines:
            for lines in b.sizes:
                p = self.stat("backup", engine, lines, "backup_plain")
                e = self.stat("backup", engine, lines, "backup_enc")
                if not p or not e:
                    continue
                w(f"| {ENGINE_NAMES[engine]} | {lines:,} | {fmt(p['wall'])} | {fmt(e['wall'])} "
                  f"| {fmt(e['wall'] - p['wall'])} | {fmt(p['cpu'])} | {fmt(e['cpu'])} | "
                  f"{mib(p['rss'])} | {mib(e['rss'])} |")
        w("")
        w(f"## {sec}. Fixed costs and setup\n")
        st = self.stat("startup", "-", 0, "version")
        if st:
            w(f"- `cheel --version` (Python start-up and imports): {fmt(st['wall'])} s wall, "
              f"{fmt(st['cpu'])} s CPU, {mib(st['rss'])} MiB.")
        for s in b.samples:
            if s.section == "setup" and s.cmd == "demo":
                w(f"- `cheel demo --entries {s.lines}` on {ENGINE_NAMES[s.engine]}: "
                  f"{s.wall:.1f} s, {s.extra.get('group_rows', 0):,} rows"
                  + (f", {s.out_bytes / 1e6:.1f} MB" if s.out_bytes else "") + ".")
        w("")
        if png:
            w(f"## Plot\n\n![time and peak memory against data size]({png})\n")
        w("## Caveats\n")
        w("- CPU columns count the measured processes only. On PostgreSQL most of the work of "
          "both cheel and pg_dump/pg_restore happens in the server: the *server CPU* column is "
          "the CPU time of the whole local PostgreSQL server during the command (postmaster "
          "and all its processes, so other clients of the same server add to it; autovacuum "
          "may too)."
          + ("" if self.m.get("pg_server_cpu", True) else
             " **In this run it could not be measured** (the server is not local, or its "
             "processes are not readable): the column shows –."))
        w("- Restore output size is the size of the new database (SQLite file, or "
          "`pg_database_size`).")
        w("- The bar for group backups compares with a standalone organization of similar size "
          "measured in the same alternation; at small sizes both are dominated by fixed costs.")
        w("- The page cache is warm: every database was just written by `cheel demo`, and "
          "every backup file was just written. Numbers are for a warm cache.")
        w("- `cheel demo` analyzes a PostgreSQL organization once filled (the planner's "
          "statistics, as after any bulk load); the groups restored into it as copies for "
          "section 5 are not analyzed again.")
        return "\n".join(L) + "\n"

    def startup_wall(self) -> float | None:
        st = self.stat("startup", "-", 0, "version")
        return st["wall"] if st else None

    def section_table(self, engine: str, section: str) -> str:
        b = self.b
        cmds = [c for c in LABELS[engine] if (("backup" in c) == (section == "backup"))]
        base = "base_backup" if section == "backup" else "base_restore"
        pg = engine == "postgres"
        head = ("| lines | command | wall (s) | CPU (s) | " + ("server CPU (s) | " if pg else "")
                + "peak RSS (MiB) | output (MB) | time ratio | size ratio | meets the bar? |")
        L = [head, "|" + "---:|---|" + "---:|" * (6 + pg) + "---|"]
        # the bars: backup ≤ 1.0 (and size ≤ 1.0 for SQLite); restore < 1.0 (SQLite), ≤ 1.0 (PG)
        for lines in b.sizes:
            ref = self.stat(section, engine, lines, base)
            for cmd in cmds:
                s = self.stat(section, engine, lines, cmd)
                if not s:
                    continue
                tr = sr = None
                ok = None
                if ref and not cmd.startswith("base_"):
                    tr = self.paired_ratio(section, engine, lines, cmd, base)
                    sr = s["out"] / ref["out"] if ref["out"] and section == "backup" else None
                    if tr is not None:
                        if section == "backup":
                            ok = tr <= 1.0 and (sr is None or engine != "sqlite" or sr <= 1.0)
                        else:
                            ok = tr < 1.0 if engine == "sqlite" else tr <= 1.0
                elif cmd == "base_restore_jobs" and ref:
                    tr = self.paired_ratio(section, engine, lines, cmd, base)
                cells = [f"{lines:,}", self.label(engine, cmd), fmt(s["wall"]), fmt(s["cpu"])]
                if pg:
                    cells.append(fmt(s["srv"]))
                cells += [mib(s["rss"]), mb(s["out"]),
                          "baseline" if cmd == base else (f"{tr:.2f}×" if tr else "–"),
                          f"{sr:.2f}×" if sr else "–", yes(ok)]
                L.append("| " + " | ".join(cells) + " |")
        note = {("sqlite", "backup"): "Bar: time ≤ 1.0× and file size ≤ 1.0× the zstd -3 dump.",
                ("sqlite", "restore"): "Bar: time < 1.0× loading the dump with sqlite3. "
                                       "Output = size of the new database file.",
                ("postgres", "backup"): "Bar: time ≤ 1.0× `pg_dump -Fc` (size shown for "
                                        "information).",
                ("postgres", "restore"): "Bar: time ≤ 1.0× `createdb && pg_restore` with the "
                                         "default --jobs 1; the --jobs N row is for "
                                         "information (ratio vs --jobs 1)."}[(engine, section)]
        return "\n".join(L) + "\n\n" + note + "\n"

    # ---- plot
    def plot(self, path: Path) -> bool:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("bench: matplotlib is not installed; no plot", file=sys.stderr)
            return False
        b = self.b
        series = []
        for engine in ("sqlite", "postgres"):
            for section in ("backup", "restore"):
                for kind in ("enc", "plain", "base"):
                    cmd = f"base_{section}" if kind == "base" else f"{section}_{kind}"
                    series.append((engine, section, cmd, kind))
        colors = {("sqlite", "backup"): "tab:blue", ("sqlite", "restore"): "tab:green",
                  ("postgres", "backup"): "tab:orange", ("postgres", "restore"): "tab:red"}
        styles = {"enc": ("-", "o"), "plain": (":", "^"), "base": ("--", "s")}
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 6))
        for engine, section, cmd, kind in series:
            if engine not in b.engines:
                continue
            xs, ts, rs = [], [], []
            for lines in b.sizes:
                s = self.stat(section, engine, lines, cmd)
                if s:
                    xs.append(lines)
                    ts.append(s["wall"])
                    rs.append(s["rss"] / 1024)
            if not xs:
                continue
            label = f"{ENGINE_NAMES[engine]}: {self.label(engine, cmd, cell=False)}"
            line, marker = styles[kind]
            style = dict(color=colors[(engine, section)], linestyle=line, marker=marker,
                         label=label, markersize=5)
            ax1.plot(xs, ts, **style)
            ax2.plot(xs, rs, **style)
        for ax in (ax1, ax2):
            ax.set_xscale("log")
            ax.set_xlabel("journal entry lines in the organization")
            ax.grid(True, which="both", alpha=0.3)
        ax1.set_yscale("log")
        ax1.set_ylabel("wall time (s, median)")
        ax1.set_title("Time")
        ax2.set_ylabel("peak RSS (MiB, median)")
        ax2.set_ylim(bottom=0)
        ax2.set_title("Peak memory")
        handles, labels = ax1.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7.5, frameon=False)
        kind = "quick run" if b.args.quick else "full run"
        fig.suptitle(f"cheel vs baselines ({kind}, {self.m['cpu']}, {self.m['cores']} cores, "
                     f"{self.m['date'][:10]})\nsolid: cheel, encrypted · dotted: cheel, "
                     "unencrypted · dashed: baseline",
                     fontsize=10)
        fig.tight_layout(rect=(0, 0.19, 1, 0.93))
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return True


# -- command line ------------------------------------------------------------------------------
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
    p.add_argument("--out", default=str(ROOT / "bench"),
                   help="where to write the results (default bench/)")
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
