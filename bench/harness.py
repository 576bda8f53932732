"""Running and measuring commands: each its own process (or pipeline), with its wall time,
CPU time, peak RSS and the PostgreSQL server's CPU time; the temporary files and databases."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import DEFAULT_PG, ENGINE_NAMES, PASSWORD, ROOT, BenchError, Measured, Sample, Step



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



class Harness:
    """One run's state, and running and measuring its commands; ``scenarios.Bench`` says
    what to run."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.cheel = (str(Path(args.cheel).resolve()) if args.cheel
                      else str(ROOT / ".venv/bin/cheel"))
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


