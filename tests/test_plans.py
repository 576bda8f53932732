"""Backup plans (issue 19): stored without secrets, run unattended over SQLite and PostgreSQL
organizations, one failure not stopping the others, runs never overlapping, stale ones
found with a frozen clock, installed for the system's scheduler."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from cheel.archive.age.x25519 import write_identity_file
from cheel.backups.listing import list_backups
from cheel.demo import DemoOptions, create_demo
from cheel.plans.budget import server_budgets
from cheel.plans.model import Encryption, Keep, Plan, Secret
from cheel.plans.run import RunOptions, run_plan
from cheel.plans.status import fleet_status
from cheel.plans.store import last_reports, load_plan, save_plan
from cheel.plans.worker import run_lock

from helpers import run_cli

LOG2N = 10  # the tests' scrypt work factor (production: 18)


def _orgs(catalog, *names, pg_url=None, entries=300):
    for i, name in enumerate(names):
        create_demo(catalog, DemoOptions(name=name, entries=entries, seed=i + 1,
                                         postgres=pg_url() if pg_url else None))


def test_a_plan_is_stored_private_without_its_secrets(catalog, tmp_path):
    _orgs(catalog, "Alpha SA")
    missing = run_cli(catalog, "plan", "add", "nightly", "--dest", str(tmp_path / "b"))
    assert missing.exit_code == 1 and "does not exist" in missing.output  # an unmounted disk?
    (tmp_path / "b").mkdir()
    secret = tmp_path / "passphrase"
    secret.write_text("correct horse battery staple\n")
    smtp = tmp_path / "smtp"
    smtp.write_text("smtp-s3cret\n")
    added = run_cli(catalog, "plan", "add", "nightly", "--dest", str(tmp_path / "b"),
                    "--org", "Alpha SA", "--password-file", str(secret), "--keep-daily", "7",
                    "--email-to", "office@example.ch", "--email-from", "cheel@example.ch",
                    "--smtp-host", "127.0.0.1", "--smtp-password-file", str(smtp),
                    "--webhook", "http://127.0.0.1:9/hook", "--schedule", "*-*-* 02:30")
    assert added.exit_code == 0, added.output
    path = catalog.data_dir / "plans" / "nightly.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "horse" not in text and "s3cret" not in text and str(secret) in text
    plan = load_plan(catalog, "nightly")
    assert plan.keep == Keep(daily=7)
    assert plan.encryption.passphrase == Secret(file=str(secret))
    assert plan.notify.email.to == ["office@example.ch"] and plan.schedule == "*-*-* 02:30"

    again = run_cli(catalog, "plan", "add", "nightly", "--dest", str(tmp_path / "b"))
    assert again.exit_code != 0 and "already exists" in again.output
    typo = run_cli(catalog, "plan", "add", "other", "--dest", str(tmp_path / "b"),
                   "--org", "Alpah SA")
    assert typo.exit_code == 1 and 'no organization named "Alpah SA"' in typo.output
    both = run_cli(catalog, "plan", "add", "x", "--dest", str(tmp_path / "b"),
                   "--password-file", str(secret), "--recipient",
                   "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
    assert both.exit_code == 2 and "not both" in both.output

    path.write_text(text.replace('"schedule"', '"shedule"'))  # a hand edit gone wrong
    broken = run_cli(catalog, "plan", "show", "nightly")
    assert broken.exit_code == 2 and "cannot be read" in broken.output
    assert "Traceback" not in broken.output
    path.write_text(text)
    listed = run_cli(catalog, "plan", "list")
    assert "nightly" in listed.output and "never run" in listed.output
    assert run_cli(catalog, "plan", "remove", "nightly").exit_code == 0
    assert not path.exists()


@pytest.mark.postgres
def test_an_unknown_plan_names_the_known_ones_or_says_there_is_none(catalog, tmp_path):
    from cheel.errors import NotFound
    from cheel.web import i18n

    with pytest.raises(NotFound) as none:
        load_plan(catalog, "nightly")
    assert none.value.hint == "there are no plans yet"
    assert i18n.say(none.value.hint_text, "fr") == "Il n'existe encore aucun plan de sauvegarde."
    assert i18n.say(none.value.hint_text, "de") == "Es gibt noch keine Sicherungspläne."
    save_plan(catalog, Plan(name="weekly", destination=str(tmp_path)))
    with pytest.raises(NotFound) as one:
        load_plan(catalog, "nightly")
    assert one.value.hint == "known plans: weekly"
    assert i18n.say(one.value.hint_text, "de") == "Bekannte Sicherungspläne: weekly."


def test_a_run_backs_up_verifies_and_prunes_sqlite_and_postgres(catalog, tmp_path, pg_url,
                                                                pg_dbname):
    _orgs(catalog, "Alpha SA", "Beta Sàrl")
    create_demo(catalog, DemoOptions(name="Gamma AG", entries=300, seed=9,
                                     postgres=f"{pg_url}/{pg_dbname()}"))
    dest = tmp_path / "backups"
    dest.mkdir()
    plan = Plan(name="nightly", destination=str(dest), keep=Keep(last=1),
                encryption=Encryption(passphrase=Secret(command=["printf", "pa55phrase"])))
    save_plan(catalog, plan)
    first = run_plan(catalog, RunOptions(plan, jobs=2, log2n=LOG2N))
    assert sorted(o.organization for o in first.outcomes) == ["Alpha SA", "Beta Sàrl",
                                                              "Gamma AG"]
    assert all(o.status == "ok" and o.verified for o in first.outcomes), first.outcomes
    assert first.ok and first.stale == []
    listed = list_backups(str(dest))
    assert len(listed) == 3 and all(b.record.verified and b.record.encrypted for b in listed)

    runs = [first]
    for _ in range(2):
        time.sleep(1.1)  # a backup's time is to the second: the next run is a later one
        runs.append(run_plan(catalog, RunOptions(plan, jobs=2, log2n=LOG2N)))
    # The first backup of each organization is kept by the legal floor (the first after
    # the end of each past fiscal year), the newest by --keep-last 1: the second goes
    assert all(o.pruned == [] for o in runs[1].outcomes), runs[1].outcomes
    second_files = {o.organization: o.file.rsplit("/", 1)[-1] for o in runs[1].outcomes}
    for outcome in runs[2].outcomes:
        assert outcome.pruned == [second_files[outcome.organization]], outcome
    assert len(list_backups(str(dest))) == 6
    reports = last_reports(catalog, "nightly", 5)
    assert [r.started_at for r in reports] == [r.started_at for r in reversed(runs)]
    status = fleet_status(catalog)
    assert status.ok and {o.state for o in status.organizations} == {"ok"}


def test_one_failure_does_not_stop_the_others(catalog, tmp_path):
    _orgs(catalog, "Alpha SA", "Beta Sàrl", "Gamma AG")
    beta = catalog.find("Beta Sàrl")
    (catalog.data_dir / beta.location).write_bytes(b"this is no longer a database" * 100)
    dest = tmp_path / "backups"
    dest.mkdir()
    assert run_cli(catalog, "plan", "add", "nightly", "--dest", str(dest)).exit_code == 0
    result = run_cli(catalog, "plan", "run", "nightly", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    by_name = {o["organization"]: o for o in report["outcomes"]}
    assert by_name["Beta Sàrl"]["status"] == "failed" and by_name["Beta Sàrl"]["error"]
    assert "Traceback" not in by_name["Beta Sàrl"]["error"]
    assert by_name["Alpha SA"]["status"] == by_name["Gamma AG"]["status"] == "ok"
    assert report["stale"] == ["Beta Sàrl"]
    (text,) = (catalog.data_dir / "plans" / "runs" / "nightly").glob("*.txt")
    assert "Failed (1):\n- Beta Sàrl: " in text.read_text()  # the report, for people

    status = run_cli(catalog, "status", "--json")
    assert status.exit_code == 1
    states = {o["organization"]: o["state"] for o in json.loads(status.output)["organizations"]}
    assert states == {"Alpha SA": "ok", "Beta Sàrl": "failed", "Gamma AG": "ok"}
    human = run_cli(catalog, "status")
    assert "FAILED    Beta Sàrl" in human.output and "1 organization(s) not OK" in human.output


def test_runs_never_overlap_on_an_organization(catalog, tmp_path):
    _orgs(catalog, "Alpha SA", "Beta Sàrl")
    plan = Plan(name="nightly", destination=str(tmp_path / "backups"))
    (tmp_path / "backups").mkdir()
    with run_lock(catalog, "Alpha SA") as held:  # another run is on it
        assert held
        report = run_plan(catalog, RunOptions(plan, jobs=2))
    by_name = {o.organization: o for o in report.outcomes}
    assert by_name["Alpha SA"].status == "skipped" and by_name["Beta Sàrl"].status == "ok"
    assert len(list_backups(str(tmp_path / "backups"))) == 1


def test_stale_against_a_frozen_clock_and_public_keys(catalog, tmp_path):
    _orgs(catalog, "Alpha SA", "Beta Sàrl")
    for folder in ("b", "b1", "b2"):
        (tmp_path / folder).mkdir()
    identity = write_identity_file(tmp_path / "key.txt", "2026-12-06T00:00:00+00:00")
    keys = Encryption(recipients=[str(identity.recipient)])
    blind = Plan(name="blind", destination=str(tmp_path / "b1"), organizations=["Alpha SA"],
                 encryption=keys, stale_after_hours=26)
    save_plan(catalog, blind)
    report = run_plan(catalog, RunOptions(blind))
    assert report.outcomes[0].status == "ok" and not report.outcomes[0].verified
    assert report.stale == ["Alpha SA"]  # a backup nobody verified protects nobody yet

    keyed = Plan(name="keyed", destination=str(tmp_path / "b2"), organizations=["Beta Sàrl"],
                 encryption=Encryption(recipients=keys.recipients,
                                       identity_file=str(tmp_path / "key.txt")),
                 stale_after_hours=26)
    save_plan(catalog, keyed)
    report = run_plan(catalog, RunOptions(keyed))
    assert report.outcomes[0].verified and report.ok
    now = datetime.now(timezone.utc)
    states = {o.organization: o.state for o in fleet_status(catalog, now=now).organizations}
    assert states == {"Alpha SA": "stale", "Beta Sàrl": "ok"}
    later = fleet_status(catalog, "keyed", now=now + timedelta(hours=27))
    assert [o.state for o in later.organizations] == ["stale"] and not later.ok
    assert "no verified backup since" in later.organizations[0].reason


@pytest.mark.postgres
def test_a_server_budget_leaves_connections_free(catalog, pg_url, pg_dbname):
    import psycopg

    create_demo(catalog, DemoOptions(name="Delta SA", entries=50,
                                     postgres=f"{pg_url}/{pg_dbname()}"))
    budgets = server_budgets(catalog.list())
    ((_, budget),) = budgets.items()
    with psycopg.connect(pg_url + "/postgres") as conn:
        total = int(conn.execute("SHOW max_connections").fetchone()[0])
    assert 1 <= budget < total


def test_installed_schedules_run_the_plan(catalog, tmp_path):
    _orgs(catalog, "Alpha SA")
    (tmp_path / "b").mkdir()
    assert run_cli(catalog, "plan", "add", "nightly", "--dest", str(tmp_path / "b"),
                   "--schedule", "*-*-* 02:30").exit_code == 0
    cron = run_cli(catalog, "plan", "install", "nightly", "--print", "--cron")
    assert cron.exit_code == 0
    line = cron.output.strip().splitlines()[0]
    assert line.startswith("30 2 * * * ") and line.endswith("# cheel plan nightly")
    units = run_cli(catalog, "plan", "install", "nightly", "--print",
                    env={"XDG_CONFIG_HOME": str(tmp_path / "config")})
    if "OnCalendar" in units.output:  # systemd runs here
        assert "OnCalendar=*-*-* 02:30" in units.output and "Persistent=true" in units.output
        command = next(x for x in units.output.splitlines() if x.startswith("ExecStart="))
        command = command[len("ExecStart="):]
    else:
        command = line[len("30 2 * * * "):line.index(" # cheel plan")]
    assert not (tmp_path / "config").exists()  # --print installs nothing
    argv = shlex.split(command)
    assert argv[1:] == ["--data-dir", str(catalog.data_dir.resolve()), "plan", "run",
                        "nightly"]
    env = {k: v for k, v in os.environ.items() if k != "CHEEL_DATA_DIR"}
    # what the scheduler will run, run as it will: another process, no terminal
    done = subprocess.run(argv, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 of 1 organization(s) backed up" in done.stdout
    assert last_reports(catalog, "nightly")[0].ok


def test_a_failed_run_is_told_once_by_email_and_webhook(catalog, tmp_path):
    """A run where one organization fails and one is stale sends exactly one e-mail and
    one webhook POST (real local receivers), naming exactly those; a good run sends none."""
    from notify_servers import HttpReceiver, smtp_server

    _orgs(catalog, "Alpha SA", "Beta Sàrl", "Gamma AG")
    (tmp_path / "b").mkdir()
    with smtp_server() as (port, handler), HttpReceiver() as hook:
        added = run_cli(catalog, "plan", "add", "nightly", "--dest", str(tmp_path / "b"),
                        "--email-to", "office@example.ch", "--email-from", "cheel@example.ch",
                        "--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--no-starttls",
                        "--webhook", hook.url())
        assert added.exit_code == 0, added.output
        good = run_cli(catalog, "plan", "run", "nightly")
        assert good.exit_code == 0, good.output
        assert handler.received == [] and hook.posted == []

        beta = catalog.find("Beta Sàrl")
        (catalog.data_dir / beta.location).write_bytes(b"no longer a database" * 100)
        bad = run_cli(catalog, "plan", "run", "nightly")
        assert bad.exit_code == 1
        assert len(handler.received) == 1 and len(hook.posted) == 1
        mail = handler.received[0].message
        assert "1 of 3 organizations failed" in mail["Subject"]
        body = mail.get_content()
        assert "Beta Sàrl" in body and "Alpha SA" not in body.split("Failed")[1][:200]
        posted = json.loads(hook.posted[0].body)
        assert [o["organization"] for o in posted["outcomes"] if o["status"] == "failed"] \
            == ["Beta Sàrl"]
        assert posted["stale"] == [] and posted["ok"] is False  # verified a minute ago


def test_a_plan_drills_what_is_due(catalog, tmp_path):
    """A plan that drills every 7 days drills each organization's new backup on its first
    run (into a throwaway, recorded beside the backup), and status shows when."""
    _orgs(catalog, "Alpha SA", "Beta Sàrl")
    (tmp_path / "b").mkdir()
    plan = Plan(name="nightly", destination=str(tmp_path / "b"), drill_every_days=7)
    save_plan(catalog, plan)
    report = run_plan(catalog, RunOptions(plan))
    assert report.drills == 2 and report.ok
    assert all(o.drilled for o in report.outcomes), report.outcomes
    drilled = [b.record.last_drilled_at for b in list_backups(str(tmp_path / "b"))]
    assert all(drilled)
    status = fleet_status(catalog, "nightly")
    assert sorted(o.newest_drilled for o in status.organizations) == sorted(drilled)


def test_a_webhook_address_with_its_token_stays_out_of_the_plan(catalog, tmp_path):
    """An address that carries a token (Slack's, Teams') is read from a file at each run:
    never in the plan, argv or the report; the receiver gets the POST."""
    from notify_servers import HttpReceiver

    _orgs(catalog, "Alpha SA")
    (tmp_path / "b").mkdir()
    with HttpReceiver() as hook:
        secret = tmp_path / "hook-url"
        secret.write_text(hook.url("/services/T000/B000/s3cr3tT0ken") + "\n")
        token = tmp_path / "hook-token"
        token.write_text("bearer-s3cr3t\n")
        added = run_cli(catalog, "plan", "add", "nightly", "--dest", str(tmp_path / "b"),
                        "--webhook-file", str(secret), "--webhook-token-file", str(token),
                        "--notify-success")
        assert added.exit_code == 0, added.output
        stored = (catalog.data_dir / "plans" / "nightly.json").read_text()
        assert "s3cr3t" not in stored and str(secret) in stored
        shown = run_cli(catalog, "plan", "show", "nightly")
        assert "s3cr3t" not in shown.output
        ran = run_cli(catalog, "plan", "run", "nightly", "--json")
        assert ran.exit_code == 0, ran.output
        assert "s3cr3t" not in ran.output
        (posted,) = hook.posted
        assert posted.path == "/services/T000/B000/s3cr3tT0ken"
        assert posted.headers["Authorization"] == "Bearer bearer-s3cr3t"
    both = run_cli(catalog, "plan", "add", "x", "--dest", str(tmp_path / "b"),
                   "--webhook", "http://127.0.0.1:9/", "--webhook-file", str(secret))
    assert both.exit_code == 2 and "one of them" in both.output
