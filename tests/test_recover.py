"""Recovery of the whole fleet (issue 19): ``cheel recover DEST`` after a lost server, from
a folder and from the tests' real S3 server, onto SQLite and the real PostgreSQL server; and
``cheel restore FILE --each-as-own-org --create``. Real demo organizations, real backups,
verified by ``cheel verify``; the "lost server" is a new, empty data folder."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.backups.record import record_at, write_record_to
from cheel.demo import DemoOptions, create_demo
from cheel.destinations import split_location
from cheel.errors import AlreadyExists, UsageError
from cheel.recover import RecoverOptions, plan_recover, run_recover
from cheel.restore import RestoreOptions, restore_own_orgs
from cheel.restore import own
from cheel.store import organizations
from cheel.store.catalog import Catalog, safe_name
from helpers import database_exists, fingerprint, group_content, run_cli
from s3_server import new_bucket, s3_url

PW = "fleet passphrase"


def demo(catalog, name, seed, postgres=None):
    create_demo(catalog, DemoOptions(name=name, entries=500, seed=seed, postgres=postgres))


def contents(catalog, org) -> dict[str, dict]:
    """Every group of ``org`` by uid, its rows as group_content gives them."""
    with organizations.opened(catalog, org) as (_, db):
        with db.snapshot():
            return {g.uid: group_content(db, g.uid) for g in organizations.list_groups(db)}


def backup(catalog, orgs, dest, days_ago, verify=True, password=None) -> str:
    """A backup of ``orgs`` in ``dest``, its record dated ``days_ago`` days back (a backup
    cannot be made in the past), verified by ``cheel verify`` unless told not to."""
    when = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days_ago)
    plan = plan_backup(catalog, BackupOptions(list(orgs), str(dest), password=password,
                                              log2n=10), now=when)
    location = str(run_backup(catalog, plan).path)
    destination, name = split_location(location)
    record, _ = record_at(destination, name)
    record.created_at = when.isoformat()
    write_record_to(destination, record)
    if verify:
        result = run_cli(catalog, "verify", location, env={"CHEEL_PASSWORD": PW})
        assert result.exit_code == 0, result.output
    return location


def add_group(catalog, org, name):
    with organizations.opened(catalog, org) as (_, db):
        organizations.create_group(db, name)


def drop_postgres(*catalogs):
    """The PostgreSQL organizations of a test, deleted with their databases."""
    for c in catalogs:
        for entry in c.list():
            if entry.engine == "postgres":
                organizations.delete_organization(c, entry.name)


def recover(catalog, *args, password=True):
    result = run_cli(catalog, "recover", *args, "--json",
                     env={"CHEEL_PASSWORD": PW} if password else None)
    return result.exit_code, json.loads(result.stdout)


def by_org(report) -> dict[str, dict]:
    return {o["organization"]: o for o in report["organizations"]}


@pytest.fixture
def fleet(catalog, dest):
    """Five organizations backed up to a folder, as a night's jobs leave them:
    Alpha: an older and a newer verified backup (the newer encrypted, a group added between);
    Beta: an older verified backup, then a newer one never verified (a group added between);
    Gamma: one backup, never verified;
    Delta and Epsilon: one verified backup holding both.
    Returns the catalog, and each organization's groups as its chosen backup holds them."""
    for seed, name in enumerate(["Alpha SA", "Beta AG", "Gamma Sàrl", "Delta GmbH",
                                 "Epsilon SA"], 1):
        demo(catalog, name, seed)
    files = {}
    expected = {}
    files["alpha old"] = backup(catalog, ["Alpha SA"], dest, 3)
    add_group(catalog, "Alpha SA", "Nouveau groupe")
    files["alpha new"] = backup(catalog, ["Alpha SA"], dest, 1, password=PW)
    expected["Alpha SA"] = contents(catalog, "Alpha SA")
    files["beta old"] = backup(catalog, ["Beta AG"], dest, 2)
    expected["Beta AG"] = contents(catalog, "Beta AG")
    add_group(catalog, "Beta AG", "Neue Gruppe")
    files["beta new"] = backup(catalog, ["Beta AG"], dest, 1, verify=False)
    files["gamma"] = backup(catalog, ["Gamma Sàrl"], dest, 1, verify=False)
    files["delta+epsilon"] = backup(catalog, ["Delta GmbH", "Epsilon SA"], dest, 1)
    expected["Delta GmbH"] = contents(catalog, "Delta GmbH")
    expected["Epsilon SA"] = contents(catalog, "Epsilon SA")
    return files, expected


