"""Planning a backup: which organizations and groups, where, under which name. Writes
nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..archive.age import ScryptRecipient
from ..archive.age.x25519 import BadKey, X25519Recipient
from ..destinations import Destination, is_url, open_destination
from ..destinations.base import EXTENSION
from ..errors import NotFound, UsageError, said
from ..store.catalog import Catalog, OrgEntry, safe_name
from ..store.organizations import GroupInfo, find_group, list_groups, open_database



@dataclass
class BackupOptions:
    """What to back up and where. ``groups`` (names or uids) only with one organization."""

    organizations: list[str]
    dest: Path | str
    groups: list[str] = field(default_factory=list)
    password: str | None = None
    recipients: list[str] = field(default_factory=list)  # age X25519 public keys (age1…)
    # Threads (and connections) reading the database besides the writer. A plan's run backs
    # up organizations side by side and gives each one: 100 PostgreSQL organizations of
    # 10,000 lines, 2 at a time, took 11.5 s with 2 each and 9.4 s with 1 (the server's
    # CPU spent on connections and idle backends went to the backups instead).
    readers: int = 2  # snapshot_reader.HELPERS
    log2n: int = 18  # scrypt work factor; production never lowers it (the tests' CLI
    # fixture lowers this last default)

    @property
    def encrypted(self) -> bool:
        return bool(self.password or self.recipients)


@dataclass
class OrgSelection:
    entry: OrgEntry
    groups: list[GroupInfo]


@dataclass
class BackupPlan:
    options: BackupOptions
    selections: list[OrgSelection]
    filename: str
    destination: Destination

    @property
    def dest(self) -> Path | str:
        """The destination as a user gave it: a folder (absolute), or a URL."""
        url = self.destination.url
        return url if is_url(url) else Path(url)

    @property
    def summary(self) -> dict:
        return {
            "organizations": [s.entry.name for s in self.selections],
            "groups": [g.name for s in self.selections for g in s.groups],
            "companies": [c.name for s in self.selections for g in s.groups for c in g.companies],
            "destination": self.destination.location(self.filename),
            "encrypted": self.options.encrypted,
        }


def both_password_and_recipients() -> UsageError:
    return UsageError(said("a backup is encrypted either with a password or for public keys, "
                           "not both (the age format allows a password only alone)"),
                      hint=said("drop the password, or the recipients"))


def encryption_recipients(options: BackupOptions) -> list:
    """Who will open the file: its passphrase, or its X25519 public keys (never both: age
    allows a passphrase only as a file's sole recipient)."""
    if options.password and options.recipients:
        raise both_password_and_recipients()
    if options.password:
        return [ScryptRecipient(options.password, options.log2n)]
    recipients = []
    for text in options.recipients:
        try:
            recipients.append(X25519Recipient.parse(text))
        except BadKey as e:
            raise UsageError(said('"{recipient}" is not an age public key ({why})',
                                  recipient=text[:80], why=str(e))) from None
    return recipients


def plan_backup(catalog: Catalog, options: BackupOptions,
                now: datetime | None = None) -> BackupPlan:
    """Check the options and resolve names; nothing is written."""
    if not options.organizations:
        raise UsageError(said("choose at least one organization to back up"))
    if options.groups and len(options.organizations) > 1:
        raise UsageError(
            said("groups can be chosen only when one organization is backed up"),
            hint=said("with several organizations every group of each is included; drop --group or "
                      "back up one organization"))
    encryption_recipients(options)  # refused now, before any work, if one is wrong
    destination = open_destination(options.dest)
    destination.check()  # before any work
    seen: set[str] = set()
    selections = []
    for name in options.organizations:
        entry = catalog.find(name)
        if entry.name in seen:
            raise UsageError(said('the organization "{name}" is named twice', name=entry.name))
        seen.add(entry.name)
        db = open_database(catalog, entry)
        try:
            if options.groups:
                groups = []
                for key in options.groups:
                    g = find_group(db, key)
                    if all(x.id != g.id for x in groups):
                        groups.append(g)
            else:
                groups = list_groups(db)
        finally:
            db.close()
        selections.append(OrgSelection(entry, groups))
    if not any(s.groups for s in selections):
        raise NotFound(said('the organization "{name}" has no company group to back up',
                            name=selections[0].entry.name) if len(selections) == 1
                       else said("these organizations have no company group to back up"))
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return BackupPlan(options, selections, f"{file_stem(selections)}_{stamp}{EXTENSION}",
                      destination)


def own_file_prefix(organization: str) -> str:
    """How the name of a backup of ``organization`` alone begins (see :func:`file_stem`)."""
    return f"{safe_name(organization)[:40]}_"


def file_stem(selections: list[OrgSelection]) -> str:
    """The organizations a file holds, as its name says them: each one's name in ASCII,
    joined with "+"; past three, the first two and how many more ("a+b+4-more")."""
    names = [safe_name(s.entry.name)[:40] for s in selections]
    if len(names) > 3:
        names = names[:2] + [f"{len(names) - 2}-more"]
    return "+".join(names)
