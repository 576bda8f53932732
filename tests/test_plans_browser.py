"""The backup plans page in a real browser (issue 19): reached from the menu, a plan never run,
"Lancer maintenant", the report with each organization OK and the status table OK (French);
then an organization whose SQLite file was overwritten with garbage fails alone, with its
reason, in German."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheel.demo import DemoOptions, create_demo
from cheel.plans.model import Keep, Plan
from cheel.plans.store import save_plan
from cheel.store import organizations
from cheel.store.catalog import Catalog

from browser_support import (BROWSER, browser, expect, open_menu, page, ready,  # noqa: F401
                             server, shot)

pytestmark = BROWSER

ORGS = ("Alpha SA", "Beta Sàrl", "Gamma AG")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Catalog:
    """Three small demo organizations and a plan of them all, never run."""
    root = tmp_path_factory.mktemp("plans")
    cat = Catalog(root / "data")
    for i, name in enumerate(ORGS):
        create_demo(cat, DemoOptions(name=name, entries=200, seed=i + 1))
    (root / "dest").mkdir()
    save_plan(cat, Plan(name="nightly", destination=str(root / "dest"), keep=Keep(daily=7),
                        schedule="*-*-* 02:30"))
    return cat


def report_row(pg, name: str):
    return pg.locator(f'[data-outcomes] tr[data-organization="{name}"]')


def fleet_row(pg, name: str):
    return pg.locator(f'[data-fleet] tr[data-organization="{name}"]')


def test_run_a_plan_from_its_page(page, server):  # noqa: F811
    page.goto(f"{server.base}/organizations")
    ready(page)
    open_menu(page, "Nouveau", "Plans de sauvegarde")
    expect(page.locator("h1")).to_have_text("Plans de sauvegarde")
    plan = page.locator('[data-plan="nightly"]')
    expect(plan.locator('[data-fact="last-run"]')).to_have_text("jamais lancé")
    expect(plan.locator('[data-fact="schedule"]')).to_have_text("chaque jour à 02:30")
    expect(plan.locator('[data-fact="next-run"]')).to_contain_text("02:30")
    for name in ORGS:
        expect(fleet_row(page, name)).to_contain_text("EN RETARD")
    shot(page, "plans-never-run.png")

    plan.get_by_role("button", name="Lancer maintenant").click()
    title = page.locator(".step-title")
    expect(title).to_have_text("Plan « nightly » exécuté : tout est en ordre", timeout=90_000)
    for name in ORGS:
        expect(report_row(page, name)).to_have_attribute("data-outcome", "ok")
        expect(report_row(page, name).locator(".state")).to_have_text("OK")
    expect(page.locator("[data-counts]")).to_have_text(
        "3 organisation(s) sauvegardée(s), 0 en échec, 0 ignorée(s), 0 en retard.")
    shot(page, "plans-report.png")

    page.get_by_role("link", name="Voir les plans et l'état des organisations").click()
    ready(page)
    for name in ORGS:
        expect(fleet_row(page, name)).to_have_attribute("data-state", "ok")
        expect(fleet_row(page, name).locator(".state")).to_have_text("OK")
    expect(plan.locator('[data-fact="last-run"]')).not_to_have_text("jamais lancé")
    expect(plan.locator("[data-run-state]")).to_have_text("OK")


def test_a_broken_organization_fails_alone_in_german(page, server, catalog):  # noqa: F811
    broken = Path(organizations.location(catalog, catalog.find("Gamma AG")))
    broken.write_bytes(b"garbage, not a database " * 400)
    page.goto(f"{server.base}/lang/de?next=/plans")
    ready(page)
    expect(page.locator("h1")).to_have_text("Sicherungspläne")
    plan = page.locator('[data-plan="nightly"]')
    expect(plan.locator('[data-fact="schedule"]')).to_have_text("täglich um 02:30")
    plan.get_by_role("button", name="Jetzt starten").click()
    expect(page.locator(".step-title")).to_have_text("Plan «nightly» ausgeführt, mit Problemen",
                                                     timeout=90_000)
    expect(report_row(page, "Alpha SA")).to_have_attribute("data-outcome", "ok")
    expect(report_row(page, "Beta Sàrl")).to_have_attribute("data-outcome", "ok")
    gamma = report_row(page, "Gamma AG")
    expect(gamma).to_have_attribute("data-outcome", "failed")
    expect(gamma.locator(".state")).to_have_text("FEHLGESCHLAGEN")
    expect(gamma.locator(".reason")).to_contain_text(
        f"Die Datenbankdatei {broken} ist keine Datenbank mehr")
    expect(page.locator("[data-run-state]")).to_have_text("NICHT OK")

    page.get_by_role("link", name="Schliessen").click()  # back to the plans
    ready(page)
    expect(page.locator("h1")).to_have_text("Sicherungspläne")
    row = fleet_row(page, "Gamma AG")
    expect(row).to_have_attribute("data-state", "failed")
    expect(row.locator(".state")).to_have_text("FEHLGESCHLAGEN")
    expect(row.locator(".reason")).to_contain_text("ist keine Datenbank mehr")
    expect(fleet_row(page, "Alpha SA").locator(".state")).to_have_text("OK")
    for header in ("Stand", "Organisation", "Letzte Sicherung", "Letzte geprüfte",
                   "Letzter Wiederherstellungstest", "Grund"):
        expect(page.locator("[data-fleet] thead")).to_contain_text(header)
    page.locator("[data-fleet]").scroll_into_view_if_needed()
    shot(page, "plans-failed-de.png")
