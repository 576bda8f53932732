"""Notifications of a run (cheel.notify), against real receivers started by the tests on
127.0.0.1: an SMTP server (STARTTLS with a throwaway self-signed certificate, AUTH with the
password read from a file) and an HTTP receiver. One message per run listing exactly the
failed and stale organizations; nothing for a good run unless asked; a receiver that is down
or refuses gives one sentence per problem, never an exception, never the password."""

from __future__ import annotations

import json

import msgspec
import pytest
from notify_servers import (HttpReceiver, closed_port, self_signed, server_context,
                            smtp_server)

from cheel import notify
from cheel.errors import sentence
from cheel.plans.model import Email, Notify, Outcome, RunReport, Secret, Webhook
from cheel.web import i18n

PASSWORD = "Tr0ub4dor&3-never-shown"
USER = "backup@fidu.ch"
HOST = "srv-fidu"
FAILED = {"Müller Treuhand SA": "the database server cannot be reached (connection refused)",
          "Zürich Immobilien AG": "the destination cannot be written: disk full"}
STALE = "Genève Sàrl"
GOOD = ["Bäckerei Kälin GmbH", "Client Bern AG", "Hôtel du Lac SA"]


def report(failed=FAILED, stale=(STALE,)) -> RunReport:
    outcomes = [Outcome(name, "ok", file=f"/backups/{i}.cheelbackup", size=5_000_000 * (i + 1),
                        seconds=2.5, verified=True) for i, name in enumerate(GOOD)]
    outcomes += [Outcome(name, "failed", error_code="DatabaseUnreachable", error=why)
                 for name, why in failed.items()]
    outcomes += [Outcome(STALE, "skipped")] if stale else []
    return RunReport("nightly", "2026-03-02T01:30:00+00:00", "2026-03-02T01:41:03+00:00",
                     663.0, 2, outcomes, list(stale))


NEWEST = {STALE: "2026-02-27T01:35:00+00:00"}


def notify_run(*args, **kwargs) -> list[str]:
    """The run's notification problems as its report keeps them: English sentences."""
    return [sentence(p) for p in notify.notify_run(*args, **kwargs)]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "smtp-password"
    path.write_text(PASSWORD + "\n", "utf-8")
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def smtp(certificate):
    with smtp_server(server_context(*certificate), login=(USER, PASSWORD)) as server:
        yield server


def email_to(port: int, certificate, password_file: str, **more) -> Email:
    return Email(host="127.0.0.1", port=port, sender=f"cheel <{USER}>",
                 to=["it@fidu.ch", "chef@fidu.ch"], username=USER,
                 password=Secret(file=password_file), ca_file=str(certificate[0]), **more)


def listed(body: str) -> set[str]:
    """The organizations a message lists, one "- NAME: …" line each."""
    return {line[2:].split(":")[0] for line in body.splitlines() if line.startswith("- ")}


def test_one_email_and_one_post_list_exactly_the_failed_and_stale(smtp, certificate,
                                                                  password_file):
    port, handler = smtp
    with HttpReceiver() as hook:
        notify = Notify(email=email_to(port, certificate, password_file),
                        webhook=Webhook(url=hook.url()))
        problems = notify_run(notify, report(), host=HOST, newest_verified=NEWEST)
        assert problems == []
        assert len(handler.received) == 1 and len(hook.posted) == 1

    got = handler.received[0]
    assert got.tls and got.login == USER  # upgraded by STARTTLS, then authenticated
    assert got.mail_from == USER and sorted(got.rcpt_tos) == ["chef@fidu.ch", "it@fidu.ch"]
    mail = got.message
    assert mail["Subject"] == ("cheel: plan nightly on srv-fidu — 2 of 6 organizations "
                               "failed, 1 stale")
    assert mail["From"] == f"cheel <{USER}>" and mail["To"] == "it@fidu.ch, chef@fidu.ch"
    assert mail["Date"] and mail["Message-ID"].endswith("@fidu.ch>")
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    assert listed(body) == {*FAILED, STALE}
    assert not any(name in body for name in GOOD)  # the others are counted, not named
    for name, why in FAILED.items():
        assert f"- {name}: {why}." in body
    assert f"- {STALE}: its newest verified backup is 3 days old" in body
    assert "The other 3 organizations backed up and verified: 28.6 MiB in all" in body
    assert PASSWORD.encode() not in got.raw

    posted = hook.posted[0]
    assert posted.headers["Content-Type"].startswith("application/json")
    data = json.loads(posted.body)
    assert data["plan"] == "nightly" and data["host"] == HOST and data["ok"] is False
    assert data["summary"] == "plan nightly on srv-fidu — 2 of 6 organizations failed, 1 stale"
    assert data["stale"] == [STALE]
    assert {o["organization"] for o in data["outcomes"] if o["status"] == "failed"} == \
        set(FAILED)
    assert data["newest_verified"] == NEWEST
    assert listed(data["text"]) == {*FAILED, STALE}
    assert PASSWORD not in posted.body.decode()


