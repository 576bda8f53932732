"""The web wizards' state, kept on the server: what each step answered so far.

The pages are in ``backup_wizard`` and ``restore_wizard``. Each step is a form posted with
``nav`` = back / next / finish; the server keeps the answers here, checks them with the core
(``plan_backup``, ``inspect_backup``, ``plan_restore``), and redirects to the next step or
shows the core's error on the same step. Terminer starts a background job and leads to its
progress page. This module also holds what both wizards' pages share: the step lists, the
store of this run's wizards, and the redirect and "expired" answers.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..archive.age import Unlocker
from ..archive.manifest import GroupDecl, Manifest, OrganizationDecl
from ..backup import BackupOptions
from ..errors import UsageError, said
from ..restore import COPY, FAIL, REPLACE, SKIP, RestoreOptions
from ..store.engines import POSTGRES, SQLITE
from ..verify import BackupInfo
from ..winbiz import ImportOptions, SourceInfo
from .i18n import N_
from .render import render
from .unlocking import IDENTITY

BACKUP_STEPS = [("organizations", N_("Organisations")),
                ("groups", N_("Groupes de sociétés")),
                ("settings", N_("Paramètres")),
                ("end", N_("Fin"))]
RESTORE_STEPS = [("target", N_("Organisation cible")),
                 ("file", N_("Fichier de sauvegarde")),
                 ("password", N_("Mot de passe")),
                 ("groups", N_("Groupes de sociétés")),
                 ("conflicts", N_("Conflits")),
                 ("summary", N_("Fin"))]
IMPORT_STEPS = [("source", N_("Données WinBIZ")),
                ("found", N_("Exercices")),
                ("target", N_("Organisation et groupe")),
                ("summary", N_("Fin"))]
ACTIONS = {"new": N_("Nouveau groupe"), REPLACE: N_("Remplacer"), COPY: N_("Copie"),
           SKIP: N_("Ignorer")}
DECISIONS = (REPLACE, COPY, SKIP)
DEFAULT_DECISION = COPY  # keeps what the target holds; the user may choose replace
# a step's handler: (request, wizard, step) → the response
StepHandler = Callable[[Request, object, str], Awaitable[Response]]


@dataclass
class BackupWizard:
    orgs: list[str]
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    groups: dict[str, list[str]] = field(default_factory=dict)  # org → selected group uids
    dest: str = ""
    password: str = ""
    confirm: str = ""
    now: datetime | None = None  # the file's time stamp, fixed at the end step
    job: str | None = None  # once Terminer started it
    starting: bool = False  # Terminer is being handled (a double click starts one job)

    def skipped_steps(self) -> set[str]:
        """The group step is shown only when one organization is chosen."""
        return set() if len(self.orgs) == 1 else {"groups"}

    def selected_groups(self, all_uids: list[str]) -> list[str]:
        chosen = self.groups.get(self.orgs[0]) if len(self.orgs) == 1 else None
        return all_uids if chosen is None else [u for u in all_uids if u in chosen]

    def options(self) -> BackupOptions:
        """The core's options; the groups chosen count only with one organization."""
        groups: list[str] = []
        if len(self.orgs) == 1 and self.orgs[0] in self.groups:
            groups = list(self.groups[self.orgs[0]])
            if not groups:  # an empty list would mean "all" to the core
                raise UsageError(said("choose at least one company group to back up"))
        return BackupOptions(organizations=list(self.orgs), dest=self.dest, groups=groups,
                             password=self.password or None)


