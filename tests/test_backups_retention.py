"""Backups kept by rule (issue 18): the record beside each backup, `cheel backups list`,
`cheel backups prune` with its rules, the legal floor and the safety rails."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from cheel.backups.listing import Listed, list_backups
from cheel.backups.record import (FORMAT, BackupRecord, CompanyRecord, FiscalYearRecord,
                                  GroupRecord, OrganizationRecord, Verification, read_record,
                                  record_path, write_record)
from cheel.backups.retention import KeepRules, decide
from cheel.demo import DemoOptions, create_demo
from cheel.errors import UsageError

from helpers import run_cli

ORG = "Demo SA"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


run = run_cli


# -- records written by backup and verify, read by list ---------------------------------------
@pytest.fixture
def demo(catalog):
    create_demo(catalog, DemoOptions(name=ORG, entries=200, seed=5))
    return catalog


def backup(catalog, dest: Path, *args: str, env: dict | None = None) -> Path:
    result = run(catalog, "backup", ORG, "--dest", str(dest), "--json", *args, env=env)
    assert result.exit_code == 0, result.output
    return Path(json.loads(result.output)["path"])


def test_a_backup_writes_its_record_and_verify_adds_to_it(demo, dest):
    path = backup(demo, dest)
    record = read_record(path)
    assert record is not None and record.format == FORMAT
    assert record.file == path.name and not record.encrypted
    assert record.size == path.stat().st_size
    groups = record.organizations[0].groups
    assert {g.name for g in groups} == {"Atelier Keller GmbH", "Boulangerie Favre Sàrl",
                                         "Groupe Helvetia"}
    years = [fy for g in groups for c in g.companies for fy in c.fiscal_years]
    assert years and all(fy.end >= fy.start for fy in years)
    assert any(fy.closed for fy in years) and any(not fy.closed for fy in years)
    assert record.verifications == []
    verified = run(demo, "verify", str(path), "--json")
    assert verified.exit_code == 0 and json.loads(verified.output)["recorded"] is True
    record = read_record(path)
    assert [v.ok for v in record.verifications] == [True]
    listed = json.loads(run(demo, "backups", "list", str(dest), "--json").output)
    assert [(b["verified"], b["encrypted"], len(b["groups"])) for b in listed] == \
        [(True, False, 3)]


def test_an_encrypted_backup_s_record_names_no_group_or_company(demo, dest, tmp_path):
    key = tmp_path / "key.txt"
    recipient = json.loads(run(demo, "keygen", "-o", str(key), "--json").output)["recipient"]
    path = backup(demo, dest, "--recipient", recipient)
    text = record_path(path).read_text()
    record = read_record(path)
    assert record.encrypted
    assert all(g.name is None and all(c.name is None for c in g.companies)
               for g in record.organizations[0].groups)
    for name in ("Helvetia", "Keller", "Favre"):
        assert name not in text
    listed = json.loads(run(demo, "backups", "list", str(dest), "--json").output)
    assert [g["name"] for g in listed[0]["groups"]] == [None, None, None]
    assert "(encrypted)" in run(demo, "backups", "list", str(dest)).output


def test_a_file_changed_since_it_was_written_is_said_and_never_pruned(demo, dest):
    path = backup(demo, dest)
    assert run(demo, "verify", str(path)).exit_code == 0
    original = path.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0xFF
    copy = dest / "copy.cheelbackup"
    copy.write_bytes(data)
    assert read_record(copy) is None  # a copy has no record of its own
    path.write_bytes(bytes(data))  # damaged in place, same size: verify finds it
    assert run(demo, "verify", str(path)).exit_code == 4
    record = read_record(path)
    assert [v.ok for v in record.verifications] == [True, False]
    assert record.verifications[-1].error in ("DamagedFile", "Unsound")
    other = backup(demo, dest)  # cut short: the size already says it changed
    with open(other, "r+b") as f:
        f.truncate(other.stat().st_size - 100)
    listed = {b["file"]: b for b in json.loads(
        run(demo, "backups", "list", str(dest), "--json").output)}
    assert listed[str(path)]["verification_failed"] is True
    assert listed[str(other)]["changed_since_written"] is True
    assert listed[str(copy)]["record"] is False
    out = run(demo, "backups", "list", str(dest)).output
    assert "FAILED" in out and "CHANGED since written" in out
    report = json.loads(run(demo, "backups", "prune", str(dest), "--keep-last", "1",
                            "--json").output)
    assert report["deleted"] == []
    reasons = {b["file"]: b["reasons"] for b in report["backups"]}
    assert reasons[str(path)][0] == "its verification failed: kept for inspection"
    assert reasons[str(other)][0].startswith("the file changed since it was written")
    assert reasons[str(copy)][0].startswith("no valid record")
    path.write_bytes(original)  # put back, and verified again: a sound file with its record
    assert run(demo, "verify", str(path)).exit_code == 0
    assert read_record(path).verified


def test_a_sound_file_whose_bytes_are_not_the_recorded_ones_fails_its_verification(demo,
                                                                                    dest):
    path = backup(demo, dest)
    # the record describes other bytes of the same size (a file put in place of another)
    record = read_record(path)
    record.sha256 = "0" * 64
    write_record(path, record)
    assert read_record(path) is not None  # the size alone cannot tell
    verified = run(demo, "verify", str(path), "--json")
    assert verified.exit_code == 0  # the file itself is sound
    record = read_record(path)
    assert [(v.ok, v.error) for v in record.verifications] == [(False, "ChangedSinceWritten")]
    report = json.loads(run(demo, "backups", "prune", str(dest), "--keep-last", "1",
                            "--json").output)
    assert report["deleted"] == [] and report["backups"][0]["reasons"] == [
        "its verification failed: kept for inspection",
        "the newest backup of Demo SA is not verified: nothing of it is pruned until it is"]


# -- the rules, the floor and the rails on records made here ------------------------------------
def made(created: datetime, *, ok: bool | None = True, org: str = ORG, group: str = "g1",
         years: tuple = (), name: str | None = None) -> Listed:
    """A listed backup with a record, created at ``created``; ``ok`` None: not verified."""
    fiscal = [FiscalYearRecord(y, f"{y}-01-01", f"{y}-12-31", closed) for y, closed in years]
    record = BackupRecord(
        FORMAT, 1, f"{created:%Y%m%d-%H%M%S}.cheelbackup", 1000, "0" * 64,
        created.isoformat(), False,
        [OrganizationRecord(org, [GroupRecord(group, group, [
            CompanyRecord("c1", "Muster AG", fiscal)])])],
        [] if ok is None else [Verification(created.isoformat(), ok, "0.1.0")])
    return Listed(name or record.file, 1000, created.isoformat(), record)


def kept(decisions) -> list[str]:
    return [d.backup.created_at[:10] for d in decisions if d.keep]


def daily(days: int, **kw) -> list[Listed]:
    return [made(NOW - timedelta(days=n), **kw) for n in range(days - 1, -1, -1)]


def test_keep_daily_weekly_monthly_and_last():
    backups = daily(100)
    decisions = decide(backups, KeepRules(daily=7), NOW)
    assert kept(decisions) == [(NOW - timedelta(days=n)).date().isoformat()
                               for n in range(6, -1, -1)]
    weekly = kept(decide(backups, KeepRules(weekly=4), NOW))
    assert len(weekly) == 4
    assert all(date.fromisoformat(d).isocalendar()[2] == 7 or d == NOW.date().isoformat()
               for d in weekly)  # the newest of each week: its Sunday, or today
    monthly = kept(decide(backups, KeepRules(monthly=3), NOW))
    assert monthly == ["2026-10-31", "2026-11-30", "2026-12-05"]
    assert kept(decide(backups, KeepRules(last=2), NOW)) == ["2026-12-04", "2026-12-05"]
    reasons = decide(backups, KeepRules(daily=1, monthly=1), NOW)[-1].reasons
    assert [str(r) for r in reasons] == ["the last verified backup of its groups",
                                         "daily (2026-12-05)", "monthly (2026-12)"]


def test_only_verified_backups_count_and_unverified_or_failed_ones_stay():
    backups = daily(10)
    backups[-2] = made(NOW - timedelta(days=1), ok=False)
    backups[-3] = made(NOW - timedelta(days=2), ok=None)
    decisions = decide(backups, KeepRules(daily=3), NOW)
    by_day = {d.backup.created_at[:10]: [str(r) for r in d.reasons] for d in decisions}
    assert by_day["2026-12-04"] == ["its verification failed: kept for inspection"]
    assert by_day["2026-12-03"] == ["not verified yet"]
    # three verified days counted: the 5th, the 2nd and the 1st
    assert kept(decisions) == ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04",
                               "2026-12-05"]


def test_nothing_is_pruned_while_the_newest_backup_is_not_verified():
    backups = daily(10)
    backups[-1] = made(NOW, ok=None)  # the last job wrote a file nobody verified
    decisions = decide(backups, KeepRules(last=1), NOW)
    assert all(d.keep for d in decisions)
    assert "nothing of it is pruned until it is" in str(decisions[0].reasons[-1])
    backups[-1] = made(NOW, ok=False)  # or it failed: the same
    assert all(d.keep for d in decide(backups, KeepRules(last=1), NOW))
    # another organization is pruned as usual
    others = [made(NOW - timedelta(days=n), org="Autre SA") for n in range(5)]
    decisions = decide(backups + others, KeepRules(last=1), NOW)
    assert sum(not d.keep for d in decisions) == 4


def test_nothing_is_pruned_when_a_backup_is_dated_in_the_future():
    backups = daily(5) + [made(NOW + timedelta(days=30))]
    decisions = decide(backups, KeepRules(last=1), NOW)
    assert all(d.keep for d in decisions)
    assert "dated in the future" in str(decisions[0].reasons[-1])


def test_the_last_verified_backup_of_each_group_set_is_never_deleted():
    one = [made(NOW - timedelta(days=n), group="g1") for n in (3, 2)]
    two = [made(NOW - timedelta(days=n), group="g2") for n in (5, 4)]
    decisions = decide(one + two, KeepRules(last=1), NOW)
    assert sorted(kept(decisions)) == ["2026-12-01", "2026-12-03"]  # g2's, g1's newest


def test_a_backup_without_a_record_is_never_deleted():
    bare = Listed("old.cheelbackup", 10, "2020-01-01T00:00:00+00:00", None)
    decisions = decide([bare, *daily(3)], KeepRules(last=1), NOW)
    assert decisions[0].keep
    assert str(decisions[0].reasons[0]).startswith("no valid record")


def test_the_legal_floor_keeps_the_last_backup_of_each_fiscal_year_for_ten_years():
    # monthly backups from 2014 to now, each holding the fiscal years up to its own year,
    # a year closed from the April after it
    backups = []
    day = datetime(2014, 1, 15, tzinfo=timezone.utc)
    while day <= NOW:
        years = tuple((str(y), (day.year, day.month) >= (y + 1, 4))
                      for y in range(2014, day.year + 1))
        backups.append(made(day, years=years))
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=15)
    decisions = decide(backups, KeepRules(last=1), NOW)
    floor = {}
    for d in decisions:
        for r in d.reasons:
            if str(r).startswith("legal floor"):
                floor.setdefault(str(r).split()[4], []).append(d.backup.created_at[:10])
    # 2014 and 2015 ended more than ten years ago: no floor; each later year keeps its last
    # backup made on or before its end (December) and the first showing it closed (April)
    assert sorted(floor) == [str(y) for y in range(2016, 2027)]
    assert floor["2016"] == ["2016-12-15", "2017-04-15"]
    assert floor["2025"] == ["2025-12-15", "2026-04-15"]
    assert floor["2026"] == ["2026-11-15"]  # not ended: its newest backup so far
    reason = next(str(r) for d in decisions for r in d.reasons if "fiscal year 2016" in str(r))
    assert reason == "legal floor: fiscal year 2016 of Muster AG, until 2026-12-31"
    assert sum(d.keep for d in decisions) == 21  # the floor's 21, the newest among them


def test_rules_must_say_what_to_keep():
    with pytest.raises(UsageError):
        decide(daily(3), KeepRules(), NOW)
    with pytest.raises(UsageError):
        decide(daily(3), KeepRules(daily=-1), NOW)


# -- pruning a folder from the command line ---------------------------------------------------
def test_prune_dry_run_then_prune(demo, dest):
    paths = []
    for n in range(3):
        path = backup(demo, dest)
        paths.append(path)
        assert run(demo, "verify", str(path)).exit_code == 0
        # three files of the same second would share a name: make each its own
        renamed = path.with_name(f"demo-sa_2026120{n + 1}-101500.cheelbackup")
        record = read_record(path)
        record.file = renamed.name
        record.created_at = f"2026-12-0{n + 1}T10:15:00+00:00"
        path.rename(renamed)
        record_path(path).unlink()
        write_record(renamed, record)
        paths[-1] = renamed
    before = sorted(p.name for p in dest.iterdir())
    dry = run(demo, "backups", "prune", str(dest), "--keep-last", "1", "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0] == "keep    demo-sa_20261201-101500.cheelbackup"
    assert lines[1].startswith("        - legal floor: fiscal year ")
    deleting = lines.index("would delete demo-sa_20261202-101500.cheelbackup")
    assert lines[deleting + 1:deleting + 4] == [
        "keep    demo-sa_20261203-101500.cheelbackup",
        "        - the last verified backup of its groups", "        - last 1 (1)"]
    assert lines[-1].startswith("2 kept, 1 to delete; would free ")
    assert sorted(p.name for p in dest.iterdir()) == before  # a dry run deletes nothing
    done = run(demo, "backups", "prune", str(dest), "--keep-last", "1", "--json")
    report = json.loads(done.output)
    assert report["deleted"] == ["demo-sa_20261202-101500.cheelbackup"]
    assert sorted(p.name for p in dest.iterdir()) == [
        "demo-sa_20261201-101500.cheelbackup", "demo-sa_20261201-101500.cheelbackup.json",
        "demo-sa_20261203-101500.cheelbackup", "demo-sa_20261203-101500.cheelbackup.json"]
    assert [b.name for b in list_backups(str(dest))] == [
        "demo-sa_20261201-101500.cheelbackup", "demo-sa_20261203-101500.cheelbackup"]
    nothing = run(demo, "backups", "prune", str(dest))
    assert nothing.exit_code == 2
    assert nothing.output.startswith("Error: Say what to keep")


def test_a_confirmed_preview_deletes_only_what_it_showed(demo, dest):
    """A pruning told what its preview would delete (a user's confirmation, in the web UI)
    deletes it when it decides the same, and nothing at all otherwise."""
    from cheel.backups.prune import PruneOptions, prune
    from cheel.errors import PreviewOutdated

    from dated_backups import dated_backups

    dated_backups(demo, ORG, str(dest), 4)
    rules = KeepRules(last=1)
    preview = prune(PruneOptions(str(dest), rules, dry_run=True))
    shown = [d.backup.name for d in preview.decisions if not d.keep]
    assert shown and preview.deleted == []
    before = sorted(p.name for p in dest.iterdir())
    for wrong in (shown[1:], shown + ["other.cheelbackup"]):
        with pytest.raises(PreviewOutdated) as refused:
            prune(PruneOptions(str(dest), rules, expected=wrong))
        assert refused.value.message.endswith("shown): nothing was deleted")
        assert sorted(p.name for p in dest.iterdir()) == before
    done = prune(PruneOptions(str(dest), rules, expected=list(reversed(shown))))
    assert done.deleted == shown
    assert sorted(p.name for p in dest.glob("*.cheelbackup")) == sorted(
        set(n for n in before if n.endswith(".cheelbackup")) - set(shown))
