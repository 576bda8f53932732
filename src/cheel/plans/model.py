"""What a backup plan is, and what one run of it did: typed, decoded once, refused whole
when malformed (msgspec), as every file cheel reads.

A plan holds no secret: a passphrase is named by the file that holds it or the command
that prints it, an SMTP password likewise; public keys are not secrets.
"""

from __future__ import annotations

import fnmatch
from typing import Annotated

import msgspec

from ..errors import Text, printable, sentence
from ..store.names import name_key

PLAN_VERSION = 1
OK, FAILED, STALE, SKIPPED = "ok", "failed", "stale", "skipped"


class Secret(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where a secret is read when it is needed: a file (its first line), or a command's
    output (its first line); never the secret itself."""

    file: str | None = None
    command: list[str] | None = None  # argv, run without a shell


class Encryption(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A passphrase (age allows it only alone) or public keys (age1…), never both."""

    passphrase: Secret | None = None
    recipients: list[str] = []
    # With recipients: the private key a run verifies the new files with. Without it the
    # machine holds nothing that decrypts them, and a run cannot verify them: they count
    # as verified once `cheel verify --identity` has run where the key is.
    identity_file: str | None = None


class Keep(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Retention rules, as ``cheel backups prune --keep-…`` (all 0: nothing pruned)."""

    last: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    @property
    def any(self) -> bool:
        return any((self.last, self.daily, self.weekly, self.monthly, self.yearly))


class Email(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One e-mail per run, over SMTP. A password is only ever sent over TLS."""

    host: str
    sender: str  # the From address ("cheel <backup@fidu.ch>")
    to: Annotated[list[str], msgspec.Meta(min_length=1)]
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 587
    starttls: bool = True  # plain connection upgraded by STARTTLS (refused if not offered)
    smtps: bool = False  # TLS from the first byte instead (port 465)
    username: str | None = None
    password: Secret | None = None
    ca_file: str | None = None  # a private CA's certificates (PEM); none: the system's
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0  # seconds, per network step


class Webhook(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A JSON POST of the run's report; any answer but 2xx is a failure."""

    url: str = ""  # http:// or https://
    # An address that carries its own token (Slack's, Teams'…) is a secret: read from a
    # file or a command at each run, then never in the plan, argv or a message
    url_secret: Secret | None = None
    token: Secret | None = None  # sent as "Authorization: Bearer …"
    ca_file: str | None = None
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0


class Notify(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email | None = None
    webhook: Webhook | None = None
    on_success: bool = False  # by default only a failed or stale run is told


class Plan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    destination: str  # a folder, s3://… or sftp://…
    organizations: list[str] = []  # their names; none and no pattern: every organization
    pattern: str | None = None  # a shell pattern on names ("Client *")
    groups: list[str] = []  # names or uids; none: every group
    encryption: Encryption = Encryption()
    keep: Keep = Keep()
    schedule: str = "daily"  # a systemd OnCalendar expression ("daily", "*-*-* 02:30")
    stale_after_hours: int = 26  # the newest verified backup older than this: an alarm
    drill_every_days: int = 0  # every organization drilled within this many days (0: none)
    notify: Notify = Notify()
    version: int = PLAN_VERSION


def covers(plan: Plan, organization: str) -> bool:
    """The plan names the organization, or its pattern matches it, or it names none (every
    organization): what a run backs up and what a drill opens."""
    if not plan.organizations and not plan.pattern:
        return True
    key = name_key(organization)
    return key in {name_key(n) for n in plan.organizations} or bool(
        plan.pattern and fnmatch.fnmatchcase(key, name_key(plan.pattern)))


class Sentence(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A sentence of the core (:func:`cheel.errors.said`) kept with its template and
    parameters, so that the web UI says a stored report in its own language."""

    template: str
    params: dict[str, str | int | float | Sentence] = {}

    @classmethod
    def of(cls, text: Text) -> Sentence:
        return cls(text.template, {
            k: cls.of(v) if isinstance(v, Text) else
            v if isinstance(v, (str, int, float)) else str(v) for k, v in text.params.items()})

    def text(self) -> Text:
        return Text(self.template, {k: v.text() if isinstance(v, Sentence) else v
                                    for k, v in self.params.items()})


class Outcome(msgspec.Struct, forbid_unknown_fields=True):
    """What a run did for one organization."""

    organization: str
    status: str  # OK, FAILED or SKIPPED (its lock was held: another run is on it)
    file: str | None = None  # the new backup's location
    size: int = 0
    seconds: float = 0.0
    verified: bool = False
    pruned: list[str] = []  # the files retention deleted
    drilled: bool | None = None  # None: no drill this run
    error_code: str | None = None  # the error's class (what the web UI translates)
    error: str | None = None  # its sentence, in English
    error_said: Sentence | None = None  # the same, for a translation (None: a plain str)

    def say(self, text: Text) -> None:
        """Keep ``text`` as the outcome's error (or note), in English and for a translation."""
        self.error, self.error_said = printable(str(text)), Sentence.of(text)


class RunReport(msgspec.Struct, forbid_unknown_fields=True):
    plan: str
    started_at: str  # ISO 8601, UTC
    finished_at: str
    seconds: float
    jobs: int
    outcomes: list[Outcome] = []
    stale: list[str] = []  # organizations whose newest verified backup is too old
    drills: int = 0  # backups drilled by this run
    notify_problems: list[str] = []  # notifications that could not be delivered, in English
    notify_problems_said: list[Sentence] = []  # the same, for a translation (older: none)

    def notified(self, problems: list[Text]) -> None:
        """Keep the notifications' problems, in English and for a translation."""
        self.notify_problems = [sentence(p) for p in problems]
        self.notify_problems_said = [Sentence.of(p) for p in problems]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.stale


def decode_plan(data: bytes) -> Plan:
    return msgspec.json.decode(data, type=Plan)


def encode(value: msgspec.Struct) -> bytes:
    return msgspec.json.format(msgspec.json.encode(value), indent=2) + b"\n"


def decode_report(data: bytes) -> RunReport:
    return msgspec.json.decode(data, type=RunReport)
