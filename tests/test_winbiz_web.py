"""The WinBIZ import wizard of the web UI over HTTP (issue 17): source → fiscal years →
organization and group → summary → job → report, and a refused source said in French."""

from __future__ import annotations

import re

from cheel.store import organizations

from web_support import alert, client, job_id, orgs, post, server, step, wait_job  # noqa: F401
from winbiz_fixtures import hostile_variants, write_company


def start(client, into: str = "Zeta SA") -> str:
    r = client.get(f"/import/new?into={into}")
    assert step(r) == "source"
    return str(r.url).rsplit("/", 1)[0]


def test_import_wizard_over_http(client, server, orgs, tmp_path):
    expected = write_company(tmp_path / "src", years=(2023, 2024), lines=900)
    base = start(client)
    # a relative path, then nothing there: said on the step
    r = post(client, server, f"{base}/source", source="DAT/MUSTER", nav="next")
    assert step(r) == "source" and "chemin complet" in alert(r)
    r = post(client, server, f"{base}/source", source=str(tmp_path / "rien"), nav="next")
    assert step(r) == "source" and "n'existe pas" in alert(r)
    # what was found: the fiscal years and their entries
    r = post(client, server, f"{base}/source", source=str(expected.source), nav="next")
    assert step(r) == "found"
    for year in expected.years:
        row = re.search(rf'<tr data-year="{year.name}">(.*?)</tr>', r.text, re.S)[1]
        assert f">{year.entries:,}<".replace(",", "\u2019") in row or \
            f">{year.entries}<" in row
    r = post(client, server, f"{base}/found", years_present="1", nav="next")
    assert step(r) == "found" and "au moins un exercice" in alert(r)
    r = post(client, server, f"{base}/found", years_present="1", year="2024", nav="next")
    assert step(r) == "target"
    assert f'value="{expected.company}"' in r.text  # the company's name, from WinBIZ
    # a name already taken in the organization
    r = post(client, server, f"{base}/target", org="Zeta SA", company="Zeta SA", share="no",
             group_name="Groupe Muster", nav="next")
    assert step(r) == "target" and "existe déjà" in alert(r)
    r = post(client, server, f"{base}/target", org="Zeta SA", company=expected.company,
             share="no", group_name="Groupe Muster", nav="next")
    assert step(r) == "summary"
    assert "Groupe Muster" in r.text and "2024" in r.text and "2023" not in \
        re.search(r'data-summary="years">(.*?)</dd>', r.text, re.S)[1]
    r = post(client, server, f"{base}/summary", nav="finish")
    state = wait_job(client, job_id(r))
    assert state["status"] == "done", state
    r = client.get(r.url)
    assert "Import terminé" in r.text
    assert re.search(r'<tr data-year="2024">.*?data-balances="equal"', r.text, re.S)
    with organizations.opened(orgs, "Zeta SA") as (_, db):
        groups = {g.name: [c.name for c in g.companies] for g in organizations.list_groups(db)}
        entries = db.scalar("SELECT COUNT(*) FROM journal_entries")
    assert groups["Groupe Muster"] == [expected.company]
    assert entries == expected.year("2024").entries
    # the wizard is finished: its steps now lead to the job
    assert "/jobs/" in str(client.get(f"{base}/summary").url)


def test_a_refused_source_is_said_in_french(client, server, orgs, tmp_path):
    case = next(c for c in hostile_variants(tmp_path / "hostile") if c.id == "date_feb30")
    base = start(client)
    r = post(client, server, f"{base}/source", source=str(case.path), nav="next")
    # the quick read of the source already meets the impossible date
    assert step(r) == "source", step(r)
    said = alert(r)
    assert said.startswith("Les données WinBIZ ne peuvent pas être importées.")
    for where in case.where:
        assert where in said, (where, said)
    assert "record" not in said and "field" not in said  # French, not English
