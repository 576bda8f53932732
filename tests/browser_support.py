"""What the browser tests share: the system Chromium driven by Playwright, a live server over
a catalog with two organizations, and helpers that read the pages as a person does.
Screenshots go to docs/screenshots/ when CHEEL_SCREENSHOTS=1 (to refresh the README's
pictures), else to a temporary folder so that a test run leaves the work tree clean."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from cheel.store import organizations
from cheel.store.catalog import Catalog

CHROMIUM = "/usr/bin/chromium"
SHOTS = (Path(__file__).resolve().parents[1] / "docs" / "screenshots"
         if os.environ.get("CHEEL_SCREENSHOTS") == "1"
         else Path(tempfile.gettempdir()) / "cheel-screenshots")
DEMO = "Fiduciaire Démo SA"
OTHER = "Zeta Conseils Sàrl"
PASSWORD = "Sel-et-poivre 2024"

# each browser test module: pytestmark = BROWSER
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


from liveserver import LiveServer  # noqa: E402


def make_orgs(catalog: Catalog) -> None:
    """A demo organization (three groups, one holding three companies) and a second one."""
    try:
        from cheel.demo import DemoOptions, create_demo
    except ImportError:  # the demo generator is not there yet: a smaller, hand-made one
        create_demo = None
    if create_demo is not None:
        create_demo(catalog, DemoOptions(name=DEMO, entries=500))
    else:
        organizations.create_organization(catalog, DEMO)
        with organizations.opened(catalog, DEMO) as (_, db):
            organizations.create_company(db, "Atelier Keller GmbH")
            organizations.create_company(db, "Boulangerie Favre Sàrl")
            organizations.create_company(db, "Helvetia Holding SA", new_group="Groupe Helvetia")
            organizations.create_company(db, "Helvetia Services SA", group="Groupe Helvetia")
    organizations.create_organization(catalog, OTHER, ["de", "fr"])
    with organizations.opened(catalog, OTHER) as (_, db):
        organizations.create_company(db, "Zeta Conseils Sàrl")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Catalog:
    cat = Catalog(tmp_path_factory.mktemp("web") / "data")
    make_orgs(cat)
    return cat


@pytest.fixture(scope="module")
def server(catalog):
    with LiveServer(catalog) as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1180, "height": 760}, locale="fr-CH")
    context.set_default_timeout(20_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(server.url)  # the token sets the cookie; later navigation needs no token
    yield pg
    context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture(scope="module")
def state() -> dict:
    """What one test leaves for the next (the backup made by following the article)."""
    return {}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def ready(page) -> None:
    """The page's script has set up its handlers (context menus, pickers, …)."""
    expect(page.locator("html[data-ready]")).to_be_attached()


def step_title(page):
    return page.locator(".step-title")


def open_menu(page, *path: str, screenshot: str | None = None) -> None:
    """Menu bar: Fichier → … (submenus opened by clicking their titles)."""
    page.get_by_role("button", name="Fichier", exact=True).click()
    for name in path[:-1]:
        page.locator(".menu").get_by_role("menuitem", name=name, exact=True).click()
    item = page.locator(".menu").get_by_role("menuitem", name=path[-1], exact=True)
    expect(item).to_be_visible()
    if screenshot:
        item.hover()
        shot(page, screenshot)
    item.click()
    page.wait_for_load_state()


def org_row(page, name: str):
    return page.locator("#organizations tbody tr", has=page.locator("td.name", has_text=name))
