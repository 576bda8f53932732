"""The scenarios: demo organizations of each size, then every comparison of the report,
the commands of each alternating within a repetition."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from common import ENGINE_NAMES, GROUP, KELLER, BenchError, Sample, Step, floor_script
from harness import Harness
from machine import cpu_snapshot, machine_info, others_cpu, src_fingerprint
from plot import plot
from report import Report


class Bench(Harness):
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

    def run_restore(self, engine: str, lines: int, rep: int, encrypted: bool,
                    section: str = "restore") -> Sample:
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
        s = self.record(section, engine, lines, "restore_enc" if encrypted else "restore_plain",
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

    def run_floor_restore(self, lines: int, rep: int) -> Sample:
        """What SQLite itself needs for a restore's work: a new file (no journal, as cheel
        loads one) with the organization's tables, every row copied from the attached
        organization's file (no decoding, no checks), then the same indexes."""
        org = self.data_dir / self._sqlite_location(self.orgs[("sqlite", lines)])
        scratch = self.tmp / "restore" / f"r{self.next_id()}"
        scratch.mkdir(parents=True)
        script = scratch / "floor.sql"
        script.write_text(floor_script(org))
        new = scratch / "new.db"
        pipes = [[Step(["sqlite3", str(new)], stdin=script, stdout=scratch / "sqlite3.out")]]
        m = self.measure(pipes, self.env(self.data_dir), f"attach-and-copy floor of {org.name}")
        s = self.record("restore", "sqlite", lines, "base_restore_floor", rep, m,
                        new.stat().st_size)
        self._cleanup_restore(scratch, None)
        return s

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
                start = cpu_snapshot(self)
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
                if engine == "sqlite":
                    jobs.append(lambda r, n=lines: self.run_floor_restore(n, r))
                self.alternate(reps, jobs)
                self.note_others(engine, start)

    def note_others(self, engine: str, start: dict | None) -> None:
        """Add what other processes used while this engine's comparisons ran (CPU
        seconds, and the seconds they ran) to the run's record of it."""
        others = others_cpu(start, cpu_snapshot(self))
        if others is None or start is None:
            return
        wall = time.monotonic() - start["time"]
        seen = self.meta.setdefault("others_by_engine", {}).setdefault(engine, [0.0, 0.0])
        seen[0] += others[0] * wall
        seen[1] += wall

    # ---- issue 22: a replace of the largest group, and verify (SQLite, the main size)
    def replace_and_verify(self) -> None:
        if "sqlite" not in self.engines:
            return
        n = self.n
        self.log(f"SQLite {n:,} lines: replace of the largest group, and verify")
        self.alternate(self.args.reps, [
            lambda r: self.run_restore("sqlite", n, r, False, section="replace"),
            lambda r: self.run_verify(n, r),
            lambda r: self.run_group_restore(n, r, replace=False),
            lambda r: self.run_group_restore(n, r, replace=True),
        ])

    def run_verify(self, lines: int, rep: int) -> Sample:
        src = self.files[("sqlite", lines, "plain")]
        m = self.measure([[Step([self.cheel, "verify", str(src), "--json"])]],
                         self.env(self.data_dir), f"cheel verify {src.name}")
        return self.record("replace", "sqlite", lines, "verify", rep, m, None)

    def run_group_restore(self, lines: int, rep: int, replace: bool) -> Sample:
        """The largest group of the file into a new organization, or replacing itself in a
        copy of the organization made afresh (untimed) before each run."""
        src = self.files[("sqlite", lines, "plain")]
        scratch = self.tmp / "restore" / f"r{self.next_id()}"
        data = scratch / "data"
        data.mkdir(parents=True)
        org = self.orgs[("sqlite", lines)]
        if replace:
            location = self._sqlite_location(org)
            shutil.copy(self.data_dir / location, data / location)
            catalog = json.loads((self.data_dir / "catalog.json").read_text())
            catalog["organizations"] = [o for o in catalog["organizations"] if o["name"] == org]
            (data / "catalog.json").write_text(json.dumps(catalog))
            argv = [self.cheel, "restore", str(src), "--into", org, "--group", GROUP,
                    "--on-conflict", "replace", "--json"]
        else:
            argv = [self.cheel, "restore", str(src), "--into", "Restored", "--create",
                    "--group", GROUP, "--json"]
        cmd = "group_replace" if replace else "group_new"
        m = self.measure([[Step(argv)]], self.env(data), f"cheel restore ({cmd})")
        res = self.cheel_json(m, "cheel restore")
        s = self.record("replace", "sqlite", lines, cmd, rep, m, None,
                        rows=sum(res["rows"].values()))
        self._cleanup_restore(scratch, None)
        return s

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
        self.replace_and_verify()
        self.groups()
        self.meta["load_average_end"] = list(os.getloadavg())
        self.meta["cpu_end"] = cpu_snapshot(self)
        self.meta["src_fingerprint_end"] = src_fingerprint()
        self.meta["seconds"] = round(time.monotonic() - self.started, 1)
        self.write_results()


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
        plotted = plot(report, png)
        (out / f"{stem}.md").write_text(report.markdown(png.name if plotted else None))
        self.log(f"wrote {out / stem}.md, .json" + (", .png" if plotted else ""))

