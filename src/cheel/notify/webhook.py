"""A run's report as one JSON POST: the report as the plan files write it, plus ``ok``, a
``summary`` sentence, the ``host`` and the message's plain ``text``. Any answer but 2xx is a
failure (a redirect too: it would turn the POST into a GET), said as a sentence, never
raised. A sentence names the receiver by its scheme, host and port only: a webhook's path
often holds its token."""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from http import HTTPStatus
from urllib.parse import urlsplit

import msgspec

from .. import __version__
from ..errors import CheelError, Text, printable, said
from ..plans.model import RunReport, Webhook
from ..plans.secrets import read_secret
from .message import Message, scrub



def not_sent(why: Text) -> Text:
    return said("the webhook notification was not delivered: {why}", why=why)


def payload(report: RunReport, message: Message, host: str,
            newest_verified: Mapping[str, str | None] | None = None) -> bytes:
    body = msgspec.to_builtins(report)
    body.update(ok=report.ok, summary=message.summary, host=host, text=message.body)
    if newest_verified is not None:
        body["newest_verified"] = {name: newest_verified.get(name) for name in report.stale
                                   if name in newest_verified}
    return msgspec.json.encode(body)


def post(webhook: Webhook, data: bytes) -> list[Text]:
    """POSTs ``data``; the problems met, one sentence each (none: the receiver took it)."""
    url, token = webhook.url, None
    if webhook.url_secret is not None:
        try:
            url = read_secret(webhook.url_secret, said("the webhook's address"))
        except CheelError as e:
            return [not_sent(e.text)]
    receiver = _receiver(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [not_sent(said("its address {receiver} is not an http:// or https:// URL",
                              receiver=receiver))]
    try:
        if webhook.token is not None:
            token = read_secret(webhook.token, said("the webhook's token"))
        context = ssl.create_default_context(cafile=webhook.ca_file)
        opener = urllib.request.build_opener(_NoRedirect(),
                                             urllib.request.HTTPSHandler(context=context))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": f"cheel/{__version__}"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=data, headers=headers,
                                         method="POST")
        with opener.open(request, timeout=webhook.timeout) as answer:
            answer.read(1 << 16)
            status = answer.status
    except CheelError as e:
        return [not_sent(e.text)]
    except urllib.error.HTTPError as e:
        status = e.code
        e.close()
    except (OSError, http.client.HTTPException, ValueError) as e:
        return [scrub(not_sent(_why(e, receiver, webhook)), token)]
    if 200 <= status < 300:
        return []
    phrase = _phrase(status)
    return [not_sent(said("{receiver} answered HTTP {status} ({phrase}), not a success",
                          receiver=receiver, status=status, phrase=phrase) if phrase else
                     said("{receiver} answered HTTP {status}, not a success",
                          receiver=receiver, status=status))]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx answer stays an answer, and counts as a failure


def _why(e: BaseException, receiver: Text | str, webhook: Webhook) -> Text:
    reason = getattr(e, "reason", None)  # URLError wraps the socket's error
    cause = reason if isinstance(reason, BaseException) else e
    if isinstance(cause, ssl.SSLCertVerificationError):
        return said("the certificate of {receiver} is not trusted ({detail}); a private CA "
                    "is named by ca_file", receiver=receiver,
                    detail=printable(cause.verify_message or str(cause)))
    if isinstance(cause, TimeoutError):
        return said("{receiver} did not answer within {seconds} seconds", receiver=receiver,
                    seconds=f"{webhook.timeout:g}")
    if isinstance(cause, FileNotFoundError) and webhook.ca_file:
        return said("the CA certificates cannot be read from {path}",
                    path=printable(webhook.ca_file))
    if isinstance(cause, http.client.HTTPException):
        return said("{receiver} gave no valid HTTP answer ({detail})", receiver=receiver,
                    detail=type(cause).__name__)
    text = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
    return said("{receiver} cannot be reached ({detail})", receiver=receiver,
                detail=printable(str(text)))


def _receiver(url: str) -> Text | str:
    """The receiver as a sentence names it: scheme, host and port, no path, no user."""
    try:
        parts = urlsplit(url)
        where = parts.hostname or ""
        if ":" in where:
            where = f"[{where}]"
        if parts.port:
            where += f":{parts.port}"
    except ValueError:
        return said("(an unreadable address)")
    return printable(f"{parts.scheme}://{where}") if parts.scheme else \
        said("(an unreadable address)")


def _phrase(status: int) -> str:
    """The status's standard reason phrase (HTTP's own words, not translated)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
