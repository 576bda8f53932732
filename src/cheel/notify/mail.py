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
from ..errors import CheelError, printable
from ..plans.model import Email
from ..plans.secrets import read_secret
from .message import Message, scrub

NOT_SENT = "The e-mail notification was not sent"


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


def send_email(email: Email, message: Message, host: str) -> list[str]:
    """Sends the message; the problems met, one sentence each (none: delivered to all)."""
    server = f"{printable(email.host)}:{email.port}"
    password = None
    try:
        context = ssl.create_default_context(cafile=email.ca_file)
    except (OSError, ssl.SSLError) as e:
        return [f"{NOT_SENT}: the CA certificates cannot be read from "
                f"{printable(str(email.ca_file))} ({_text(e)})."]
    try:
        mail = build(email, message, host)
        if email.username and email.password:
            password = read_secret(email.password, "the SMTP password")
        if password is not None and not (email.starttls or email.smtps):
            return [f"{NOT_SENT}: the SMTP password is only sent over an encrypted "
                    f"connection, and the plan asks for neither STARTTLS nor TLS."]
        refused = _deliver(email, context, mail, password)
    except CheelError as e:
        return [f"{NOT_SENT}: {e.message}"]
    except (smtplib.SMTPException, OSError, ValueError) as e:
        return [scrub(f"{NOT_SENT}: {_why(e, server, email.timeout)}", password)]
    return [scrub(f"The e-mail notification was not delivered to {printable(to)}: the "
                   f"server {server} refused it ({_answer(code, text)}).", password)
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
                raise _NotOffered("AUTH (the plan names a user and a password)")
            client.login(email.username, password)
        return client.send_message(mail, from_addr=_address(email.sender),
                                   to_addrs=[_address(to) for to in email.to])


class _NotOffered(smtplib.SMTPException):
    """The server does not offer what the plan needs."""


def _why(e: BaseException, server: str, timeout: float) -> str:
    """Why sending failed, in a fiduciary's words."""
    if isinstance(e, _NotOffered):
        return f"the SMTP server {server} does not offer {e}."
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return (f"the SMTP server {server} refused the user name or password "
                f"({_answer(e.smtp_code, e.smtp_error)}).")
    if isinstance(e, smtplib.SMTPNotSupportedError):  # e.g. SMTPUTF8 for an address
        return f"the SMTP server {server} lacks an extension needed ({_text(e)})."
    if isinstance(e, smtplib.SMTPSenderRefused):
        return (f"the SMTP server {server} refused the sender {printable(e.sender)} "
                f"({_answer(e.smtp_code, e.smtp_error)}).")
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{printable(to)} ({_answer(code, text)})"
                            for to, (code, text) in e.recipients.items())
        return f"the SMTP server {server} refused every recipient: {refused}."
    if isinstance(e, smtplib.SMTPResponseException):
        return (f"the SMTP server {server} answered an error "
                f"({_answer(e.smtp_code, e.smtp_error)}).")
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return f"the SMTP server {server} closed the connection ({_text(e)})."
    if isinstance(e, ssl.SSLCertVerificationError):
        return (f"the certificate of the SMTP server {server} is not trusted "
                f"({printable(e.verify_message or str(e))}); a private CA is named by "
                f"ca_file.")
    if isinstance(e, ssl.SSLError):
        return f"the encrypted connection to the SMTP server {server} failed ({_text(e)})."
    if isinstance(e, (socket.timeout, TimeoutError)):
        return f"the SMTP server {server} did not answer within {timeout:g} seconds."
    if isinstance(e, socket.gaierror):
        return f"the SMTP server's name {printable(server)} is not known ({_text(e)})."
    if isinstance(e, OSError):
        return f"the SMTP server {server} cannot be reached ({_text(e)})."
    return f"the e-mail cannot be written ({_text(e)})."


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
