"""Off-site destinations in the web UI, in a real browser (issue 18): the backup wizard's
Paramètres step takes an s3:// address, "Tester la destination" says whether it can be
used (in the page's language), the backup goes there, and the page of a destination's
backups lists it; in French and in German."""

from __future__ import annotations

import pytest

from s3_server import new_bucket, s3_url
from browser_support import (BROWSER, DEMO, browser, catalog,  # noqa: F401
                             expect, org_row, page, ready, server)

pytestmark = pytest.mark.skipif(BROWSER is None, reason="chromium is not installed")

WORDS = {
    "fr": {"menu": "Sauvegarder", "next": "Suivant", "finish": "Terminer",
           "folder": "Dossier ou adresse", "test": "Tester la destination",
           "usable": "La destination est utilisable",
           "unusable": "La destination S3 s3://no-such-bucket/backups ne peut pas être utilisée",
           "done": "Sauvegarde terminée", "show": "Afficher", "verified": "pas encore",
           "count": "1 sauvegarde(s)."},
    "de": {"menu": "Sichern", "next": "Weiter", "finish": "Fertig stellen",
           "folder": "Ordner oder Adresse", "test": "Ziel testen",
           "usable": "Das Ziel ist verwendbar",
           "unusable": "Das S3-Ziel s3://no-such-bucket/backups kann nicht verwendet werden",
           "done": "Sicherung abgeschlossen", "show": "Anzeigen", "verified": "noch nicht",
           "count": "1 Sicherung(en)."},
}


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_a_backup_to_s3_from_the_wizard_then_listed(page, server, s3_endpoint,  # noqa: F811
                                                     lang):
    words = WORDS[lang]
    page.goto(f"{server.base}/lang/{lang}?next=/organizations")
    ready(page)
    org_row(page, DEMO).click(button="right")
    page.locator("#org-context-menu").get_by_role("menuitem", name=words["menu"]).click()
    for _ in range(2):
        ready(page)
        page.get_by_role("button", name=words["next"]).click()
    ready(page)
    folder = page.get_by_label(words["folder"], exact=True)

    # a bucket that does not exist: said whole in the page's language
    folder.fill(s3_url(s3_endpoint, "no-such-bucket"))
    page.get_by_role("button", name=words["test"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["unusable"])

    url = s3_url(s3_endpoint, new_bucket(s3_endpoint))
    ready(page)
    folder.fill(url)
    page.get_by_role("button", name=words["test"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["usable"])
    expect(folder).to_have_value(url)
    page.get_by_role("button", name=words["next"]).click()
    ready(page)
    page.get_by_role("button", name=words["finish"]).click()
    expect(page.locator("h2, h1").filter(has_text=words["done"]).first).to_be_visible(
        timeout=30_000)
    location = page.locator("#result-path").inner_text()
    assert location.startswith(url.split("?")[0] + "/") and ".cheelbackup?" in location
    assert page.locator("[data-reveal]").count() == 0  # no folder to open on this machine

    page.goto(f"{server.base}/backups")
    ready(page)
    page.get_by_label(words["folder"], exact=True).fill(url)
    page.get_by_role("button", name=words["show"]).click()
    rows = page.locator("[data-backups] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(DEMO)
    expect(rows.first).to_contain_text(words["verified"])
    expect(page.locator(".backups-page")).to_contain_text(words["count"])
