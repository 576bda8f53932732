"""One mutated file through ``verify``, ``restore --dry-run`` and ``restore`` (into a new
organization and into EXISTING), judged against what a sound reader does."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

from .content import content_diff, file_groups, file_names
from .parts import read_members
from .runs import run_cli
from .sample_files import EXISTING, NEW, Sources
from .targets import (PgTargets, group_uids, list_pg_existing, org_fingerprint, org_names,
                      target_content)
from .verdicts import ACCEPT, REFUSE, name_verdict, one_sentence

TRIED: dict[str, int] = defaultdict(int)  # mutated files tried, by test


class Checker:
    """Runs each mutated file through ``verify``, ``restore --dry-run`` and ``restore`` into
    a new organization and into EXISTING (``--on-conflict copy``), on a fresh copy of the
    targets, and says everything that is not as a sound reader would have it."""

    def __init__(self, sources: Sources, work: Path, counter: str,
                 pg: PgTargets | None = None, template: Path | None = None):
        self.sources = sources
        self.work = work
        self.counter = counter
        self.pg = pg
        self.template = template or sources.template
        self.n = 0
        self._before: tuple[str, dict] | None = None

    def _existing_before(self, data_dir: Path) -> tuple[str, dict]:
        """EXISTING's fingerprint and its groups' contents (the same in every copy)."""
        if self._before is None:
            contents = {uid: target_content(data_dir, EXISTING, uid, False)
                        for uid in group_uids(data_dir, EXISTING)}
            self._before = (org_fingerprint(data_dir, EXISTING), contents)
        return self._before

    def check(self, data: bytes, password: str | None, expect: str) -> list[str]:
        TRIED[self.counter] += 1
        self.n += 1
        ex = self.work / f"x{self.n}"
        ex.mkdir(parents=True)
        path = ex / "mutated.cheelbackup"
        path.write_bytes(data)
        dd = ex / "data"
        shutil.copytree(self.template, dd)
        existing_db = new_db = None
        try:
            pg_args: list[str] = []
            if self.pg:
                existing_db = self.pg.clone()
                list_pg_existing(dd, f"{self.pg.server}/{existing_db}")
                new_db = self.pg.make_name()
                pg_args = ["--postgres", f"{self.pg.server}/{new_db}"]
            fp, own = self._existing_before(dd)
            files = _files(dd)
            f = str(path)
            runs = {
                "verify": run_cli(dd, "verify", f, password=password),
                "dry-run new": run_cli(dd, "restore", f, "--into", NEW, "--create", *pg_args,
                                       "--dry-run", password=password),
            }
            problems = []
            if NEW in org_names(dd):
                problems.append("restore --dry-run created the new organization")
            if runs["dry-run new"].code == 0:
                try:
                    names = file_names(data, password)
                except Exception as e:  # noqa: BLE001 - accepted: it must be readable
                    names = []
                    problems.append(f"an accepted manifest cannot be read without cheel: "
                                    f"{type(e).__name__}")
                for name in names:
                    if name_verdict(name) == ACCEPT and name not in runs["dry-run new"].stdout:
                        problems.append(f"the dry run does not show the name {name!r} as it "
                                        "is")
            runs["restore new"] = run_cli(dd, "restore", f, "--into", NEW, "--create",
                                          *pg_args, "--json", password=password)
            runs["dry-run existing"] = run_cli(dd, "restore", f, "--into", EXISTING,
                                               "--on-conflict", "copy", "--dry-run",
                                               password=password)
            runs["restore existing"] = run_cli(dd, "restore", f, "--into", EXISTING,
                                               "--on-conflict", "copy", "--json",
                                               password=password)
            for what, r in runs.items():
                if r.crash:
                    problems.append(f"{what}: an exception escaped: {r.crash[-600:]}")
                if r.code not in (0, 3, 4):
                    problems.append(f"{what}: exit {r.code}: {r.first_line[:300]}")
                elif r.code != 0 and one_sentence(r.stderr):
                    problems.append(f"{what}: exit {r.code}, stderr has "
                                    f"{one_sentence(r.stderr)}")
                if "Traceback" in r.stdout:
                    problems.append(f"{what}: a traceback on stdout")
            codes = {w: r.code for w, r in runs.items()}
            said = {w: r.first_line[:160] for w, r in runs.items() if r.code in (3, 4)}
            said = f" {said}" if said else ""
            if expect == REFUSE and set(codes.values()) != {4}:
                problems.append(f"a sound reader refuses this file (exit 4), got {codes}{said}")
            elif expect == ACCEPT and set(codes.values()) != {0}:
                problems.append(f"a sound reader accepts this file, got {codes}{said}")
            elif len(set(codes.values())) > 1:
                problems.append(f"the verdicts differ: {codes}{said}")
            # the new organization
            new = runs["restore new"]
            if new.code != 0:
                if NEW in org_names(dd):
                    problems.append("a refused restore --create left the organization listed")
                stray = _files(dd) - files
                if stray:
                    problems.append(f"a refused restore --create left files: {sorted(stray)}")
                # Only the target's own database: other tests may share the server.
                if self.pg and new_db in self.pg.databases():
                    problems.append(f"a refused restore --create left its database {new_db}")
            else:
                problems += self._compare(dd, NEW, new.stdout, data, password, new=True)
            # the existing organization
            ext = runs["restore existing"]
            if ext.code != 0:
                if org_fingerprint(dd, EXISTING) != fp:
                    problems.append("a refused restore changed the existing organization")
            else:
                problems += self._compare(dd, EXISTING, ext.stdout, data, password, new=False)
                for uid, content in own.items():
                    got = target_content(dd, EXISTING, uid, False)
                    if got != content:
                        problems.append(f"restoring changed the existing group {uid}: "
                                        f"{content_diff(content, got)}")
            return problems
        finally:
            if self.pg:
                self.pg.drop(new_db, existing_db)
            shutil.rmtree(ex, ignore_errors=True)

    def _compare(self, dd: Path, org: str, stdout: str, data: bytes, password: str | None,
                 new: bool) -> list[str]:
        """The restored groups hold exactly what the file says (names and uids too where
        the restore kept them)."""
        where = "the new organization" if new else "the existing organization"
        try:
            report = json.loads(stdout)
            groups = report["groups"]
        except (ValueError, KeyError, TypeError) as e:
            return [f"restore into {where}: no JSON report ({e}): {stdout[:200]!r}"]
        try:
            exact = file_groups(data, password)
            loose = file_groups(data, password, ignore_uids=True)
        except Exception as e:  # noqa: BLE001 - the file was accepted: it must be readable
            return [f"an accepted file cannot be read without cheel: {type(e).__name__}: {e}"]
        if len(groups) != len(exact):
            return [f"restore into {where} reports {len(groups)} groups, the file holds "
                    f"{len(exact)}"]
        companies = _manifest_companies(data, password)
        problems = []
        for g, fx, fl, cs in zip(groups, exact, loose, companies):
            if g.get("action") == "skip":
                continue
            # Names and uids as in the file unless the restore said it renamed the group or
            # a company (a name taken) or gave it a new identity (a copy).
            keep = new and g.get("action") == "new" and not g.get("renamed") and \
                g.get("companies") == cs
            want = fx.content if keep else fl.content
            got = target_content(dd, org, g["target_uid"], not keep)
            diff = content_diff(want, got)
            if diff:
                problems.append(f"{where}: group {fx.key} restored as {g['target_uid']} is not "
                                f"what the file says: {diff}")
        return problems


def _manifest_companies(data: bytes, password: str | None) -> list[list]:
    manifest = json.loads(read_members(data, password)[0][1])
    return [[c.get("name") for c in g.get("companies", [])]
            for o in manifest["organizations"] for g in o["groups"]]


def _files(d: Path) -> set[str]:
    # .locks/ holds the organizations' lock files (store/locks.py), kept between runs
    return {p.name for p in d.iterdir()
            if not p.name.endswith(("-wal", "-shm", ".lock", ".tmp")) and p.name != ".locks"}
