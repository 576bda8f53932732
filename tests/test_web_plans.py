"""The backup plans page over HTTP (issue 19): each plan with what it covers, where, how it is
encrypted (never a secret: a passphrase's file is named, never read; a command is not
shown; a webhook's path is not shown), kept and scheduled, its next run and its last run;
"Lancer maintenant" runs it as a job whose page shows the report; below it every
organization's state; a broken organization fails alone, said in the page's language."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest

from cheel.demo import DemoOptions, create_demo
from cheel.plans.model import Email, Encryption, Keep, Notify, Plan, Secret, Webhook
from cheel.plans.store import plans_dir, save_plan
from cheel.store import organizations as O

from liveserver import LiveServer
from dated_backups import dated_backups
from web_support import csrf, job_id, wait_job

ORGS = ("Alpha SA", "Beta Sàrl", "Gamma AG")


@pytest.fixture
def fleet(catalog, tmp_path):
    """Three small demo organizations and a destination folder."""
    for i, name in enumerate(ORGS):
        create_demo(catalog, DemoOptions(name=name, entries=200, seed=i + 1))
    dest = tmp_path / "dest"
    dest.mkdir()
    return catalog, dest


@pytest.fixture
def client(fleet):
    catalog, _ = fleet
    with LiveServer(catalog) as server, httpx.Client(base_url=server.base, timeout=60,
                                                     follow_redirects=True) as c:
        assert c.get(server.url).status_code == 200
        c.headers["origin"] = server.base
        c.server = server
        yield c


def text_of(page: str) -> str:
    """A page's visible words, one space apart."""
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def section(page: str, plan: str) -> str:
    m = re.search(rf'<section class="plan" id="plan-{re.escape(plan)}".*?</section>', page,
                  re.S)
    assert m, f"no section for the plan {plan}"
    return m.group(0)


def fleet_rows(page: str) -> list[tuple[str, str, str]]:
    """The status table: (organization, state, the row's words), in order."""
    table = re.search(r"<table class=\"grid fleet\".*?</table>", page, re.S).group(0)
    return [(html.unescape(m.group(1)), m.group(2), text_of(m.group(3))) for m in re.finditer(
        r'<tr data-organization="([^"]*)" data-state="(\w+)">(.*?)</tr>', table, re.S)]


def states(page: str) -> dict[str, str]:
    return {name: state for name, state, _ in fleet_rows(page)}


def outcomes(page: str) -> dict[str, str]:
    return {html.unescape(m.group(1)): m.group(2) for m in re.finditer(
        r'<tr data-organization="([^"]*)" data-outcome="(\w+)">', page)}


def run_now(client, plan: str):
    r = client.post("/plans/run", data={"csrf": csrf(client.server), "plan": plan})
    assert r.status_code == 200
    return r