def test_recover_all_after_a_lost_server(tmp_path, catalog, dest, fleet):
    files, expected = fleet
    lost = Catalog(tmp_path / "new-server")  # the lost server: a new, empty data folder
    organizations.create_organization(lost, "Epsilon SA")  # already made again by someone
    epsilon_before = fingerprint(lost, "Epsilon SA")
    code, report = recover(lost, str(dest), "--all")
    assert code == 1 and report["ok"] is False  # not every organization could come back
    orgs = by_org(report)
    assert list(orgs) == ["Alpha SA", "Beta AG", "Delta GmbH", "Epsilon SA", "Gamma Sàrl"]
    assert {n: o["status"] for n, o in orgs.items()} == {
        "Alpha SA": "recovered", "Beta AG": "recovered", "Delta GmbH": "recovered",
        "Epsilon SA": "skipped", "Gamma Sàrl": "failed"}
    # Alpha: the newest verified backup (encrypted: the passphrase came from CHEEL_PASSWORD)
    assert orgs["Alpha SA"]["file"] == files["alpha new"] and not orgs["Alpha SA"]["passed_over"]
    assert 86400 <= orgs["Alpha SA"]["age_seconds"] < 86400 + 600
    # Beta: its newest backup was never verified; the older verified one is used, and said so
    assert orgs["Beta AG"]["file"] == files["beta old"]
    assert orgs["Beta AG"]["passed_over"] == [{"file": files["beta new"], "why": "not verified"}]
    assert 2 * 86400 <= orgs["Beta AG"]["age_seconds"] < 2 * 86400 + 600
    # Delta: from the file it shares with Epsilon, which exists here and is left alone
    assert orgs["Delta GmbH"]["file"] == files["delta+epsilon"]
    assert orgs["Epsilon SA"]["error"]["kind"] == "AlreadyExists"
    assert "never merges" in orgs["Epsilon SA"]["error"]["message"]
    assert fingerprint(lost, "Epsilon SA") == epsilon_before
    # Gamma: no verified backup, reported and not restored
    assert orgs["Gamma Sàrl"]["error"]["kind"] == "NoVerifiedBackup"
    assert files["gamma"] in orgs["Gamma Sàrl"]["error"]["hint"]
    assert not lost.exists("Gamma Sàrl")
    # what came back is what was backed up, group by group, under the original names
    for name in ("Alpha SA", "Beta AG", "Delta GmbH"):
        o = orgs[name]
        assert o["engine"] == "sqlite" and o["rows"] > 1000 and o["seconds"] > 0
        assert lost.find(name).engine == "sqlite"
        assert contents(lost, name) == expected[name], name
    assert "Nouveau groupe" in orgs["Alpha SA"]["groups"]
    assert "Neue Gruppe" not in orgs["Beta AG"]["groups"]
    # once more: everything there is now skipped, nothing changes, exit 1
    before = {n: fingerprint(lost, n) for n in ("Alpha SA", "Beta AG", "Delta GmbH")}
    code, again = recover(lost, str(dest), "--org", "alpha sa", "--org", "Delta GmbH")
    assert code == 1
    assert [o["status"] for o in again["organizations"]] == ["skipped", "skipped"]
    assert {n: fingerprint(lost, n) for n in before} == before


