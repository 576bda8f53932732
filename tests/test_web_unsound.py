"""The web UI's restore wizard says of every refused file what verify says, in one sentence,
and never answers with a server error (issue 15)."""

from __future__ import annotations

import html
import re

import pytest

from cheel import errors
from cheel.restore import RestoreOptions, run_restore
from cheel.store import organizations
from cheel.verify import verify_backup
from cheel.web import i18n

from helpers import fingerprint
from vectors_support import cases
from web_support import client, job_id, orgs, post, server, step, wait_job  # noqa: F401

REFUSED = [c for c in cases(("v2",)) if c["expect"] not in ("ok", "WrongPassword",
                                                              "PasswordNeeded", "KeyNeeded")]
# files for public keys: the wizard asks for a private key (test_web_keys_prune.py), and a
# key that is not one of their recipients is refused on that step
FOR_KEYS = [c for c in cases(("v2",)) if c["expect"] == "KeyNeeded"]


def visible(page: str) -> str:
    """A page's text as a person reads it (tags out, entities decoded, spaces joined)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def sentence_of(catalog, case: dict) -> str:
    """What verify says of the file, in French; the command line's restore (into the
    organization, copies of the groups it holds) refuses it with the same class."""
    with pytest.raises(errors.CheelError) as verified:
        verify_backup(case["path"], case["password"])
    with pytest.raises(errors.CheelError) as info:
        run_restore(catalog, RestoreOptions(case["path"], "Fiduciaire Alpha",
                                            on_conflict="copy"), case["password"])
    assert type(info.value) is type(verified.value)
    # the wizard checks the file as verify does: verify's sentence, as the page says it
    return i18n.say(verified.value.text, "fr").rstrip(".")


@pytest.mark.parametrize("case", REFUSED, ids=[c["id"] for c in REFUSED])
def test_restore_wizard_refuses_what_verify_refuses(client, server, orgs, case):  # noqa: F811
    """Into an existing organization: the wizard checks the whole file as soon as it can
    open it, so the file or password step stops it, never a later step or the job; that
    page shows verify's sentence in the page's language; every answer is a page, never an
    HTTP 500; the organization is left as it was."""
    said = sentence_of(orgs, case)
    before = fingerprint(orgs, "Fiduciaire Alpha")
    r = client.get("/restore/new?into=Fiduciaire Alpha")
    base = str(r.url).rsplit("/", 1)[0]
    pages = [post(client, server, f"{base}/target", mode="existing", into="Fiduciaire Alpha",
                  nav="next")]
    pages.append(post(client, server, f"{base}/file", file=str(case["path"]), nav="next"))
    if step(pages[-1]) == "password":
        pages.append(post(client, server, f"{base}/password", password=case["password"],
                          nav="next"))
    if step(pages[-1]) == "groups":
        groups = re.findall(r'name="group" value="([^"]+)"', pages[-1].text)
        pages.append(post(client, server, f"{base}/groups", groups_present="1", group=groups,
                          nav="next"))
    if step(pages[-1]) == "conflicts":
        pages.append(post(client, server, f"{base}/conflicts", nav="next"))
    if step(pages[-1]) == "summary":
        pages.append(post(client, server, f"{base}/summary", nav="finish"))
        state = wait_job(client, job_id(pages[-1]))
        assert state["status"] == "failed"
        pages.append(client.get(pages[-1].url))
    assert all(p.status_code == 200 for p in pages), [p.status_code for p in pages]
    assert step(pages[-1]) in ("file", "password"), step(pages[-1])
    assert said in visible(pages[-1].text), (said, step(pages[-1]))
    assert fingerprint(orgs, "Fiduciaire Alpha") == before
    assert [e.name for e in orgs.list()] == ["Fiduciaire Alpha", "Zeta SA"]


def test_markup_and_controls_in_names_are_shown_as_text(client, server, orgs, tmp_path):  # noqa: F811
    """A backup whose group is named like markup restores through the wizard, and its name
    is shown as it is written, escaped."""
    from cheel.backup import BackupOptions, plan_backup, run_backup

    with organizations.opened(orgs, "Zeta SA") as (_, db):
        organizations.create_company(db, "<b>Gras</b> & [bold]Fett[/] SA", new_group="<i>Gruppe</i> [/]")
    dest = tmp_path / "out"
    dest.mkdir()
    path = run_backup(orgs, plan_backup(orgs, BackupOptions(["Zeta SA"], dest))).path
    r = client.get("/restore/new?into=Fiduciaire Alpha")
    base = str(r.url).rsplit("/", 1)[0]
    post(client, server, f"{base}/target", mode="existing", into="Fiduciaire Alpha", nav="next")
    r = post(client, server, f"{base}/file", file=str(path), nav="next")
    assert step(r) == "groups" and r.status_code == 200
    assert "&lt;i&gt;Gruppe&lt;/i&gt; [/]" in r.text and "<i>Gruppe</i>" not in r.text


@pytest.mark.parametrize("case", FOR_KEYS, ids=[c["id"] for c in FOR_KEYS])
def test_restore_wizard_asks_a_file_for_keys_for_its_private_key(client, server, orgs,  # noqa: F811
                                                                 case, tmp_path):
    from cheel.archive.age import x25519

    key = tmp_path / "key.txt"
    x25519.write_identity_file(key, "2026-01-01T00:00:00Z")
    r = client.get("/restore/new?into=Fiduciaire Alpha")
    base = str(r.url).rsplit("/", 1)[0]
    post(client, server, f"{base}/target", mode="existing", into="Fiduciaire Alpha", nav="next")
    r = post(client, server, f"{base}/file", file=str(case["path"]), nav="next")
    assert step(r) == "password" and 'name="identity"' in r.text
    r = post(client, server, f"{base}/password", identity=str(key), nav="next")
    assert r.status_code == 200 and step(r) == "password"
    assert "Aucune des clés privées données n'ouvre cette sauvegarde" in visible(r.text)