def test_the_page_shows_each_plan_and_never_a_secret(client, fleet, tmp_path):
    catalog, dest = fleet
    passphrase = tmp_path / "passphrase.txt"
    passphrase.write_text("hunter2-very-secret\n")
    save_plan(catalog, Plan(
        name="nightly", destination=str(dest), keep=Keep(daily=7, weekly=4),
        encryption=Encryption(passphrase=Secret(file=str(passphrase))),
        schedule="*-*-* 02:30", drill_every_days=7,
        notify=Notify(email=Email(host="smtp.example.ch", sender="cheel@example.ch",
                                  to=["office@example.ch"]),
                      webhook=Webhook("https://hooks.example.ch/T0KEN-abc?key=zz"))))
    save_plan(catalog, Plan(
        name="clients", destination=str(dest), organizations=["Alpha SA"],
        pattern="Gamma*", groups=["Groupe Alpha"], schedule="Mon *-*-* 03:00",
        encryption=Encryption(passphrase=Secret(command=["pass", "show", "cheel/s3cr3t"]))))

    r = client.get("/plans")
    assert r.status_code == 200
    assert 'href="/plans"' in r.text  # in the menu
    words = text_of(r.text)
    assert "hunter2" not in r.text and "s3cr3t" not in r.text and "pass show" not in r.text
    assert "T0KEN" not in r.text and "key=zz" not in r.text
    assert f"--data-dir {catalog.data_dir}" in words and "plan add NOM --dest" in words

    nightly = text_of(section(r.text, "nightly"))
    assert "toutes les organisations" in nightly and f"Destination {dest}" in nightly
    assert f"mot de passe — lu dans le fichier {passphrase}" in nightly
    assert "7 journalière(s), 4 hebdomadaire(s)" in nightly
    assert "chaque jour à 02:30" in nightly
    assert re.search(r"Prochaine exécution \d\d\.\d\d\.\d{4} 02:30", nightly)
    assert "au moins tous les 7 jours" in nightly
    assert "courriel à office@example.ch ; webhook vers https://hooks.example.ch" in nightly
    assert "seulement en cas d'échec ou de retard" in nightly
    assert "Dernière exécution jamais lancé" in nightly and "Lancer maintenant" in nightly

    clients = text_of(section(r.text, "clients"))
    assert "Alpha SA et celles dont le nom correspond à Gamma*" in clients
    assert "Groupes de sociétés Groupe Alpha" in clients
    assert "mot de passe — donné par une commande" in clients
    assert "Mon *-*-* 03:00" in clients and "Prochaine exécution selon systemd" in clients
    assert "aucune règle : rien n'est supprimé" in clients

    # nothing backed up yet: each organization of each plan is late (plans by name)
    rows = fleet_rows(r.text)
    assert [(name, state) for name, state, _ in rows] == [
        ("Alpha SA", "stale"), ("Gamma AG", "stale"),
        ("Alpha SA", "stale"), ("Beta Sàrl", "stale"), ("Gamma AG", "stale")]
    assert rows[0][2].startswith("EN RETARD Alpha SA clients")
    assert rows[3][2] == "EN RETARD Beta Sàrl nightly — — — Aucune sauvegarde vérifiée."

    client.cookies.set("cheel_lang", "de")
    de = client.get("/plans")
    words = text_of(de.text)
    assert "Sicherungspläne" in words and "Jetzt starten" in words
    assert "noch nie ausgeführt" in words and "gemäss systemd" in words
    assert "VERSPÄTET" in words and "Keine geprüfte Sicherung." in words
    assert "Passwort — aus der Datei gelesen" in words


def test_run_now_shows_the_report_then_every_organization_ok(client, fleet):
    catalog, dest = fleet
    save_plan(catalog, Plan(name="nightly", destination=str(dest), keep=Keep(last=3)))
    r = run_now(client, "nightly")
    jid = job_id(r)
    again = run_now(client, "nightly")  # the same run, not a second one
    assert job_id(again) == jid
    assert "Exécution du plan « nightly »" in r.text and "data-cancel" not in r.text
    state = wait_job(client, jid, timeout=120)
    assert state["status"] == "done" and state["done"] == state["total"] == 3
    assert state["text"] == "3 organisation(s) sur 3 traitée(s)"

    page = client.get(f"/jobs/{jid}")
    words = text_of(page.text)
    assert "Plan « nightly » exécuté : tout est en ordre" in words
    assert outcomes(page.text) == {name: "ok" for name in ORGS}
    assert "3 organisation(s) sauvegardée(s), 0 en échec, 0 ignorée(s), 0 en retard." in words
    assert 'href="/plans"' in page.text

    r = client.get("/plans")
    assert states(r.text) == {name: "ok" for name in ORGS}
    assert "jamais lancé" not in r.text
    assert outcomes(section(r.text, "nightly")) == {name: "ok" for name in ORGS}
    assert "Chaque organisation d'un plan est à jour." in text_of(r.text)
    assert len(list(dest.glob("*.cheelbackup"))) == 3
    # the organizations page names the running plans too: none now
    assert "opération en cours" not in client.get("/organizations").text