def test_recover_some_and_the_human_report(tmp_path, catalog, dest, fleet):
    files, expected = fleet
    lost = Catalog(tmp_path / "new-server")
    result = run_cli(lost, "recover", str(dest), "--org", "Beta AG", "--org", "Delta GmbH",
                     "--org", "Epsilon SA")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "recovered      Beta AG" in out and "passed over the newer" in out
    assert f"from {files['beta old']}" in out and "(2 days ago)" in out
    assert "3 of 3 organization(s) recovered" in out
    assert sorted(e.name for e in lost.list()) == ["Beta AG", "Delta GmbH", "Epsilon SA"]
    for name in ("Delta GmbH", "Epsilon SA"):  # two organizations of one file, one pass
        assert contents(lost, name) == expected[name]
    # an organization no backup holds; the encrypted one without its passphrase
    code, report = recover(lost, str(dest), "--org", "Nobody AG", "--org", "Alpha SA",
                           password=False)
    assert code == 1
    orgs = by_org(report)
    assert orgs["Nobody AG"]["error"]["kind"] == "NotFound"
    assert orgs["Alpha SA"]["error"]["kind"] == "PasswordNeeded"
    assert not lost.exists("Alpha SA")
    assert run_cli(lost, "recover", str(dest)).exit_code == 2  # neither --org nor --all
    assert run_cli(lost, "recover", str(dest), "--all", "--engine", "postgres").exit_code == 2


def test_a_damaged_backup_fails_its_organization_only(tmp_path, catalog, dest):
    demo(catalog, "Alpha SA", 1)
    demo(catalog, "Beta AG", 2)
    backup(catalog, ["Alpha SA"], dest, 1)
    damaged = Path(backup(catalog, ["Beta AG"], dest, 1))  # verified, then damaged
    data = bytearray(damaged.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 8):
        data[i] ^= 0xFF
    damaged.write_bytes(bytes(data))  # same size: its record still says verified
    lost = Catalog(tmp_path / "new-server")
    code, report = recover(lost, str(dest), "--all")
    assert code == 1
    orgs = by_org(report)
    assert orgs["Alpha SA"]["status"] == "recovered"
    assert orgs["Beta AG"]["status"] == "failed"
    assert orgs["Beta AG"]["error"]["kind"] == "DamagedFile"
    assert orgs["Beta AG"]["error"]["exit_code"] == 4
    assert [e.name for e in lost.list()] == ["Alpha SA"]
    assert contents(lost, "Alpha SA") == contents(catalog, "Alpha SA")
    leftovers = [p.name for p in lost.data_dir.iterdir() if "beta" in p.name.lower()]
    assert leftovers == []  # its half-made database was thrown away


def test_dry_run_writes_nothing(tmp_path, catalog, dest, fleet):
    files, _ = fleet
    lost = Catalog(tmp_path / "new-server")
    code, report = recover(lost, str(dest), "--all", "--dry-run")
    assert code == 1 and report["dry_run"] is True  # Gamma would not come back
    orgs = by_org(report)
    assert orgs["Alpha SA"] == {**orgs["Alpha SA"], "status": "would_recover",
                                "file": files["alpha new"], "engine": "sqlite", "rows": 0}
    assert orgs["Beta AG"]["file"] == files["beta old"]
    assert orgs["Gamma Sàrl"]["status"] == "failed"
    assert not lost.data_dir.exists() or not any(lost.data_dir.iterdir())
    code, report = recover(lost, str(dest), "--org", "Delta GmbH", "--dry-run")
    assert code == 0 and report["ok"] is True
    assert lost.list() == []


def test_recover_from_s3_onto_postgresql(tmp_path, catalog, s3_endpoint, pg_url):
    where = s3_url(s3_endpoint, new_bucket(s3_endpoint))
    tag = uuid.uuid4().hex[:8]  # the server is shared: database names of this test only
    alpha, beta = f"Alpha {tag}", f"Beta {tag}"
    demo(catalog, alpha, 1)
    demo(catalog, beta, 2, postgres=f"{pg_url}/cheel_test_{tag}_src")
    lost = Catalog(tmp_path / "new-server")
    try:
        backup(catalog, [alpha], where, 3)
        backup(catalog, [alpha], where, 2, password=PW)
        expected_alpha = contents(catalog, alpha)
        backup(catalog, [beta], where, 2)
        expected_beta = contents(catalog, beta)
        add_group(catalog, beta, "Neue Gruppe")
        newest_beta = backup(catalog, [beta], where, 1, verify=False)
        code, report = recover(lost, where, "--all", "--postgres", pg_url)
        assert code == 0, report
        orgs = by_org(report)
        assert orgs[beta]["passed_over"] == [{"file": newest_beta, "why": "not verified"}]
        for name, expected in ((alpha, expected_alpha), (beta, expected_beta)):
            assert orgs[name]["status"] == "recovered" and orgs[name]["engine"] == "postgres"
            assert lost.find(name).engine == "postgres"
            assert contents(lost, name) == expected
        assert report["destination"] == where.split("?")[0]
    finally:
        drop_postgres(lost, catalog)


