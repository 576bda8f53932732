"""Restore drills (issue 19, "Proof and alarms"): a backup restored into a throwaway
organization (SQLite, or a PostgreSQL database made and dropped), checked as a restore
checks, its rows per table and each account's debits and credits compared with the file's,
the result recorded beside the backup, the throwaway gone whatever happens; which backups a
plan drills (due_drills) over a simulated history."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import msgspec
import psycopg
import pytest

from cheel.backups.listing import Listed
from cheel.backups.record import (FORMAT, BackupRecord, DrillResult, GroupRecord,
                                  OrganizationRecord, Verification, read_record, record_path,
                                  write_record)
from cheel.demo import DemoOptions, create_demo
from cheel.drill import DrillOptions, due_drills, run_drill
from cheel.drill import run as drill_run
from cheel.drill import throwaway
from cheel.errors import DamagedFile, DrillMismatch, KeyNeeded
from cheel.progress import FIGURES, ROWS
from cheel.store import schema
from cheel.store.organizations import opened

from backup_support import PW, backup  # backups made with the weak test work factor
from helpers import run_cli
from sound_fixtures import lie_count, mutate, reseal, take_apart

ORG = "Demo SA"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A demo organization's backups: plain, password-encrypted (weak test work factor),
    and for a public key (with the key), made once; each test copies the ones it drills."""
    from cheel.store.catalog import Catalog

    root = tmp_path_factory.mktemp("drill-sources")
    catalog = Catalog(root / "data")
    create_demo(catalog, DemoOptions(name=ORG, entries=150, seed=7))
    out = root / "out"
    out.mkdir()
    key = root / "key.txt"
    result = run_cli(catalog, "keygen", "-o", str(key), "--json")
    recipient = json.loads(result.output)["recipient"]
    files = {
        "plain": backup(catalog, [ORG], out, now=NOW - timedelta(hours=3)).path,
        "password": backup(catalog, [ORG], out, password=PW,
                           now=NOW - timedelta(hours=2)).path,
        "public-key": backup(catalog, [ORG], out, recipients=[recipient],
                             now=NOW - timedelta(hours=1)).path,
    }
    return catalog, files, key


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """The system's temporary folder, for this test: where throwaways are made."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def drill_databases(monkeypatch, temporary_databases):
    """The PostgreSQL databases this test's drills made (throwaways, and the restore's own
    temporary ones); calling it says which of them still exist."""
    made: list[str] = []
    name = throwaway.pg_temporary_name

    def record(prefix: str) -> str:
        made.append(name(prefix))
        return made[-1]

    monkeypatch.setattr(throwaway, "pg_temporary_name", record)

    def left() -> set[str]:
        assert made, "no drill database was made"
        return temporary_databases(*made)

    return left


def copy(made, kind: str, dest: Path) -> Path:
    """The backup of ``kind`` and its record, copied into ``dest``."""
    _, files, _ = made
    path = dest / files[kind].name
    shutil.copy(files[kind], path)
    shutil.copy(record_path(files[kind]), record_path(path))
    return path


def drill(made, *args: str):
    catalog, _, _ = made
    return run_cli(catalog, "drill", *args)


# -- drills that pass --------------------------------------------------------------------------
def test_a_plain_backup_drilled_on_sqlite_is_recorded_and_leaves_nothing(made, dest, scratch):
    path = copy(made, "plain", dest)
    result = drill(made, str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["engine"] == "sqlite" and report["recorded"]
    assert report["differences"] == [] and report["tables"] == len(schema.TABLES)
    assert report["groups"] == 3 and report["companies"] == 5 and report["accounts"] > 100
    manifest = json.loads(run_cli(made[0], "inspect", str(path), "--json").output)
    assert report["rows"] == sum(manifest["rows"].values())
    drills = read_record(path).drills
    assert [(d.ok, d.engine, d.rows, d.accounts, d.error) for d in drills] == \
        [(True, "sqlite", report["rows"], report["accounts"], None)]
    assert drills[0].seconds > 0 and drills[0].at.endswith("+00:00")
    assert list(scratch.iterdir()) == []  # the throwaway's folder is gone
    listed = json.loads(run_cli(made[0], "backups", "list", str(dest), "--json").output)
    assert listed[0]["last_drill"]["ok"] is True
    assert listed[0]["last_drilled_at"] == drills[0].at
    assert "last drill passed" in run_cli(made[0], "backups", "list", str(dest)).output
    human = drill(made, str(path))
    assert human.exit_code == 0 and human.output.startswith("Drill passed: ")
    assert len(read_record(path).drills) == 2


def test_a_password_backup_drilled_on_postgres_drops_its_database(made, dest, scratch, pg_url,
                                                                   drill_databases, tmp_path):
    path = copy(made, "password", dest)
    secret = tmp_path / "pw.txt"
    secret.write_text(PW + "\n")
    result = drill(made, str(path), "--password-file", str(secret), "--postgres", pg_url,
                   "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["engine"] == "postgres" and report["encrypted"]
    assert drill_databases() == set()  # neither the throwaway nor a temporary database
    assert list(scratch.iterdir()) == []
    assert [(d.ok, d.engine) for d in read_record(path).drills] == [(True, "postgres")]
    # the figures are the same on either engine
    again = json.loads(drill(made, str(path), "--password-file", str(secret), "--json").output)
    assert (again["rows"], again["accounts"]) == (report["rows"], report["accounts"])


def test_a_public_key_backup_needs_its_identity(made, dest, scratch):
    path = copy(made, "public-key", dest)
    refused = drill(made, str(path))
    assert refused.exit_code == KeyNeeded.exit_code == 3
    assert read_record(path).drills == []  # a missing key says nothing of the backup
    result = drill(made, str(path), "--identity", str(made[2]), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["encrypted"] is True
    record = read_record(path)
    assert record.encrypted and [d.ok for d in record.drills] == [True]
    text = record_path(path).read_text()
    assert "Helvetia" not in text  # a drill adds figures, never a name
    assert list(scratch.iterdir()) == []


def test_a_backup_of_two_organizations_is_drilled_whole(catalog, dest, scratch):
    """Both organizations into one throwaway: their users and languages matched by key, a
    group they share (one restored from the other) restored as a copy, compared by uid."""
    create_demo(catalog, DemoOptions(name=ORG, entries=150, seed=7))
    create_demo(catalog, DemoOptions(name="Autre SA", entries=150, seed=8))
    first = backup(catalog, [ORG, "Autre SA"], dest, now=NOW - timedelta(hours=1)).path
    assert run_cli(catalog, "restore", str(first), "--into", "Autre SA", "--group",
                   f"{ORG}/Groupe Helvetia").exit_code == 0
    path = backup(catalog, [ORG, "Autre SA"], dest, now=NOW).path
    info = json.loads(run_cli(catalog, "inspect", str(path), "--json").output)
    uids = [[g["uid"] for g in o["groups"]] for o in info["organizations"]]
    assert set(uids[0]) & set(uids[1])  # a group of both
    result = run_cli(catalog, "drill", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["groups"] == 7 and report["differences"] == []
    assert list(scratch.iterdir()) == []


def test_a_backup_at_an_address_is_fetched_once_and_drilled(made, sftp_server, tmp_path,
                                                            scratch):
    folder = tmp_path / "remote"
    folder.mkdir()
    path = copy(made, "plain", folder)
    url = sftp_server.url(path)
    result = drill(made, url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["recorded"] is True
    assert [d.ok for d in read_record(path).drills] == [True]
    assert list(scratch.iterdir()) == []


# -- drills that fail --------------------------------------------------------------------------
def _lose_a_line(real):
    """run_restore, then one journal line lost and another moved to another account, as
    a restore that silently damages data would leave them."""

    def restore(catalog, options, unlock, progress):
        report = real(catalog, options, unlock, progress)
        with opened(catalog, options.into) as (_, db), db.transaction():
            db.execute("DELETE FROM entry_lines WHERE id = (SELECT max(id) FROM entry_lines)")
            first = db.scalar("SELECT min(id) FROM entry_lines")
            other = db.scalar("SELECT min(a.id) FROM accounts a, entry_lines l, accounts b "
                              "WHERE l.id = ? AND b.id = l.account_id AND a.group_id = "
                              "b.group_id AND a.id <> b.id", (first,))
            db.execute("UPDATE entry_lines SET account_id = ? WHERE id = ?", (other, first))
        return report

    return restore


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_figures_that_differ_are_a_mismatch(made, dest, scratch, monkeypatch, engine,
                                            request):
    args = []
    if engine == "postgres":
        args = ["--postgres", request.getfixturevalue("pg_url")]
        left = request.getfixturevalue("drill_databases")
    path = copy(made, "plain", dest)
    monkeypatch.setattr(drill_run, "run_restore", _lose_a_line(drill_run.run_restore))
    result = drill(made, str(path), "--json", *args)
    assert result.exit_code == DrillMismatch.exit_code == 6, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    kinds = [(d["kind"], d["what"]) for d in report["differences"]]
    assert kinds[0] == ("rows", "entry_lines")
    assert report["differences"][0]["expected"] == str(int(report["differences"][0]["found"])
                                                       + 1)
    balances = [d for d in report["differences"] if d["kind"] == "balance"]
    assert 2 <= len(balances) <= 3  # the lost line's account, the moved line's two
    assert all("balance" in d["expected"] and "balance" in d["found"] for d in balances)
    assert "figures differ from what it declares" in result.stderr
    last = read_record(path).drills[-1]
    assert (last.ok, last.error, last.differences) == \
        (False, "DrillMismatch", len(report["differences"]))
    assert list(scratch.iterdir()) == []
    if engine == "postgres":
        assert left() == set()
    human = drill(made, str(path), *args)
    assert human.exit_code == 6 and "Drill FAILED" in human.stdout
    assert "  differs: entry_lines: " in human.stdout


def test_a_mismatch_is_said_whole_in_the_page_language():
    """Every part of a drill's finding is a sentence of its own, translated: the account and
    its group, its debits and credits, what one side lacks; one figure, or several."""
    from cheel.drill import Difference
    from cheel.web import i18n

    lost = Difference("balance", "1020", (Decimal(150000), Decimal(0)),
                      (Decimal(100000), Decimal(0)), "Groupe Helvetia")
    gone = Difference("balance", "2000", (Decimal(0), Decimal(500)), None, "Groupe Helvetia")
    report = drill_run.DrillReport("x.cheelbackup", "sqlite", "2026-03-02T01:30:00+00:00",
                                   differences=[lost])
    one = drill_run.mismatch(report).text
    assert str(one) == ('the drill restored x.cheelbackup, but one figure differs from what it '
                        'declares: account 1020 of the group "Groupe Helvetia": debit 1000.00, '
                        'credit 0.00, balance 1000.00 restored, debit 1500.00, credit 0.00, '
                        'balance 1500.00 in the backup')
    assert i18n.say(one, "fr") == (
        "Le test de restauration a restauré x.cheelbackup, mais un chiffre ne concorde pas avec "
        "ce que la sauvegarde déclare : compte 1020 du groupe « Groupe Helvetia » : débit "
        "1000.00, crédit 0.00, solde 1000.00 après restauration, débit 1500.00, crédit 0.00, "
        "solde 1500.00 dans la sauvegarde.")
    assert i18n.say(one, "de") == (
        "Der Wiederherstellungstest hat x.cheelbackup wiederhergestellt, aber ein Wert weicht "
        "von den Angaben der Sicherung ab: Konto 1020 der Gruppe «Groupe Helvetia»: Soll "
        "1000.00, Haben 0.00, Saldo 1000.00 nach der Wiederherstellung, Soll 1500.00, Haben "
        "0.00, Saldo 1500.00 in der Sicherung.")
    report.differences.append(gone)
    two = drill_run.mismatch(report).text
    german = i18n.say(two, "de")
    assert "aber 2 Werte weichen von den Angaben der Sicherung ab" in german
    assert ("Konto 2000 der Gruppe «Groupe Helvetia»: fehlt nach der Wiederherstellung, Soll "
            "0.00, Haben 5.00, Saldo -5.00 in der Sicherung.") in german
    french = i18n.say(two, "fr")
    assert "mais 2 chiffres ne concordent pas" in french
    assert "compte 2000 du groupe « Groupe Helvetia » : absent après restauration" in french
    for said in (french, german):
        assert not any(w in said for w in ("debit", "credit", "restored", "of the group"))
    # the JSON says it as before, in English
    assert gone.as_dict() == {"kind": "balance", "what": '2000 of the group "Groupe Helvetia"',
                              "expected": "debit 0.00, credit 5.00, balance -5.00",
                              "found": "no such account"}


def test_a_crafted_file_whose_declared_counts_differ_is_refused_and_recorded(made, dest,
                                                                           scratch):
    honest = copy(made, "plain", dest)
    crafted = dest / "crafted.cheelbackup"
    parts = take_apart(honest.read_bytes())
    for where in ("group", "top"):  # the manifest says one line fewer, its totals agree
        parts = mutate(parts, lie_count(where, "entry_lines", -1))
    crafted.write_bytes(reseal(parts))  # self-consistent: index, checksums and seal agree
    record = read_record(honest)
    record.file, record.size = crafted.name, crafted.stat().st_size
    write_record(crafted, record)
    result = drill(made, str(crafted))
    # a restore refuses it before anything is compared: damaged (exit 4), never restored
    assert result.exit_code == DamagedFile.exit_code == 4
    assert "should hold" in result.stderr and "entry_lines" in result.stderr
    assert [(d.ok, d.error) for d in read_record(crafted).drills] == [(False, "DamagedFile")]
    assert list(scratch.iterdir()) == []


def test_a_drill_of_a_file_changed_since_written_is_recorded_as_failed(made, dest, scratch):
    path = copy(made, "plain", dest)
    record = read_record(path)
    record.sha256 = "0" * 64  # the record describes other bytes of the same size
    write_record(path, record)
    assert drill(made, str(path)).exit_code == 0  # the file itself restores as it says
    assert [(d.ok, d.error) for d in read_record(path).drills] == \
        [(False, "ChangedSinceWritten")]


class Interrupt:
    """A progress that presses Ctrl-C at the ``at``-th report of ``phase``."""

    def __init__(self, phase: str, at: int = 1):
        self.phase, self.at, self.heard = phase, at, 0

    def __call__(self, done: int, total: int, phase: str = ROWS) -> None:
        if phase == self.phase:
            self.heard += 1
            if self.heard == self.at:
                raise KeyboardInterrupt


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
@pytest.mark.parametrize("phase", [ROWS, FIGURES])
def test_ctrl_c_anywhere_leaves_no_throwaway(made, dest, scratch, engine, phase, request):
    postgres = request.getfixturevalue("pg_url") if engine == "postgres" else None
    left = request.getfixturevalue("drill_databases") if postgres else None
    path = copy(made, "plain", dest)
    with pytest.raises(KeyboardInterrupt):
        run_drill(DrillOptions(path, engine, postgres), None, Interrupt(phase, at=2))
    assert list(scratch.iterdir()) == []
    if left is not None:
        assert left() == set()
    assert read_record(path).drills == []  # Ctrl-C says nothing of the backup


@pytest.fixture(scope="module")
def larger(tmp_path_factory):
    """A backup that takes a drill long enough to be interrupted on the way."""
    from cheel.store.catalog import Catalog

    root = tmp_path_factory.mktemp("drill-larger")
    catalog = Catalog(root / "data")
    create_demo(catalog, DemoOptions(name=ORG, entries=60_000, seed=3))
    (root / "out").mkdir()
    return backup(catalog, [ORG], root / "out").path


@pytest.mark.parametrize("engine, signum", [("sqlite", signal.SIGINT),
                                            ("postgres", signal.SIGTERM)])
def test_a_real_signal_leaves_no_throwaway(larger, scratch, engine, signum, request):
    """``cheel drill`` in a child process, Ctrl-C (or a scheduler's SIGTERM) once its
    throwaway is being filled: exit 130, nothing left."""
    pg_url = request.getfixturevalue("pg_url") if engine == "postgres" else None
    args = ["--postgres", pg_url] if pg_url else []
    before = _temporary_databases(pg_url) if pg_url else set()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(
        Path(sys.modules["cheel"].__file__).parent.parent)}
    child = subprocess.Popen([sys.executable, "-c", "from cheel.cli.main import main; main()",
                              "--data-dir", str(scratch.parent / "data"), "drill", str(larger),
                              *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:  # until its restore has begun: a database made, or a SQLite file
            ours = _temporary_databases(pg_url) - before if pg_url else set()
            if ours or (not pg_url and any(scratch.glob("cheel-drill-*/data/*"))):
                break
            assert child.poll() is None and time.monotonic() < deadline, child.communicate()
            time.sleep(0.005)
        child.send_signal(signum)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    assert b"Interrupted" in err
    assert list(scratch.iterdir()) == []
    if pg_url:
        assert not ours & _temporary_databases(pg_url)
        assert not any(n.startswith(throwaway.PG_PREFIX) for n in _temporary_databases(pg_url))
    assert read_record(larger).drills == []


def _temporary_databases(pg_url: str) -> set[str]:
    """The temporary databases of restores and drills on the server now."""
    with psycopg.connect(pg_url + "/postgres") as conn:
        return {r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'cheel\\_restoring\\_%' "
            "OR datname LIKE 'cheel\\_drill\\_%'")}


def test_what_killed_drills_left_is_swept(made, dest, scratch, pg_url):
    dead = scratch / "cheel-drill-dead"  # its lock file unlocked: its drill is gone
    (dead / "data").mkdir(parents=True)
    (dead / throwaway.LOCK).write_text("")
    old = f"{throwaway.PG_PREFIX}1000_0123456789"  # made in 1970: long dead
    with psycopg.connect(pg_url + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{old}"')
    try:
        path = copy(made, "plain", dest)
        assert drill(made, str(path), "--postgres", pg_url).exit_code == 0
        assert list(scratch.iterdir()) == []
        with psycopg.connect(pg_url + "/postgres") as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (old,)).fetchone() is None
    finally:
        with psycopg.connect(pg_url + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{old}"')


def test_usage(made):
    assert drill(made).exit_code == 2
    assert drill(made, "x.cheelbackup", "--plan", "p").exit_code == 2
    assert drill(made, "x.cheelbackup", "--engine", "postgres").exit_code == 2
    assert drill(made, "x.cheelbackup", "--engine", "sqlite", "--postgres", "postgresql://x"
                 ).exit_code == 2


# -- a plan's drills ---------------------------------------------------------------------------
def test_a_plan_drills_what_is_due(made, dest, scratch):
    from cheel.plans.model import Plan
    from cheel.plans.store import save_plan

    catalog = made[0]
    older, newer = copy(made, "plain", dest), copy(made, "password", dest)
    for path in (older, newer):
        record = read_record(path)
        record.verifications = [Verification(NOW.isoformat(), True, "0")]
        write_record(path, record)
    save_plan(catalog, msgspec.convert({
        "name": "nightly", "destination": str(dest), "drill_every_days": 7,
        "encryption": {"passphrase": {"command": ["printf", PW]}}}, Plan))
    result = run_cli(catalog, "drill", "--plan", "nightly", "--json")
    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert [(d["file"], d["ok"]) for d in done] == [(str(newer), True)]  # the newest only
    assert read_record(older).drills == [] and len(read_record(newer).drills) == 1
    again = run_cli(catalog, "drill", "--plan", "nightly")
    assert again.exit_code == 0 and again.output.endswith("0 backup(s) drilled, 0 failed.\n")


# -- which backups to drill --------------------------------------------------------------------
def listed(org: str, created: datetime, *, verified: bool = True,
           drills: tuple[tuple[datetime, bool], ...] = (), orgs: tuple[str, ...] = ()
           ) -> Listed:
    record = BackupRecord(
        FORMAT, 1, f"{org}-{created:%Y%m%d-%H%M%S}.cheelbackup", 1000, "0" * 64,
        created.isoformat(), False,
        [OrganizationRecord(o, [GroupRecord("g", "G", [])]) for o in (org, *orgs)],
        [Verification(created.isoformat(), verified, "0")],
        [DrillResult(at.isoformat(), ok, "0") for at, ok in drills])
    return Listed(record.file, 1000, created.isoformat(), record, location=record.file)


def test_due_drills_rotate_so_that_every_organization_is_drilled_within_the_period():
    orgs = [f"Client {i:02d}" for i in range(14)]
    every = 7
    history: list[Listed] = []
    last_ok: dict[str, datetime] = {}
    per_day = []
    for day in range(60):
        now = NOW + timedelta(days=day)
        for org in orgs:  # each night a new verified backup of every organization
            history.append(listed(org, now - timedelta(hours=2)))
        due = due_drills(history, every, now)
        per_day.append(len(due))
        for b in due:  # each drilled at `now`, with success
            b.record.drills = [*b.record.drills, DrillResult(now.isoformat(), True, "0")]
            org = b.organizations[0]
            assert b is max((h for h in history if h.organizations[0] == org),
                            key=lambda h: h.created_at)  # its newest backup
            last_ok[org] = now
        assert all(now - last_ok[o] < timedelta(days=every) for o in orgs)
    assert per_day[0] == len(orgs)  # never drilled: all at once
    share = math.ceil(len(orgs) / every)
    assert all(n <= share + 1 for n in per_day[1:]), per_day  # then a share a day
    assert sum(per_day[7:]) == pytest.approx(len(orgs) * 53 / every, abs=len(orgs))


def test_due_drills_pick_the_newest_verified_backup_oldest_drilled_first():
    week = timedelta(days=7)
    history = [
        listed("A", NOW - timedelta(days=3), drills=((NOW - week - timedelta(days=1), True),)),
        listed("A", NOW - timedelta(days=1)),
        listed("A", NOW - timedelta(hours=1), verified=False),  # not verified: never drilled
        listed("B", NOW - timedelta(days=1), drills=((NOW - timedelta(days=2), True),)),
        listed("C", NOW - timedelta(days=2)),  # never drilled
        listed("D", NOW - timedelta(days=1), drills=((NOW - timedelta(days=1), False),)),
        listed("E", NOW - timedelta(days=1), orgs=("F",)),  # one file of two organizations
    ]
    names = [b.name for b in due_drills(history, 7, NOW)]
    # C, D (its drill failed), E and F (one file) never drilled with success, then A (its
    # last drill 8 days ago, on an older backup: its newest verified one now); B was
    # drilled 2 days ago: the rotation owes 6 organizations x 2/7 days = 1 drill, and the
    # overdue ones are more than that
    assert names == [history[4].name, history[5].name, history[6].name, history[1].name]
    assert [b.name for b in due_drills(history, 0, NOW)] == \
        [history[4].name, history[5].name, history[6].name, history[1].name, history[3].name]
    changed = listed("G", NOW - timedelta(days=1))
    changed.changed = True
    assert due_drills([changed], 7, NOW) == []
    assert due_drills([listed("H", NOW, verified=False)], 7, NOW) == []
    assert [b.name for b in due_drills(history[3:4], 7, NOW.replace(tzinfo=None))] == []


def test_an_old_record_without_drills_still_reads(made, dest):
    path = copy(made, "plain", dest)
    data = json.loads(record_path(path).read_text())
    assert "drills" in data
    del data["drills"]
    record_path(path).write_text(json.dumps(data))
    assert read_record(path).drills == []
    assert read_record(path).last_drill is None