def test_a_broken_organization_fails_alone_said_in_german(client, fleet):
    catalog, dest = fleet
    save_plan(catalog, Plan(name="nightly", destination=str(dest)))
    broken = Path(O.location(catalog, catalog.find("Gamma AG")))
    broken.write_bytes(b"this is no database at all, just garbage " * 200)
    client.cookies.set("cheel_lang", "de")
    jid = job_id(run_now(client, "nightly"))
    assert wait_job(client, jid, timeout=120)["status"] == "done"

    page = client.get(f"/jobs/{jid}")
    words = text_of(page.text)
    assert "Plan «nightly» ausgeführt, mit Problemen" in words
    assert outcomes(page.text) == {"Alpha SA": "ok", "Beta Sàrl": "ok", "Gamma AG": "failed"}
    assert "2 Organisation(en) gesichert, 1 fehlgeschlagen" in words
    assert f"Die Datenbankdatei {broken} ist keine Datenbank mehr" in words

    r = client.get("/plans")
    assert states(r.text) == {"Alpha SA": "ok", "Beta Sàrl": "ok", "Gamma AG": "failed"}
    row = next(words for name, _, words in fleet_rows(r.text) if name == "Gamma AG")
    assert row.startswith("FEHLGESCHLAGEN Gamma AG nightly")
    assert f"Die Datenbankdatei {broken} ist keine Datenbank mehr" in row
    assert "Einige Organisationen sind nicht aktuell" in text_of(r.text)
    assert "NICHT OK" in text_of(section(r.text, "nightly"))


def test_a_notification_problem_is_said_in_the_page_language(client, fleet, tmp_path):
    catalog, dest = fleet
    missing = tmp_path / "no-token"
    save_plan(catalog, Plan(name="told", destination=str(dest), organizations=["Alpha SA"],
                            notify=Notify(webhook=Webhook(url="http://127.0.0.1:9/hook",
                                                          token=Secret(file=str(missing))),
                                          on_success=True)))
    client.cookies.set("cheel_lang", "de")
    jid = job_id(run_now(client, "told"))
    assert wait_job(client, jid, timeout=120)["status"] == "done"
    for page in (client.get(f"/jobs/{jid}").text, client.get("/plans").text):
        words = text_of(page)
        assert "Nicht alle Benachrichtigungen wurden zugestellt: Die Webhook-Benachrichtigung " \
            f"wurde nicht zugestellt: das Token des Webhooks kann nicht aus {missing} gelesen " \
            "werden" in words, words
        assert "webhook's token" not in words and "not delivered" not in words


def test_a_plan_that_cannot_start_says_why(client, fleet, tmp_path):
    catalog, dest = fleet
    save_plan(catalog, Plan(name="locked", destination=str(dest), encryption=Encryption(
        passphrase=Secret(file=str(tmp_path / "no-such-file")))))
    jid = job_id(run_now(client, "locked"))
    assert wait_job(client, jid)["status"] == "failed"
    words = text_of(client.get(f"/jobs/{jid}").text)
    assert "Le plan « locked » n'a pas pu être exécuté" in words
    assert "no-such-file" in words and "hunter" not in words
    assert list(dest.iterdir()) == []

    r = run_now(client, "gone")  # removed meanwhile: said on the plans page
    assert str(r.url).endswith("/plans/run")
    assert "Il n'existe aucun plan de sauvegarde nommé « gone »." in text_of(r.text)


def test_an_unreadable_plan_is_said_and_a_cross_site_run_refused(client, fleet):
    catalog, _ = fleet
    assert "Aucun plan de sauvegarde." in text_of(client.get("/plans").text)
    plans_dir(catalog).mkdir(parents=True, exist_ok=True)
    (plans_dir(catalog) / "broken.json").write_text('{"name": "broken"}')
    r = client.get("/plans")
    assert r.status_code == 200 and 'role="alert"' in r.text
    assert "broken.json" in text_of(r.text)
    r = client.post("/plans/run", data={"csrf": csrf(client.server), "plan": "broken"},
                    headers={"origin": "http://evil.example"})
    assert r.status_code == 403


def test_a_stale_organization_says_since_when(client, fleet):
    catalog, dest = fleet
    dated_backups(catalog, "Beta Sàrl", str(dest), 1, newest_days_ago=3)
    save_plan(catalog, Plan(name="beta", destination=str(dest), organizations=["Beta Sàrl"]))
    r = client.get("/plans")
    [(name, state, words)] = [row for row in fleet_rows(r.text) if row[0] == "Beta Sàrl"
                              and "beta" in row[2]]
    since = re.search(r"Aucune sauvegarde vérifiée depuis (\d\d\.\d\d\.\d{4} \d\d:\d\d)\.",
                      words)
    assert state == "stale" and since, words
    assert words.count(since.group(1)) == 3  # newest, newest verified, and the reason
    assert [row[1] for row in fleet_rows(r.text) if row[0] != "Beta Sàrl"] == \
        ["unplanned", "unplanned"]
    assert "2 organisation(s) dans aucun plan." in text_of(r.text)
