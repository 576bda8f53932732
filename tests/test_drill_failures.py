"""Restore drills (issue 19) that fail or are stopped: figures that differ are a mismatch,
said whole in the page language; a crafted file whose declared counts differ and a file
changed since written are refused and recorded as failed; Ctrl-C in any phase and a real
signal leave no throwaway (SQLite, PostgreSQL); what killed drills left is swept. Drills
that pass and which backups to drill: test_drill.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from cheel.backups.record import read_record, write_record
from cheel.demo import DemoOptions, create_demo
from cheel.drill import DrillOptions, run_drill
from cheel.drill import run as drill_run
from cheel.drill import throwaway
from cheel.errors import DamagedFile, DrillMismatch
from cheel.progress import FIGURES, ROWS
from cheel.store.organizations import opened

from backup_support import backup  # backups made with the weak test work factor
from sound_fixtures import lie_count, mutate, reseal, take_apart
from drill_support import ORG, copy, drill, drill_databases, made, scratch  # noqa: F401


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
def test_figures_that_differ_are_a_mismatch(made, dest, scratch, monkeypatch, engine,  # noqa: F811
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


def test_a_crafted_file_whose_declared_counts_differ_is_refused_and_recorded(made, dest,  # noqa: F811
                                                                           scratch):  # noqa: F811
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


def test_a_drill_of_a_file_changed_since_written_is_recorded_as_failed(made, dest, scratch):  # noqa: F811
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
def test_ctrl_c_anywhere_leaves_no_throwaway(made, dest, scratch, engine, phase, request):  # noqa: F811
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
def test_a_real_signal_leaves_no_throwaway(larger, scratch, engine, signum, request):  # noqa: F811
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


def test_what_killed_drills_left_is_swept(made, dest, scratch, pg_url):  # noqa: F811
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