def test_a_good_run_is_told_only_when_asked(smtp, certificate, password_file):
    port, handler = smtp
    good = report(failed={}, stale=())
    with HttpReceiver() as hook:
        quiet = Notify(email=email_to(port, certificate, password_file),
                       webhook=Webhook(url=hook.url()))
        assert notify_run(quiet, good, host=HOST) == []
        assert handler.received == [] and hook.posted == []

        loud = Notify(email=quiet.email, webhook=quiet.webhook, on_success=True)
        assert notify_run(loud, good, host=HOST) == []
        assert len(handler.received) == 1 and len(hook.posted) == 1
    mail = handler.received[0].message
    assert mail["Subject"] == "cheel: plan nightly on srv-fidu — all 3 backed up and verified"
    assert listed(mail.get_content()) == set()
    assert json.loads(hook.posted[0].body)["ok"] is True


def test_a_dead_smtp_server_and_a_failing_webhook_are_two_sentences(password_file,
                                                                     certificate):
    with closed_port() as dead, HttpReceiver(status=500) as hook:
        port = dead.getsockname()[1]
        notify = Notify(email=email_to(port, certificate, password_file),
                        webhook=Webhook(url=hook.url("/hook/t0ken-in-the-path")))
        problems = notify_run(notify, report(), host=HOST)
    assert len(problems) == 2, problems
    mail, web = problems
    assert mail.startswith("The e-mail notification was not sent: the SMTP server "
                           f"127.0.0.1:{port} cannot be reached")
    assert web == (f"The webhook notification was not delivered: http://127.0.0.1:"
                   f"{hook.port} answered HTTP 500 (Internal Server Error), not a success.")
    assert len(hook.posted) == 1  # tried once
    assert not any(PASSWORD in p or "t0ken" in p for p in problems)