def test_recover_keeps_each_engine_with_original(tmp_path, catalog, dest, pg_url):
    tag = uuid.uuid4().hex[:8]
    on_pg, on_file = f"Server {tag}", f"Fichier {tag}"
    demo(catalog, on_pg, 1, postgres=f"{pg_url}/cheel_test_{tag}_src")
    demo(catalog, on_file, 2)
    backup(catalog, [on_pg, on_file], dest, 1)
    lost = Catalog(tmp_path / "new-server")
    try:
        code, report = recover(lost, str(dest), "--all", "--engine", "original",
                               "--postgres", pg_url)
        assert code == 0, report
        assert {o["organization"]: o["engine"] for o in report["organizations"]} == {
            on_pg: "postgres", on_file: "sqlite"}
        for name in (on_pg, on_file):
            assert contents(lost, name) == contents(catalog, name)
    finally:
        drop_postgres(lost, catalog)


# -- restore FILE --each-as-own-org --create ---------------------------------------------------
@pytest.fixture
def two_orgs(catalog, dest):
    demo(catalog, "Alpha SA", 1)
    demo(catalog, "Beta AG", 2)
    return Path(backup(catalog, ["Alpha SA", "Beta AG"], dest, 0, verify=False, password=PW))


def test_restore_each_as_own_org(tmp_path, catalog, two_orgs):
    other = Catalog(tmp_path / "other")
    organizations.create_organization(other, "Gamma")
    args = ["restore", str(two_orgs), "--each-as-own-org", "--create", "--json"]
    env = {"CHEEL_PASSWORD": PW}
    dry = run_cli(other, *args, "--dry-run", env=env)
    assert dry.exit_code == 0, dry.output
    assert [o["created"] for o in json.loads(dry.stdout)["organizations"]] == [False, False]
    assert sorted(e.name for e in other.list()) == ["Gamma"]
    result = run_cli(other, *args, env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and [(o["organization"], o["created"]) for o in
                             report["organizations"]] == [("Alpha SA", True), ("Beta AG", True)]
    assert sorted(e.name for e in other.list()) == ["Alpha SA", "Beta AG", "Gamma"]
    for name in ("Alpha SA", "Beta AG"):  # each its own, nothing merged
        assert contents(other, name) == contents(catalog, name)
    # again: both names are taken; refused whole before any work
    again = run_cli(other, *args, env=env)
    assert again.exit_code == 1
    assert 'Organizations named "Alpha SA", "Beta AG" already exist here.' in again.output
    # what does not go with it
    assert run_cli(other, "restore", str(two_orgs), "--each-as-own-org").exit_code == 2
    assert run_cli(other, "restore", str(two_orgs), "--each-as-own-org", "--create",
                   "--into", "X").exit_code == 2


def test_a_taken_name_is_said_in_one_or_several_and_in_the_page_language(tmp_path, catalog,
                                                                        two_orgs):
    from cheel.web import i18n

    other = Catalog(tmp_path / "other")
    organizations.create_organization(other, "Beta AG")
    options = RestoreOptions(two_orgs, "", create=True, each_as_own_org=True)
    with pytest.raises(AlreadyExists) as one:
        restore_own_orgs(other, options, unlock=lambda: PW)
    assert one.value.message == 'an organization named "Beta AG" already exists here'
    assert i18n.say(one.value.text, "fr") == \
        "Une organisation nommée « Beta AG » existe déjà ici."
    organizations.create_organization(other, "Alpha SA")
    with pytest.raises(AlreadyExists) as two:
        restore_own_orgs(other, options, unlock=lambda: PW)
    assert i18n.say(two.value.text, "de") == \
        'Hier bestehen bereits Organisationen namens "Alpha SA", "Beta AG".'


def test_an_unknown_organization_hint_when_there_is_none(tmp_path):
    from cheel.errors import NotFound
    from cheel.web import i18n

    empty = Catalog(tmp_path / "empty")
    with pytest.raises(NotFound) as none:
        empty.find("Nowhere")
    assert none.value.hint == "there are no organizations yet"
    assert i18n.say(none.value.hint_text, "fr") == "Il n'existe encore aucune organisation."
    organizations.create_organization(empty, "Alpha SA")
    with pytest.raises(NotFound) as known:
        empty.find("Nowhere")
    assert known.value.hint == "known organizations: Alpha SA"


def test_each_as_own_org_human_report_and_one_org_per_pass(tmp_path, catalog, two_orgs,
                                                           monkeypatch):
    other = Catalog(tmp_path / "other")
    monkeypatch.setattr(own, "ORGS_PER_PASS", 1)  # a pass over the file per organization
    result = run_cli(other, "restore", str(two_orgs), "--each-as-own-org", "--create",
                     env={"CHEEL_PASSWORD": PW})
    assert result.exit_code == 0, result.output
    assert 'Created "Alpha SA" on sqlite' in result.output
    assert "2 of 2 organization(s) created" in result.output
    for name in ("Alpha SA", "Beta AG"):
        assert contents(other, name) == contents(catalog, name)


def test_each_as_own_org_a_damaged_file_makes_none(tmp_path, catalog, two_orgs):
    data = bytearray(two_orgs.read_bytes())
    data[len(data) * 2 // 3] ^= 0x01
    two_orgs.write_bytes(bytes(data))
    other = Catalog(tmp_path / "other")
    result = run_cli(other, "restore", str(two_orgs), "--each-as-own-org", "--create",
                     env={"CHEEL_PASSWORD": PW})
    assert result.exit_code == 4, result.output  # said once, as restore says a damaged file
    assert other.list() == []
    assert not other.data_dir.exists() or not [
        p for p in other.data_dir.iterdir() if p.suffix in (".sqlite", ".db")]


def test_each_as_own_org_on_postgresql_one_failure_alone(tmp_path, catalog, pg_url, pg_dbname):
    """Two organizations of one file onto the server; the database one of them would get is
    taken there already: that one fails alone, the other is made in the same pass."""
    import psycopg

    tag = uuid.uuid4().hex[:8]
    alpha, beta = f"Alpha {tag}", f"Beta {tag}"
    demo(catalog, alpha, 1)
    demo(catalog, beta, 2)
    dest = tmp_path / "pg-dest"
    dest.mkdir()
    path = backup(catalog, [alpha, beta], dest, 0, verify=False)
    taken = f"cheel_{safe_name(beta).replace('-', '_')}"
    with psycopg.connect(pg_url + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{taken}"')
    other = Catalog(tmp_path / "other")
    try:
        with pytest.raises(UsageError):  # one database cannot hold two organizations
            restore_own_orgs(other, RestoreOptions(path, "", create=True, each_as_own_org=True,
                                                   postgres=f"{pg_url}/{pg_dbname()}"))
        report = restore_own_orgs(other, RestoreOptions(path, "", create=True,
                                                        each_as_own_org=True, postgres=pg_url))
        results = {r.name: r for r in report.organizations}
        assert results[alpha].made and results[alpha].engine == "postgres"
        assert not results[beta].made and isinstance(results[beta].error, AlreadyExists)
        assert not report.ok
        assert [e.name for e in other.list()] == [alpha]
        assert contents(other, alpha) == contents(catalog, alpha)
        assert database_exists(pg_url, taken)  # never replaced
    finally:
        drop_postgres(other)
        with psycopg.connect(pg_url + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{taken}" WITH (FORCE)')


def test_plan_reads_records_only(tmp_path, catalog, dest, fleet):
    """A plan opens no backup: it holds with every backup file unreadable."""
    files, _ = fleet
    for location in files.values():
        Path(location).chmod(0)
    try:
        plan = plan_recover(Catalog(tmp_path / "x"), RecoverOptions(str(dest), all=True))
        assert [o.name for o in plan.planned] == ["Alpha SA", "Beta AG", "Delta GmbH",
                                                  "Epsilon SA"]
        report = run_recover(Catalog(tmp_path / "x"), plan_recover(
            Catalog(tmp_path / "x"), RecoverOptions(str(dest), ["Delta GmbH"], dry_run=True)))
        assert report.ok and report.organizations[0].status == "would_recover"
    finally:
        for location in files.values():
            Path(location).chmod(0o600)
