"""Restore drills (issue 19, "Proof and alarms") that pass: a backup restored into a
throwaway organization (SQLite, or a PostgreSQL database made and dropped), checked as a
restore checks, the result recorded beside the backup, the throwaway gone; plain,
password and public-key backups, two organizations, a backup at an address; usage; a
plan's drills; which backups a plan drills (due_drills) over a simulated history; an old
record without drills. Drills that fail or are stopped: test_drill_failures.py."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import msgspec
import pytest

from cheel.backups.listing import Listed
from cheel.backups.record import (FORMAT, BackupRecord, DrillResult, GroupRecord,
                                  OrganizationRecord, Verification, read_record, record_path,
                                  write_record)
from cheel.demo import DemoOptions, create_demo
from cheel.drill import due_drills
from cheel.errors import KeyNeeded
from cheel.store import schema

from backup_support import PW, backup  # backups made with the weak test work factor
from helpers import run_cli
from drill_support import NOW, ORG, copy, drill, drill_databases, made, scratch  # noqa: F401


# -- drills that pass --------------------------------------------------------------------------
def test_a_plain_backup_drilled_on_sqlite_is_recorded_and_leaves_nothing(made, dest, scratch):  # noqa: F811
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


def test_a_password_backup_drilled_on_postgres_drops_its_database(made, dest, scratch, pg_url,  # noqa: F811
                                                                   drill_databases, tmp_path):  # noqa: F811
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


def test_a_public_key_backup_needs_its_identity(made, dest, scratch):  # noqa: F811
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


def test_a_backup_of_two_organizations_is_drilled_whole(catalog, dest, scratch):  # noqa: F811
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


def test_a_backup_at_an_address_is_fetched_once_and_drilled(made, sftp_server, tmp_path,  # noqa: F811
                                                            scratch):  # noqa: F811
    folder = tmp_path / "remote"
    folder.mkdir()
    path = copy(made, "plain", folder)
    url = sftp_server.url(path)
    result = drill(made, url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["recorded"] is True
    assert [d.ok for d in read_record(path).drills] == [True]
    assert list(scratch.iterdir()) == []


def test_usage(made):  # noqa: F811
    assert drill(made).exit_code == 2
    assert drill(made, "x.cheelbackup", "--plan", "p").exit_code == 2
    assert drill(made, "x.cheelbackup", "--engine", "postgres").exit_code == 2
    assert drill(made, "x.cheelbackup", "--engine", "sqlite", "--postgres", "postgresql://x"
                 ).exit_code == 2


# -- a plan's drills ---------------------------------------------------------------------------
def test_a_plan_drills_what_is_due(made, dest, scratch):  # noqa: F811
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


def test_an_old_record_without_drills_still_reads(made, dest):  # noqa: F811
    path = copy(made, "plain", dest)
    data = json.loads(record_path(path).read_text())
    assert "drills" in data
    del data["drills"]
    record_path(path).write_text(json.dumps(data))
    assert read_record(path).drills == []
    assert read_record(path).last_drill is None
