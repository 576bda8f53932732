"""The backup and restore wizards: state kept on the server, one page per step.

This module holds the wizards' state and the backup wizard's pages; the restore wizard's
pages are in ``restore_wizard``. Each step is a form posted with ``nav`` = back / next /
finish; the server keeps the answers, checks them with the core (``plan_backup``,
``inspect_backup``, ``plan_restore``), and redirects to the next step or shows the core's
error on the same step. Terminer starts a background job and leads to its progress page.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..archive.age import Unlocker
from ..archive.manifest import GroupDecl, Manifest, OrganizationDecl
from ..backup import BackupOptions, plan_backup, run_backup
from ..errors import CheelError, UsageError
from ..restore import COPY, FAIL, REPLACE, SKIP, RestoreOptions
from ..store.catalog import Catalog
from ..store.engines import POSTGRES, SQLITE
from ..store.names import find_by_name, name_key
from ..verify import BackupInfo
from .data import org_summaries, org_summary
from .i18n import N_, error_view, message
from .render import render
from .security import checked_form

BACKUP_STEPS = [("organizations", N_("Organisations")),
                ("groups", N_("Groupes de sociétés")),
                ("settings", N_("Paramètres")),
                ("end", N_("Fin"))]
RESTORE_STEPS = [("target", N_("Organisation cible")),
                 ("file", N_("Fichier de sauvegarde")),
                 ("password", N_("Mot de passe")),
                 ("groups", N_("Groupes de sociétés")),
                 ("conflicts", N_("Conflits")),
                 ("summary", N_("Résumé"))]
ACTIONS = {"new": N_("Nouveau groupe"), REPLACE: N_("Remplacer"), COPY: N_("Copie"),
           SKIP: N_("Ignorer")}
DECISIONS = (REPLACE, COPY, SKIP)
DEFAULT_DECISION = COPY  # keeps what the target holds; the user may choose replace


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

    def selected_groups(self, all_uids: list[str]) -> list[str]:
        chosen = self.groups.get(self.orgs[0]) if len(self.orgs) == 1 else None
        return all_uids if chosen is None else [u for u in all_uids if u in chosen]

    def options(self) -> BackupOptions:
        """The core's options; the groups chosen count only with one organization."""
        groups: list[str] = []
        if len(self.orgs) == 1 and self.orgs[0] in self.groups:
            groups = list(self.groups[self.orgs[0]])
            if not groups:  # an empty list would mean "all" to the core
                raise UsageError("choose at least one company group to back up")
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
    file: str = ""
    encrypted: bool = False
    # Opens the file for this wizard (its file key, once the password was right); the
    # password itself is not kept, and never written back into a page.
    unlocker: Unlocker | None = None
    info: BackupInfo | None = None  # the file's manifest, size, encryption, once read
    groups: list[str] | None = None  # selected uids; None: all
    conflicts: list[dict] = field(default_factory=list)
    decisions: dict[str, str] = field(default_factory=dict)
    job: str | None = None
    starting: bool = False

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
    keys = [k for k, _ in defs]
    pos = keys.index(current) if current in keys else len(keys)
    return [{"key": k, "label": label, "current": k == current, "skipped": k in skipped,
             "done": i < pos and k not in skipped} for i, (k, label) in enumerate(defs)]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, 303)


def _expired(request: Request) -> Response:
    return render(request, "expired.html", status=404)


# == backup ===============================================================================
def _backup_skipped(wiz: BackupWizard) -> set[str]:
    return set() if len(wiz.orgs) == 1 else {"groups"}


async def backup_start(request: Request) -> Response:
    catalog: Catalog = request.app.state.catalog
    names = [e.name for e in catalog.list()]
    org = find_by_name(names, request.query_params.get("org"))
    wiz = BackupWizard(orgs=[org] if org else [])
    wiz.dest = request.app.state.last_dest or str(Path.home())
    request.app.state.wizards.add(wiz)
    return _redirect(f"/backup/{wiz.id}/organizations")


async def backup_step(request: Request) -> Response:
    wiz = request.app.state.wizards.get(request.path_params["wid"], BackupWizard)
    step = request.path_params["step"]
    if wiz is None or step not in dict(BACKUP_STEPS):
        return _expired(request)
    if wiz.job:
        return _redirect(f"/jobs/{wiz.job}")
    if request.method == "POST":
        return await _backup_post(request, wiz, step)
    if step == "groups" and len(wiz.orgs) != 1:
        return _redirect(f"/backup/{wiz.id}/settings")
    return await _backup_page(request, wiz, step)


