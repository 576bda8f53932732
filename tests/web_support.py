"""What the web UI tests share: two small organizations, a live server on them, an HTTP
client holding its token, and helpers to post forms and follow wizards and jobs."""

from __future__ import annotations

import html
import re
import time

import httpx
import pytest

from cheel.store import organizations as O

from liveserver import LiveServer


@pytest.fixture
def orgs(catalog):
    a = O.create_organization(catalog, "Fiduciaire Alpha")
    with O.opened(catalog, a.name) as (_, db):
        O.create_company(db, "Alpha Holding SA", new_group="Groupe Alpha")
        O.create_company(db, "Alpha Services SA", group="Groupe Alpha")
        O.create_company(db, "Boulangerie Favre Sàrl")
    O.create_organization(catalog, "Zeta SA")
    with O.opened(catalog, "Zeta SA") as (_, db):
        O.create_company(db, "Zeta SA")
    return catalog


@pytest.fixture
def server(orgs):
    with LiveServer(orgs) as s:
        yield s


@pytest.fixture
def client(server):
    """A client that opened the URL with the token (so it holds the cookie)."""
    with httpx.Client(base_url=server.base, follow_redirects=True, timeout=30) as c:
        r = c.get(server.url)
        assert r.status_code == 200
        c.headers["origin"] = server.base
        yield c


def csrf(server) -> str:
    return server.secrets.csrf


def post(client, server, url: str, **data):
    return client.post(url, data={"csrf": csrf(server), **data})


def step(r) -> str:
    """The wizard step the response shows (from its URL)."""
    return str(r.url).rsplit("/", 1)[-1]


def alert(r) -> str:
    m = re.search(r'<div class="message (?:error|info)" role="alert"[^>]*>(.*?)</div>', r.text, re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))).strip() \
        if m else ""


def wait_job(client, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"/api/jobs/{job_id}").json()
        if state["status"] != "running":
            return state
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)


def job_id(r) -> str:
    m = re.search(r"/jobs/([\w-]+)$", str(r.url))
    assert m, f"not on a job page: {r.url}"
    return m.group(1)
