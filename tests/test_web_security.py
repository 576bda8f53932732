"""The web UI's redirects stay on this site: a crafted address (``//host``, ``/\\host``) must
never send the browser, with or after the token, to another site."""

from __future__ import annotations

import httpx

pytest_plugins = ["web_support"]  # its fixtures: orgs, server, client

OFF_SITE = ["//evil.example/", "///evil.example", "//evil.example/organizations",
            "/\\evil.example/", "/\\/evil.example/", "/%2F/evil.example/", "/%5Cevil.example/",
            "/%5C%5Cevil.example/"]


def stays_on_site(location: str) -> bool:
    """A Location a browser resolves against this server, not another host."""
    target = httpx.URL("http://127.0.0.1:1/").join(location)
    return (target.host == "127.0.0.1" and not location.startswith(("//", "/\\"))
            and "\\" not in location)


def raw_get(client: httpx.Client, server, raw_path: str) -> httpx.Response:
    """A GET whose request target is ``raw_path`` exactly as written."""
    url = httpx.URL(server.base).copy_with(raw_path=raw_path.encode())
    return client.get(url, follow_redirects=False)


def test_token_redirect_stays_on_this_site(server):
    with httpx.Client() as c:
        for path in OFF_SITE:
            r = raw_get(c, server, f"{path}?token={server.secrets.token}&select=x")
            if r.status_code == 400:  # the HTTP server refused the target itself
                continue
            assert r.status_code == 303, (path, r.status_code)
            location = r.headers["location"]
            assert stays_on_site(location), (path, location)
            assert location.endswith("?select=x") and "token" not in location
        r = raw_get(c, server, f"//evil.example/?token={server.secrets.token}")
        assert r.headers["location"] == "/evil.example/"
        r = raw_get(c, server, f"/organizations?token={server.secrets.token}")
        assert r.headers["location"] == "/organizations"


def test_language_switch_goes_back_only_to_this_site(client):
    for target in [*OFF_SITE, "https://evil.example/", "evil.example", "/organizations\\x"]:
        r = client.get("/lang/de", params={"next": target}, follow_redirects=False)
        assert r.status_code == 303
        location = r.headers["location"]
        assert stays_on_site(location), (target, location)
        if target.startswith("//") or "\\" in target or not target.startswith("/"):
            assert location == "/", (target, location)
    r = client.get("/lang/de", params={"next": "/organizations?select=Zeta SA"},
                   follow_redirects=False)
    assert stays_on_site(r.headers["location"])
    assert r.headers["location"].startswith("/organizations?select=Zeta")