async def _backup_page(request: Request, wiz: BackupWizard, step: str, error: dict | None = None,
                       status: int = 200) -> Response:
    catalog: Catalog = request.app.state.catalog
    ctx: dict = {"wiz": wiz, "step": step, "error": error,
                 "steps": step_list(BACKUP_STEPS, step, _backup_skipped(wiz)),
                 "first": step == "organizations", "last": step == "end",
                 "action": f"/backup/{wiz.id}/{step}"}
    if step == "organizations":
        ctx["orgs"] = await run_in_threadpool(org_summaries, catalog)
    elif step == "groups":
        try:
            entry = catalog.find(wiz.orgs[0])
        except CheelError as e:
            return await _backup_page(request, wiz, "organizations", error_view(e))
        org = await run_in_threadpool(org_summary, catalog, entry)
        ctx["org"] = org
        ctx["selected"] = wiz.selected_groups([g["uid"] for g in org["groups"]])
    elif step == "end" and error is None:
        try:
            plan = await run_in_threadpool(plan_backup, catalog, wiz.options(),
                                           wiz.now or datetime.now())
        except CheelError as e:
            ctx["error"] = error_view(e)
            ctx["blocked"] = True
        else:
            ctx["summary"] = plan.summary
            ctx["selections"] = [{"org": s.entry.name, "groups": s.groups}
                                 for s in plan.selections]
    elif step == "end":
        ctx["blocked"] = True
    return render(request, f"backup_{step}.html", status=status, **ctx)


async def _backup_post(request: Request, wiz: BackupWizard, step: str) -> Response:
    catalog: Catalog = request.app.state.catalog
    form = await checked_form(request)
    nav = form.get("nav", "next")
    base = f"/backup/{wiz.id}"

    async def fail(err: dict) -> Response:
        return await _backup_page(request, wiz, step, err)

    if step == "organizations":
        known = [e.name for e in catalog.list()]
        chosen = {name_key(str(n)) for n in form.getlist("org")}
        wiz.orgs = [n for n in known if name_key(n) in chosen]
        if nav != "next":
            return _redirect(f"{base}/organizations")
        if not wiz.orgs:
            return await fail(message(N_("Veuillez sélectionner au moins une organisation.")))
        return _redirect(f"{base}/groups" if len(wiz.orgs) == 1 else f"{base}/settings")

    if step == "groups":
        if len(wiz.orgs) == 1 and form.get("groups_present"):
            wiz.groups[wiz.orgs[0]] = list(form.getlist("group"))
        if nav == "back":
            return _redirect(f"{base}/organizations")
        if len(wiz.orgs) == 1 and wiz.groups.get(wiz.orgs[0]) == []:
            return await fail(message(
                N_("Veuillez sélectionner au moins un groupe de sociétés.")))
        return _redirect(f"{base}/settings")

    if step == "settings":
        wiz.dest = str(form.get("dest", "")).strip()
        wiz.password = str(form.get("password", ""))
        wiz.confirm = str(form.get("confirm", ""))
        if nav == "back":
            return _redirect(f"{base}/groups" if len(wiz.orgs) == 1 else f"{base}/organizations")
        if not wiz.dest:
            return await fail(message(N_("Veuillez choisir le dossier de destination.")))
        if wiz.password != wiz.confirm:
            return await fail(message(N_("Les deux mots de passe ne sont pas identiques.")))
        wiz.now = datetime.now()
        try:
            await run_in_threadpool(plan_backup, catalog, wiz.options(), wiz.now)
        except CheelError as e:
            return await fail(error_view(e))
        request.app.state.last_dest = wiz.dest
        return _redirect(f"{base}/end")

    # end
    if nav == "back":
        return _redirect(f"{base}/settings")
    if nav != "finish":
        return _redirect(f"{base}/end")
    if wiz.password != wiz.confirm:
        return await _backup_page(request, wiz, "settings", message(
            N_("Les deux mots de passe ne sont pas identiques.")))
    if wiz.starting:
        return _redirect(f"{base}/end")
    wiz.starting = True
    try:
        plan = await run_in_threadpool(plan_backup, catalog, wiz.options(),
                                       wiz.now or datetime.now())
    except CheelError as e:
        return await fail(error_view(e))
    finally:
        wiz.starting = False
    job = request.app.state.jobs.start(
        "backup", lambda progress: run_backup(catalog, plan, progress),
        meta={"wizard": wiz.id, "summary": plan.summary,
              "skipped": sorted(_backup_skipped(wiz))})
    wiz.job = job.id
    wiz.password = wiz.confirm = ""  # the plan holds it for the job; the wizard forgets it
    return _redirect(f"/jobs/{job.id}")
