"""Telling someone what an unattended run did: one message per run (never one per
organization), by e-mail and/or a webhook, when something failed or went stale, or after
every run if the plan asks. A notification that cannot be delivered never stops or crashes
the run: its problems come back as sentences for the run's report."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import Text
from ..plans.model import Notify, RunReport
from .mail import build, send_email
from .message import Message, compose
from .webhook import payload, post

__all__ = ["Message", "build", "compose", "notify_run", "payload", "post", "send_email"]


def notify_run(notify: Notify, report: RunReport, *, host: str,
               newest_verified: Mapping[str, str | None] | None = None) -> list[Text]:
    """Sends the run's message where ``notify`` says, if the run failed or something is
    stale, or ``notify.on_success``. Returns the problems met, one sentence each, said
    (:func:`cheel.errors.said`) so that the web UI translates them (empty: delivered, or
    nothing to send); never raises for a delivery failure.

    ``newest_verified`` (optional): organization → when its newest verified backup was made
    (ISO 8601; None: it has none), so that the message says how old a stale one's is."""
    if report.ok and not notify.on_success:
        return []
    if notify.email is None and notify.webhook is None:
        return []
    message = compose(report, host, newest_verified)
    problems: list[Text] = []
    if notify.email is not None:
        problems += send_email(notify.email, message, host)
    if notify.webhook is not None:
        problems += post(notify.webhook, payload(report, message, host, newest_verified))
    return problems
