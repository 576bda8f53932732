"""What a run's notification says, in a fiduciary's terms: a subject that counts what went
wrong, then every failed organization with its error, every stale one with the age of its
newest verified backup, and one line for all the others. Plain text, the same words for the
e-mail and the webhook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from ..errors import Text, printable
from ..plans.model import FAILED, OK, SKIPPED, RunReport


@dataclass(frozen=True)
class Message:
    summary: str  # one line: "plan nightly on srv — 2 of 100 organizations failed, 1 stale"
    body: str  # plain text, lines ending in "\n"

    @property
    def subject(self) -> str:
        return f"cheel: {self.summary}"


def compose(report: RunReport, host: str,
            newest_verified: Mapping[str, str | None] | None = None) -> Message:
    """The message of one run. ``newest_verified`` maps an organization to when its newest
    verified backup was made (ISO 8601; None: it has none); the age of a stale organization's
    backup is said when it is known."""
    failed = report.failed
    failed_names = {o.organization for o in failed}
    stale = [name for name in report.stale if name not in failed_names]
    ok = [o for o in report.outcomes if o.status == OK]
    skipped = [o for o in report.outcomes if o.status == SKIPPED]
    others = [o for o in report.outcomes if o.status not in (OK, FAILED, SKIPPED)]
    ages = _Ages(report.finished_at, newest_verified)

    summary = f"plan {_name(report.plan)} on {_name(host)} — {_counts(report, len(stale))}"
    lines = [f"Plan {_name(report.plan)} on {_name(host)}: run from "
             f"{_when(report.started_at)} to {_when(report.finished_at)} "
             f"({duration(report.seconds)}, {report.jobs} at a time).", ""]
    if failed:
        lines.append(f"Failed ({len(failed)}):")
        for o in failed:
            why = printable(o.error) if o.error else "no reason was recorded"
            late = ages.said(o.organization) if o.organization in report.stale else ""
            lines.append(f"- {_name(o.organization)}: {_sentence(why)}"
                         + (f" Also stale: {late}." if late else ""))
        lines.append("")
    if stale:
        lines.append(f"Stale ({len(stale)}): no verified backup as recent as the plan "
                     "requires.")
        for name in stale:
            late = ages.said(name)
            lines.append(f"- {_name(name)}" + (f": {late}." if late else ""))
        lines.append("")
    lines.append(_others_line(ok, failed or stale))
    if skipped:
        names = ", ".join(_name(o.organization) for o in skipped)
        lines.append(f"Skipped, another run was backing them up ({len(skipped)}): {names}.")
    for o in others:
        lines.append(f"{_name(o.organization)}: {_name(o.status)}.")
    return Message(summary, "\n".join(lines) + "\n")


def _counts(report: RunReport, stale: int) -> str:
    total = len(report.outcomes)
    failed = len(report.failed)
    organizations = "organization" if total == 1 else "organizations"
    if failed:
        text = f"{failed} of {total} {organizations} failed"
        return text + (f", {stale} stale" if stale else "")
    if stale:
        return f"{stale} of {total} {organizations} stale" if total >= stale else \
            f"{stale} stale"
    if not total:
        return "no organization to back up"
    done = sum(1 for o in report.outcomes if o.status == OK)
    verified = sum(1 for o in report.outcomes if o.status == OK and o.verified)
    what = "backed up and verified" if verified == done else \
        f"backed up, {done - verified} not verified"
    if done == total:
        return f"all {total} {what}"
    return f"{done} of {total} {organizations} {what}, {total - done} skipped"


def _others_line(ok: list, something_wrong: bool) -> str:
    if not ok:
        return "No organization was backed up." if something_wrong else \
            "Nothing else to report."
    size = sum(o.size for o in ok)
    seconds = sum(o.seconds for o in ok)
    verified = sum(1 for o in ok if o.verified)
    pruned = sum(len(o.pruned) for o in ok)
    drilled = sum(1 for o in ok if o.drilled)
    head = "The other" if something_wrong else "All"
    what = "backed up and verified" if verified == len(ok) else \
        f"backed up ({len(ok) - verified} not verified)"
    count = plural(len(ok), "organization")
    text = (f"{head} {count} {what}: {human_size(size)} in all, "
            f"{duration(seconds)} of backing up")
    if drilled:
        text += f", {drilled} drilled"
    if pruned:
        text += f", {plural(pruned, 'old backup')} deleted by retention"
    return text + "."


class _Ages:
    """How old an organization's newest verified backup was when the run ended."""

    def __init__(self, finished_at: str, newest: Mapping[str, str | None] | None):
        self.now = _moment(finished_at) or datetime.now(timezone.utc)
        self.newest = newest or {}

    def said(self, name: str) -> str:
        if name not in self.newest:
            return ""
        when = self.newest[name]
        moment = _moment(when) if when else None
        if moment is None:
            return "it has no verified backup at all"
        hours = round(max(0.0, (self.now - moment).total_seconds() / 3600))
        age = plural(hours, "hour") if hours < 48 else plural(round(hours / 24), "day")
        return f"its newest verified backup is {age} old (made {_when(when)})"


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _when(text: str) -> str:
    """An ISO 8601 moment in this machine's time zone, to the minute."""
    moment = _moment(text)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z") if moment else _name(text)


def _name(text: str) -> str:
    """A name as a message shows it: one line, control characters escaped."""
    return printable(text)


def scrub(sentence: Text, secret: str | None) -> Text:
    """A last guard: whatever a server echoed, a secret is never in a sentence (nor in any
    part of it)."""
    if not secret:
        return sentence
    return Text(sentence.template, {
        k: scrub(v, secret) if isinstance(v, Text) else
        v.replace(secret, "***") if isinstance(v, str) else v for k, v in sentence.params.items()})


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def human_size(n: float) -> str:
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    unit = 0
    while n >= 1024 and unit < len(units) - 1:
        n, unit = n / 1024, unit + 1
    return f"{n:.0f} B" if unit == 0 else f"{n:.1f} {units[unit]}"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
