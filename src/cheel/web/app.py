"""The local web UI: routes. Every piece of work is a call into the core (see ARCHITECTURE)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import CheelError
from ..store.catalog import Catalog
from ..store.names import find_by_name
from ..store.languages import DEFAULT_LANGUAGES, KNOWN_LANGUAGES, parse_languages
from ..store.organizations import create_company, create_organization, opened
from .data import org_summaries, org_summary
from .i18n import COOKIE, LANGUAGES, N_, error_view, fmt_size, message
from .jobs import JobRegistry
from .pickers import PickerError, listing, make_dir, start_dir
from .render import gettext_of, lang_of, render
from .security import (CROSS_SITE, CSRFError, Secrets, TokenMiddleware, check_header,
                       checked_form, refusal)
from . import restore_wizard, wizards

HERE = Path(__file__).parent

LANGUAGE_NAMES = {"fr": N_("Français"), "de": N_("Allemand"), "it": N_("Italien"),
                  "en": N_("Anglais"), "rm": N_("Romanche")}
PICKER_ERRORS = {
    "missing": N_("Ce dossier n'existe pas."),
    "not_dir": N_("Ce chemin n'est pas un dossier."),
    "denied": N_("L'accès à ce dossier est refusé."),
    "unreadable": N_("Ce dossier ne peut pas être lu."),
    "bad_name": N_("Ce nom de dossier n'est pas valable."),
    "exists": N_("Un dossier de ce nom existe déjà."),
}
FLASHES = {
    "org_created": N_("L'organisation « %(name)s » a été créée."),
    "company_created": N_("La société « %(name)s » a été créée dans l'organisation "
                          "« %(org)s »."),
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
                        org=request.query_params.get("org", ""))
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


def _groups_of(catalog: Catalog, name: str) -> list[dict]:
    try:
        entry = catalog.find(name)
    except CheelError:
        return []
    return org_summary(catalog, entry)["groups"]


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
    groups = await run_in_threadpool(_groups_of, catalog, values["org"]) if values["org"] else []
    return render(request, "new_company.html", values=values,
                  error=error, orgs=orgs, groups=groups)


async def job_page(request: Request) -> Response:
    job = request.app.state.jobs.get(request.path_params["jid"])
    if job is None:
        return render(request, "expired.html", status=404)
    error = None
    if job.error is not None:
        error = error_view(job.error)
    elif job.unexpected:
        error = {"title": N_("L'opération a échoué."), "params": {}, "detail": job.unexpected,
                 "hint": None}
    defs = wizards.BACKUP_STEPS if job.kind == "backup" else wizards.RESTORE_STEPS
    steps = wizards.step_list(defs, "", set(job.meta.get("skipped", ())))
    return render(request, f"{job.kind}_job.html", job=job, state=job.as_dict(), error=error,
                  steps=steps, actions=wizards.ACTIONS)


# -- JSON endpoints ------------------------------------------------------------------------
async def api_job(request: Request) -> Response:
    job = request.app.state.jobs.get(request.path_params["jid"])
    if job is None:
        return JSONResponse({"error": "unknown job"}, 404)
    return JSONResponse(job.as_dict())


async def api_browse(request: Request) -> Response:
    _ = gettext_of(request)
    q = request.query_params
    mode = "file" if q.get("mode") == "file" else "dir"
    path = q.get("path") or str(start_dir(q.get("start")))
    try:
        data = await run_in_threadpool(listing, path, mode, q.get("ext") or None,
                                       q.get("hidden") == "1")
    except PickerError as e:
        return JSONResponse({"error": _(PICKER_ERRORS[e.kind]), "path": e.path}, 400)
    lang = lang_of(request)
    for f in data["files"]:
        f["size_text"] = fmt_size(f["size"], lang)
    return JSONResponse(data)


async def api_mkdir(request: Request) -> Response:
    check_header(request)
    _ = gettext_of(request)
    body = await request.json()
    try:
        path = await run_in_threadpool(make_dir, str(body.get("parent", "")),
                                       str(body.get("name", "")))
    except PickerError as e:
        return JSONResponse({"error": _(PICKER_ERRORS[e.kind]), "path": e.path}, 400)
    return JSONResponse({"path": path})


async def api_groups(request: Request) -> Response:
    catalog: Catalog = request.app.state.catalog
    groups = await run_in_threadpool(_groups_of, catalog, request.path_params["org"])
    return JSONResponse([{"uid": g["uid"], "name": g["name"],
                          "companies": [c["name"] for c in g["companies"]]} for g in groups])


async def csrf_refused(request: Request, exc: Exception) -> Response:
    return refusal(request, CROSS_SITE)


def create_app(catalog: Catalog, secrets_: Secrets | None = None) -> Starlette:
    """The web app for ``catalog``; ``secrets_`` (made per run) guards it."""
    secrets_ = secrets_ or Secrets()
    routes = [
        Route("/", home),
        Route("/organizations", organizations_page),
        Route("/organizations/new", new_organization, methods=["GET", "POST"]),
        Route("/companies/new", new_company, methods=["GET", "POST"]),
        Route("/lang/{code}", set_language),
        Route("/backup/new", wizards.backup_start),
        Route("/backup/{wid}/{step}", wizards.backup_step, methods=["GET", "POST"]),
        Route("/restore/new", restore_wizard.restore_start),
        Route("/restore/{wid}/{step}", restore_wizard.restore_step, methods=["GET", "POST"]),
        Route("/jobs/{jid}", job_page),
        Route("/api/jobs/{jid}", api_job),
        Route("/api/browse", api_browse),
        Route("/api/mkdir", api_mkdir, methods=["POST"]),
        Route("/api/organizations/{org:path}/groups", api_groups),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes,
                    middleware=[Middleware(HeadersMiddleware),
                                Middleware(TokenMiddleware, secrets_=secrets_)],
                    exception_handlers={CSRFError: csrf_refused})
    app.state.catalog = catalog
    app.state.secrets = secrets_
    app.state.jobs = JobRegistry()
    app.state.wizards = wizards.WizardStore()
    app.state.last_dest = None
    return app