@dataclass
class RestoreWizard:
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    mode: str = "existing"  # existing | new
    into: str = ""
    new_name: str = ""
    engine: str = SQLITE
    pg_url: str = ""
    file: str = ""  # a path, or an address (s3://, sftp://)
    lock: str = ""  # what opens the file: "" (not encrypted), PASSWORD or IDENTITY
    identity: str = ""  # the path of the identity file last given (never its contents)
    # Opens the file for this wizard (its file key, once the password or private key was
    # right); neither is kept, and a password is never written back into a page.
    unlocker: Unlocker | None = None
    info: BackupInfo | None = None  # the file's manifest, size, encryption, once read
    # The whole file is read through every rule as soon as it can be opened (a job), so
    # the wizard never leads a user through the steps of a file it cannot restore.
    check_job: str | None = None
    checked: bool = False
    groups: list[str] | None = None  # selected uids; None: all
    conflicts: list[dict] = field(default_factory=list)
    decisions: dict[str, str] = field(default_factory=dict)
    job: str | None = None
    starting: bool = False

    def skipped_steps(self) -> set[str]:
        """No password for an unencrypted file; no conflicts for a new organization, nor
        when the chosen groups clash with nothing in the target."""
        skipped = set()
        if self.manifest is not None and not self.encrypted:
            skipped.add("password")
        if self.mode == "new" or (self.manifest is not None and not self.conflicts
                                  and self.groups is not None):
            skipped.add("conflicts")
        return skipped

    @property
    def encrypted(self) -> bool:
        return bool(self.lock)

    def steps(self) -> list[tuple[str, str]]:
        """The step bar's steps: the password step is the private key's for a file
        encrypted for public keys."""
        if self.lock != IDENTITY:
            return RESTORE_STEPS
        return [(k, N_("Clé privée") if k == "password" else label)
                for k, label in RESTORE_STEPS]

    @property
    def target(self) -> str:
        return self.new_name if self.mode == "new" else self.into

    @property
    def manifest(self) -> Manifest | None:
        return self.info.manifest if self.info else None

    def all_keys(self) -> list[str]:
        """One key per group of the backup: "ORG_INDEX:UID" (a uid may be in two orgs)."""
        orgs = self.manifest.organizations if self.manifest else []
        return [group_key(o, g) for o in orgs for g in o.groups]

    def core_keys(self, keys: list[str]) -> list[str]:
        """The core's names for these groups: the uid, or ORG/GROUP when the uid is not
        unique in the backup."""
        orgs = self.manifest.organizations if self.manifest else []
        uids = [g.uid for o in orgs for g in o.groups]
        return [g.uid if uids.count(g.uid) == 1 else f"{o.name}/{g.name}"
                for o in orgs for g in o.groups if group_key(o, g) in keys]

    def options(self, on_conflict: str = FAIL, decisions: dict | None = None) -> RestoreOptions:
        keys = self.all_keys()
        chosen = keys if self.groups is None else [k for k in keys if k in self.groups]
        return RestoreOptions(
            file=self.file, into=self.target, create=self.mode == "new",
            postgres=self.pg_url.strip() if self.mode == "new" and self.engine == POSTGRES
            else None,
            groups=[] if chosen == keys else self.core_keys(chosen), on_conflict=on_conflict,
            decisions=dict(self.decisions if decisions is None else decisions))


@dataclass
class ImportWizard:
    """A WinBIZ import: the source, what it holds, the fiscal years chosen, where the new
    company goes (its own new group, or sharing an existing group's data)."""

    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    source: str = ""
    info: SourceInfo | None = None
    years: list[str] | None = None  # None: all
    into: str = ""
    company: str = ""
    share: str = "no"  # "yes": join ``group``; "no": a new group named ``group_name``
    group: str = ""
    group_name: str = ""
    group_name_edited: str = ""
    job: str | None = None
    starting: bool = False

    def skipped_steps(self) -> set[str]:
        return set()

    def chosen_years(self) -> list[str]:
        names = [y.name for y in self.info.years] if self.info else []
        return names if self.years is None else [y for y in names if y in self.years]

    def options(self, dry_run: bool = False) -> ImportOptions:
        share = self.share == "yes"
        return ImportOptions(self.source, self.into, group=self.group if share else None,
                             new_group=None if share else self.group_name.strip(),
                             company=self.company, years=self.chosen_years(),
                             dry_run=dry_run)


def group_key(org: OrganizationDecl, group: GroupDecl) -> str:
    return f"{org.index}:{group.uid}"


class WizardStore:
    """Wizards of this run, by id (thread-safe; the oldest are forgotten past ``keep``)."""

    def __init__(self, keep: int = 200):
        self._items: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()
        self.keep = keep

    def add(self, wiz):
        with self._lock:
            self._items[wiz.id] = wiz
            while len(self._items) > self.keep:
                self._items.popitem(last=False)
        return wiz

    def get(self, wid: str, kind: type):
        with self._lock:
            wiz = self._items.get(wid)
        return wiz if isinstance(wiz, kind) else None


def step_list(defs, current: str, skipped: set[str]) -> list[dict]:
    """The step bar: each step's key and label, and whether it is current, skipped or done."""
    keys = [k for k, _ in defs]
    pos = keys.index(current) if current in keys else len(keys)
    return [{"key": k, "label": label, "current": k == current, "skipped": k in skipped,
             "done": i < pos and k not in skipped} for i, (k, label) in enumerate(defs)]


def step_route(kind: type, steps: list[tuple[str, str]], answer: StepHandler,
               open_step: StepHandler) -> Callable[[Request], Awaitable[Response]]:
    """The route of one kind of wizard's steps (``/…/{wid}/{step}``): a wizard or step this
    run does not know is expired, a wizard whose job started leads to the job, a POST is
    ``answer``ed and a GET ``open_step``ed, both with the wizard and the step."""

    async def route(request: Request) -> Response:
        wiz = request.app.state.wizards.get(request.path_params["wid"], kind)
        step = request.path_params["step"]
        if wiz is None or step not in dict(steps):
            return expired(request)
        if wiz.job:
            return redirect(f"/jobs/{wiz.job}")
        if request.method == "POST":
            return await answer(request, wiz, step)
        return await open_step(request, wiz, step)

    return route


def redirect(url: str) -> RedirectResponse:
    """Where a posted step (or a step that cannot be shown yet) leads: a 303 to ``url``."""
    return RedirectResponse(url, 303)


def expired(request: Request) -> Response:
    """The page for a wizard or job this run does not know (forgotten, or never made)."""
    return render(request, "expired.html", status=404)
