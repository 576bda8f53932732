"""The local web UI: the app, its routes and its plain pages (organizations, new organization,
renaming or deleting one, new company, a job's progress). The wizards' pages are in
``backup_wizard`` and ``restore_wizard``, the JSON endpoints in ``api``. Every piece of work is
a call into the core (see ARCHITECTURE)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import CheelError
from ..store import organizations
from ..store.catalog import Catalog, OrgEntry
from ..store.names import find_by_name, normalized
from ..store.languages import DEFAULT_LANGUAGES, KNOWN_LANGUAGES, parse_languages
from ..store.organizations import create_company, create_organization, opened
from .data import groups_of, org_summaries
from .i18n import COOKIE, LANGUAGES, N_, error_view, message
from .jobs import JobRegistry
from .render import render
from .security import CROSS_SITE, CSRFError, Secrets, TokenMiddleware, checked_form, refusal
from . import (api, backup_page, backup_wizard, backups_page, desktop, diff_page,
               import_wizard, plans_page, restore_wizard, verify_page, wizard_state)

HERE = Path(__file__).parent

LANGUAGE_NAMES = {"fr": N_("Français"), "de": N_("Allemand"), "it": N_("Italien"),
                  "en": N_("Anglais"), "rm": N_("Romanche")}
FLASHES = {
    "org_created": N_("L'organisation « %(name)s » a été créée."),
    "company_created": N_("La société « %(name)s » a été créée dans l'organisation "
                          "« %(org)s »."),
    "org_renamed": N_("L'organisation « %(old)s » s'appelle désormais « %(name)s »."),
    "org_deleted": N_("L'organisation « %(name)s » et sa base de données ont été supprimées."),
    "org_unlisted": N_("L'organisation « %(name)s » a été retirée de la liste ; sa base de "
                       "données PostgreSQL, que Cheel n'avait pas créée, est restée sur son "
                       "serveur."),
}


class HeadersMiddleware:
    """No caching (pages may hold a password field) and no framing or foreign content."""

    HEADERS = [
        (b"cache-control", b"no-store"),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy",
         b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    ]

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                names = {k.lower() for k, _ in msg.get("headers", [])}
                msg["headers"] = list(msg.get("headers", [])) + [
                    (k, v) for k, v in self.HEADERS if k not in names]
            await send(msg)

        await self.app(scope, receive, wrapped)


# -- pages ---------------------------------------------------------------------------------
async def home(request: Request) -> Response:
    return RedirectResponse("/organizations", 303)


async def organizations_page(request: Request) -> Response:
    catalog: Catalog = request.app.state.catalog
    orgs = await run_in_threadpool(org_summaries, catalog)
    flash = None
    key = request.query_params.get("done")
    if key in FLASHES:
        flash = message(FLASHES[key], name=request.query_params.get("name", ""),
                        org=request.query_params.get("org", ""),
                        old=request.query_params.get("old", ""))
    return render(request, "organizations.html", orgs=orgs, flash=flash,
                  selected=request.query_params.get("select") or request.query_params.get("org"),
                  running=request.app.state.jobs.running())


async def set_language(request: Request) -> Response:
    code = request.path_params["code"]
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"  # only a path of this site: never //host or /\host (another site)
    response = RedirectResponse(target, 303)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="strict",
                            path="/")
    return response


async def new_organization(request: Request) -> Response:
    catalog: Catalog = request.app.state.catalog
    values = {"name": "", "languages": list(DEFAULT_LANGUAGES), "engine": "sqlite",
              "pg_url": ""}
    error = None
    if request.method == "POST":
        form = await checked_form(request)
        values = {"name": str(form.get("name", "")).strip(),
                  "languages": [str(x) for x in form.getlist("languages")],
                  "engine": "postgres" if form.get("engine") == "postgres" else "sqlite",
                  "pg_url": str(form.get("pg_url", "")).strip()}
        if values["engine"] == "postgres" and not values["pg_url"]:
            error = message(N_("Veuillez indiquer l'adresse du serveur PostgreSQL."))
        else:
            try:
                langs = parse_languages(values["languages"])
                entry = await run_in_threadpool(
                    create_organization, catalog, values["name"], langs,
                    values["pg_url"] if values["engine"] == "postgres" else None)
            except CheelError as e:
                error = error_view(e)
            else:
                return RedirectResponse(
                    f"/organizations?done=org_created&name={quote(entry.name)}"
                    f"&select={quote(entry.name)}", 303)
    chosen = [c for c in values["languages"] if c in LANGUAGE_NAMES]
    order = chosen + [c for c in LANGUAGE_NAMES if c not in chosen and c in KNOWN_LANGUAGES]
    return render(request, "new_organization.html", values=values, error=error,
                  language_order=order, language_names=LANGUAGE_NAMES)


def org_facts(catalog: Catalog, entry: OrgEntry) -> dict:
    """What the rename and delete pages say of an organization: where its database is, and
    whether deleting it drops that database."""
    return {"name": entry.name, "engine": entry.engine,
            "location": organizations.location(catalog, entry),
            "drops": organizations.drops_database(entry)}


async def _named_organization(request: Request, template: str, **context):
    """The form posted (None for a GET) and the organization it (or ``?name=``) names; or,
    when there is none of that name, the page saying so."""
    catalog: Catalog = request.app.state.catalog
    form = await checked_form(request) if request.method == "POST" else None
    name = (str(form.get("name", "")) if form is not None
            else request.query_params.get("name", ""))
    try:
        return form, catalog.find(name), None
    except CheelError as e:
        return form, None, render(request, template, org=None, error=error_view(e), **context)


async def delete_organization_page(request: Request) -> Response:
    """Delete an organization once its name is typed again: the page says beforehand whether
    its database goes too or stays on its server."""
    catalog: Catalog = request.app.state.catalog
    form, entry, missing = await _named_organization(request, "delete_organization.html")
    if entry is None:
        return missing
    error = None
    if form is not None:
        if normalized(str(form.get("confirm", ""))) != entry.name:
            error = message(N_("Le nom saisi n'est pas celui de l'organisation ; rien n'a été "
                               "supprimé."))
        else:
            try:
                deleted = await run_in_threadpool(organizations.delete_organization, catalog,
                                                  entry.name)
            except CheelError as e:
                error = error_view(e)
            else:
                done = "org_deleted" if deleted.dropped else "org_unlisted"
                return RedirectResponse(
                    f"/organizations?done={done}&name={quote(deleted.entry.name)}", 303)
    return render(request, "delete_organization.html", org=org_facts(catalog, entry),
                  error=error)


async def rename_organization_page(request: Request) -> Response:
    """Give an organization the name typed (its database keeps its own)."""
    catalog: Catalog = request.app.state.catalog
    form, entry, missing = await _named_organization(request, "rename_organization.html",
                                                     new_name="")
    if entry is None:
        return missing
    new_name, error = entry.name, None
    if form is not None:
        new_name = str(form.get("new_name", ""))
        if normalized(new_name) == entry.name:
            error = message(N_("C'est déjà le nom de cette organisation."))
        else:
            old = entry.name
            try:
                renamed = await run_in_threadpool(organizations.rename_organization, catalog,
                                                  old, new_name)
            except CheelError as e:
                error = error_view(e)
            else:
                return RedirectResponse(
                    f"/organizations?done=org_renamed&name={quote(renamed.name)}"
                    f"&old={quote(old)}&select={quote(renamed.name)}", 303)
    return render(request, "rename_organization.html", org=org_facts(catalog, entry),
                  error=error, new_name=new_name)


async def new_company(request: Request) -> Response:
    catalog: Catalog = request.app.state.catalog
    orgs = [e.name for e in catalog.list()]
    first = find_by_name(orgs, request.query_params.get("org"))
    values = {"org": first or (orgs[0] if orgs else ""), "name": "",
              "legal_form": "", "ide_number": "", "share": "no", "group": "",
              "group_name": "", "group_name_edited": ""}
    error = None
    if request.method == "POST":
        form = await checked_form(request)
        values = {k: str(form.get(k, "")).strip() for k in values}
        values["share"] = "yes" if values["share"] == "yes" else "no"
        if not values["org"]:
            error = message(N_("Veuillez choisir une organisation."))
        elif values["share"] == "yes" and not values["group"]:
            error = message(N_("Veuillez choisir le groupe de sociétés à rejoindre."))
        else:
            def create():
                with opened(catalog, values["org"]) as (_, db):
                    if values["share"] == "yes":
                        return create_company(db, values["name"], group=values["group"],
                                              legal_form=values["legal_form"] or None,
                                              ide_number=values["ide_number"] or None)
                    return create_company(db, values["name"],
                                          new_group=values["group_name"] or values["name"],
                                          legal_form=values["legal_form"] or None,
                                          ide_number=values["ide_number"] or None)
            try:
                company = await run_in_threadpool(create)
            except CheelError as e:
                error = error_view(e)
            else:
                return RedirectResponse(
                    f"/organizations?done=company_created&name={quote(company.name)}"
                    f"&org={quote(values['org'])}", 303)
    groups = await run_in_threadpool(groups_of, catalog, values["org"]) if values["org"] else []
    return render(request, "new_company.html", values=values,
                  error=error, orgs=orgs, groups=groups)


JOB_STEPS = {"backup": wizard_state.BACKUP_STEPS, "restore": wizard_state.RESTORE_STEPS,
             "import": wizard_state.IMPORT_STEPS, "verify": [], "plan": [], "diff": []}


async def job_page(request: Request, revealed: bool = False) -> Response:
    job = request.app.state.jobs.get(request.path_params["jid"])
    if job is None:
        return wizard_state.expired(request)
    error = None
    if job.error is not None:
        error = error_view(job.error)
    elif job.unexpected:
        error = {"title": N_("L'opération a échoué."), "params": {}, "detail": job.unexpected,
                 "hint": None}
    steps = wizard_state.step_list(JOB_STEPS[job.kind], "", set(job.meta.get("skipped", ())))
    return render(request, f"{job.kind}_job.html", job=job, state=job.as_dict(), error=error,
                  steps=steps, actions=wizard_state.ACTIONS,
                  can_reveal=desktop.opener() is not None, revealed=revealed)


async def cancel_job(request: Request) -> Response:
    """Annuler on a job's page: the work stops at its next step and unwinds."""
    await checked_form(request)
    job = request.app.state.jobs.get(request.path_params["jid"])
    if job is None:
        return wizard_state.expired(request)
    job.cancel()
    job.wait(2.0)  # most work stops within a chunk: show the outcome, not "cancelling"
    return wizard_state.redirect(f"/jobs/{job.id}")