def test_a_refused_password_is_said_without_it(certificate, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not-" + PASSWORD, "utf-8")
    with smtp_server(server_context(*certificate), login=(USER, PASSWORD)) as (port, handler):
        problems = notify_run(Notify(email=email_to(port, certificate, str(wrong))), report(),
                              host=HOST)
    assert len(problems) == 1 and handler.received == []
    assert "refused the user name or password (535" in problems[0]
    assert PASSWORD not in problems[0]


def test_an_unreadable_password_file_is_said(smtp, certificate, tmp_path):
    port, handler = smtp
    problems = notify_run(Notify(email=email_to(port, certificate, str(tmp_path / "none"))),
                          report(), host=HOST)
    assert len(problems) == 1 and handler.received == []
    assert problems[0].startswith("The e-mail notification was not sent: the SMTP password "
                                  "cannot be read from")


def test_a_problem_is_said_whole_in_the_page_language(smtp, certificate, tmp_path):
    port, _handler = smtp
    missing = str(tmp_path / "none")
    problem, = notify.notify_run(Notify(email=email_to(port, certificate, missing)), report(),
                                 host=HOST)
    french, german = i18n.say(problem, "fr"), i18n.say(problem, "de")
    assert french.startswith("La notification par e-mail n'a pas été envoyée : impossible de "
                             "lire le mot de passe SMTP depuis "), french
    assert german.startswith("Die E-Mail-Benachrichtigung wurde nicht gesendet: das "
                             "SMTP-Passwort kann nicht aus "), german
    for said in (french, german):
        assert missing in said and "SMTP password" not in said and "not sent" not in said
    hook = notify.notify_run(Notify(webhook=Webhook(url="file:///etc/passwd")), report(),
                             host=HOST)
    assert i18n.say(hook[0], "de") == ("Die Webhook-Benachrichtigung wurde nicht zugestellt: "
                                       "die Adresse des Webhooks file:// ist keine http://- "
                                       "oder https://-URL.")


def test_an_untrusted_certificate_stops_before_the_password(smtp, certificate, password_file):
    port, handler = smtp
    email = msgspec.structs.replace(email_to(port, certificate, password_file),
                                    ca_file=None)  # the system's CAs only
    problems = notify_run(Notify(email=email), report(), host=HOST)
    assert len(problems) == 1 and handler.received == []
    assert "the certificate of the SMTP server 127.0.0.1" in problems[0]
    assert "is not trusted" in problems[0]


def test_no_starttls_offered_no_password_sent(password_file, certificate):
    with smtp_server() as (port, handler):  # plain SMTP, no TLS at all
        problems = notify_run(Notify(email=email_to(port, certificate, password_file)),
                              report(), host=HOST)
        assert problems == [f"The e-mail notification was not sent: the SMTP server "
                            f"127.0.0.1:{port} does not offer STARTTLS."]
        clear = email_to(port, certificate, password_file, starttls=False)
        problems = notify_run(Notify(email=clear), report(), host=HOST)
        assert len(problems) == 1 and "only sent over an encrypted connection" in problems[0]
        assert handler.received == []
        # Without a password, plain SMTP (a relay on the machine) is the plan's choice.
        relay = Email(host="127.0.0.1", port=port, sender=USER, to=["it@fidu.ch"],
                      starttls=False)
        assert notify_run(Notify(email=relay), report(), host=HOST) == []
        assert len(handler.received) == 1 and not handler.received[0].tls


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # it is TLS
def test_tls_from_the_first_byte(certificate, password_file):
    context = server_context(*certificate)
    with smtp_server(context, implicit=True, login=(USER, PASSWORD)) as (port, handler):
        email = email_to(port, certificate, password_file, smtps=True)
        assert notify_run(Notify(email=email), report(), host=HOST) == []
    assert len(handler.received) == 1 and handler.received[0].login == USER


def test_a_refused_recipient_is_said_and_the_others_get_it(certificate, password_file):
    with smtp_server(server_context(*certificate), login=(USER, PASSWORD),
                     refuse={"chef@fidu.ch"}) as (port, handler):
        problems = notify_run(Notify(email=email_to(port, certificate, password_file)),
                              report(), host=HOST)
    assert [r.rcpt_tos for r in handler.received] == [["it@fidu.ch"]]
    assert problems == [f"The e-mail notification was not delivered to chef@fidu.ch: the "
                        f"server 127.0.0.1:{port} refused it (550 5.1.1 No such mailbox "
                        f"here)."]


def test_webhook_token_redirect_and_timeout(tmp_path):
    token = tmp_path / "token"
    token.write_text("hook-s3cret\n", "utf-8")
    with HttpReceiver() as hook:
        notify = Notify(webhook=Webhook(url=hook.url(), token=Secret(file=str(token))))
        assert notify_run(notify, report(), host=HOST) == []
        assert hook.posted[0].headers["Authorization"] == "Bearer hook-s3cret"
    with HttpReceiver(status=302) as hook:  # followed, the POST would become a GET
        problems = notify_run(Notify(webhook=Webhook(url=hook.url())), report(), host=HOST)
        assert len(hook.posted) == 1
        assert problems == [f"The webhook notification was not delivered: http://127.0.0.1:"
                            f"{hook.port} answered HTTP 302 (Found), not a success."]
    with HttpReceiver(delay=2) as hook:
        slow = Notify(webhook=Webhook(url=hook.url(), timeout=0.3))
        problems = notify_run(slow, report(), host=HOST)
        assert problems == [f"The webhook notification was not delivered: http://127.0.0.1:"
                            f"{hook.port} did not answer within 0.3 seconds."]
    problems = notify_run(Notify(webhook=Webhook(url="file:///etc/passwd")), report(),
                          host=HOST)
    assert problems == ["The webhook notification was not delivered: its address file:// "
                        "is not an http:// or https:// URL."]
