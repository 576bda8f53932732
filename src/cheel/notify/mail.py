"""A run's message as one plain-text e-mail (UTF-8), sent over SMTP with the standard
library: STARTTLS (or TLS from the first byte), the server's certificate checked against the
system's CAs or the plan's own, a password read from where the plan names it and only ever
sent over TLS. A failure is returned as a sentence, never raised."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, getaddresses, make_msgid

from .. import __version__
from ..errors import CheelError, Text, printable, said
from ..plans.model import Email
from ..plans.secrets import read_secret
from .message import Message, scrub


def not_sent(why: Text) -> Text:
    return said("the e-mail notification was not sent: {why}", why=why)


def build(email: Email, message: Message, host: str) -> EmailMessage:
    """The e-mail: Date, Message-ID, From, To, Subject, and the text as quoted-printable
    UTF-8 (any mail server carries it, accents included)."""
    mail = EmailMessage(policy=SMTP_POLICY)
    mail["Subject"] = message.subject
    mail["From"] = email.sender
    mail["To"] = ", ".join(email.to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid("cheel", domain=_domain(email.sender, host))
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-reply to it
    mail["X-Mailer"] = f"cheel {__version__}"
    mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
    return mail


def send_email(email: Email, message: Message, host: str) -> list[Text]:
    """Sends the message; the problems met, one sentence each (none: delivered to all)."""
    server = f"{printable(email.host)}:{email.port}"
    password = None
    try:
        context = ssl.create_default_context(cafile=email.ca_file)
    except (OSError, ssl.SSLError) as e:
        return [not_sent(said("the CA certificates cannot be read from {path} ({detail})",
                              path=printable(str(email.ca_file)), detail=_text(e)))]
    try:
        mail = build(email, message, host)
        if email.username and email.password:
            password = read_secret(email.password, said("the SMTP password"))
        if password is not None and not (email.starttls or email.smtps):
            return [not_sent(said("the SMTP password is only sent over an encrypted "
                                  "connection, and the plan asks for neither STARTTLS nor "
                                  "TLS"))]
        refused = _deliver(email, context, mail, password)
    except CheelError as e:
        return [not_sent(e.text)]
    except (smtplib.SMTPException, OSError, ValueError) as e:
        return [scrub(not_sent(_why(e, server, email.timeout)), password)]
    return [scrub(said("the e-mail notification was not delivered to {address}: the server "
                       "{server} refused it ({answer})", address=printable(to), server=server,
                       answer=_answer(code, text)), password)
            for to, (code, text) in refused.items()]


def _deliver(email: Email, context: ssl.SSLContext, mail: EmailMessage,
             password: str | None) -> dict:
    if email.smtps:
        client = smtplib.SMTP_SSL(email.host, email.port, timeout=email.timeout,
                                  context=context)
    else:
        client = smtplib.SMTP(email.host, email.port, timeout=email.timeout)
    with client:
        client.ehlo()
        if email.starttls and not email.smtps:
            if not client.has_extn("starttls"):
                raise _NotOffered("STARTTLS")
            client.starttls(context=context)
            client.ehlo()
        if password is not None:
            if not client.has_extn("auth"):
                raise _NotOffered(AUTH)
            client.login(email.username, password)
        return client.send_message(mail, from_addr=_address(email.sender),
                                   to_addrs=[_address(to) for to in email.to])


class _NotOffered(smtplib.SMTPException):
    """The server does not offer what the plan needs (STARTTLS, or AUTH)."""


AUTH = "AUTH"


def _why(e: BaseException, server: str, timeout: float) -> Text:
    """Why sending failed, in a fiduciary's words."""
    if isinstance(e, _NotOffered):
        if str(e) == AUTH:
            return said("the SMTP server {server} does not offer {extension}, which the plan "
                        "needs as it names a user and a password", server=server, extension=AUTH)
        return said("the SMTP server {server} does not offer {extension}", server=server,
                    extension=str(e))
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return said("the SMTP server {server} refused the user name or password ({answer})",
                    server=server, answer=_answer(e.smtp_code, e.smtp_error))
    if isinstance(e, smtplib.SMTPNotSupportedError):  # e.g. SMTPUTF8 for an address
        return said("the SMTP server {server} lacks an extension needed ({detail})",
                    server=server, detail=_text(e))
    if isinstance(e, smtplib.SMTPSenderRefused):
        return said("the SMTP server {server} refused the sender {sender} ({answer})",
                    server=server, sender=printable(e.sender),
                    answer=_answer(e.smtp_code, e.smtp_error))
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{printable(to)} ({_answer(code, text)})"
                            for to, (code, text) in e.recipients.items())
        return said("the SMTP server {server} refused every recipient: {refused}",
                    server=server, refused=refused)
    if isinstance(e, smtplib.SMTPResponseException):
        return said("the SMTP server {server} answered an error ({answer})", server=server,
                    answer=_answer(e.smtp_code, e.smtp_error))
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return said("the SMTP server {server} closed the connection ({detail})",
                    server=server, detail=_text(e))
    if isinstance(e, ssl.SSLCertVerificationError):
        return said("the certificate of the SMTP server {server} is not trusted ({detail}); "
                    "a private CA is named by ca_file", server=server,
                    detail=printable(e.verify_message or str(e)))
    if isinstance(e, ssl.SSLError):
        return said("the encrypted connection to the SMTP server {server} failed ({detail})",
                    server=server, detail=_text(e))
    if isinstance(e, (socket.timeout, TimeoutError)):
        return said("the SMTP server {server} did not answer within {seconds} seconds",
                    server=server, seconds=f"{timeout:g}")
    if isinstance(e, socket.gaierror):
        return said("the SMTP server's name {server} is not known ({detail})",
                    server=printable(server), detail=_text(e))
    if isinstance(e, OSError):
        return said("the SMTP server {server} cannot be reached ({detail})", server=server,
                    detail=_text(e))
    return said("the e-mail cannot be written ({detail})", detail=_text(e))


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return printable(f"{code} {' '.join(text.split())}".strip())


def _text(e: BaseException) -> str:
    return printable(getattr(e, "strerror", None) or str(e) or type(e).__name__)


def _address(text: str) -> str:
    """The bare address of "Name <a@b.ch>"."""
    found = getaddresses([text])
    return found[0][1] if found and found[0][1] else text


def _domain(sender: str, host: str) -> str:
    """The Message-ID's right side: the sender's domain (no DNS lookup of our own name)."""
    address = _address(sender)
    return address.rpartition("@")[2] or host or "localhost"