async def reveal_folder(request: Request) -> Response:
    """Ouvrir le dossier on a finished backup's page."""
    await checked_form(request)
    job = request.app.state.jobs.get(request.path_params["jid"])
    if job is None or job.kind != "backup" or not job.result:
        return wizard_state.expired(request)
    shown = await run_in_threadpool(desktop.reveal, Path(job.result["path"]).parent)
    return await job_page(request, revealed=shown)


async def csrf_refused(request: Request, exc: Exception) -> Response:
    return refusal(request, CROSS_SITE)


def create_app(catalog: Catalog, secrets_: Secrets | None = None) -> Starlette:
    """The web app for ``catalog``; ``secrets_`` (made per run) guards it."""
    secrets_ = secrets_ or Secrets()
    routes = [
        Route("/", home),
        Route("/organizations", organizations_page),
        Route("/organizations/new", new_organization, methods=["GET", "POST"]),
        Route("/organizations/rename", rename_organization_page, methods=["GET", "POST"]),
        Route("/organizations/delete", delete_organization_page, methods=["GET", "POST"]),
        Route("/companies/new", new_company, methods=["GET", "POST"]),
        Route("/lang/{code}", set_language),
        Route("/backup/new", backup_wizard.start),
        Route("/backup/{wid}/{step}", backup_wizard.step_page, methods=["GET", "POST"]),
        Route("/restore/new", restore_wizard.start),
        Route("/import/new", import_wizard.start),
        Route("/import/{wid}/{step}", import_wizard.step_page, methods=["GET", "POST"]),
        Route("/restore/{wid}/check", restore_wizard.check_page, methods=["GET", "POST"]),
        Route("/restore/{wid}/diff/{uid}", diff_page.restore_diff),
        Route("/restore/{wid}/{step}", restore_wizard.step_page, methods=["GET", "POST"]),
        Route("/jobs/{jid}", job_page),
        Route("/jobs/{jid}/cancel", cancel_job, methods=["POST"]),
        Route("/jobs/{jid}/reveal", reveal_folder, methods=["POST"]),
        Route("/verify", verify_page.verify_page, methods=["GET", "POST"]),
        Route("/diff", diff_page.diff_page, methods=["GET", "POST"]),
        Route("/backups", backups_page.backups_page, methods=["GET", "POST"]),
        Route("/backups/view", backup_page.backup_page, methods=["GET", "POST"]),
        Route("/backups/view/{vid}/export", backup_page.export_download),
        Route("/plans", plans_page.plans_page),
        Route("/plans/run", plans_page.run_now, methods=["POST"]),
        *api.ROUTES,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes,
                    middleware=[Middleware(HeadersMiddleware),
                                Middleware(TokenMiddleware, secrets_=secrets_)],
                    exception_handlers={CSRFError: csrf_refused})
    app.state.catalog = catalog
    app.state.secrets = secrets_
    app.state.jobs = JobRegistry()
    app.state.wizards = wizard_state.WizardStore()
    app.state.last_dest = None
    return app
