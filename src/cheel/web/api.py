"""The JSON endpoints the pages' scripts call: a job's progress, the folder and file pickers'
listings and new folders, an organization's groups."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..store.catalog import Catalog
from .data import groups_of
from .i18n import N_, fmt_size, progress_line
from .pickers import PickerError, listing, make_dir, start_dir
from .render import gettext_of, lang_of
from .security import check_header

PICKER_ERRORS = {
    "missing": N_("Ce dossier n'existe pas."),
    "not_dir": N_("Ce chemin n'est pas un dossier."),
    "denied": N_("L'accès à ce dossier est refusé."),
    "unreadable": N_("Ce dossier ne peut pas être lu."),
    "bad_name": N_("Ce nom de dossier n'est pas valable."),
    "exists": N_("Un dossier de ce nom existe déjà."),
}


async def job_state(request: Request) -> Response:
    """A job's status and progress, polled by its page."""
    job = request.app.state.jobs.get(request.path_params["jid"])
    if job is None:
        return JSONResponse({"error": "unknown job"}, 404)
    state = job.as_dict()
    state["text"] = progress_line(state, lang_of(request))
    return JSONResponse(state)


async def browse(request: Request) -> Response:
    """What a folder holds, for the folder and file pickers."""
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


async def make_folder(request: Request) -> Response:
    """A new folder made from the folder picker (a same-site script's header required)."""
    check_header(request)
    _ = gettext_of(request)
    body = await request.json()
    try:
        path = await run_in_threadpool(make_dir, str(body.get("parent", "")),
                                       str(body.get("name", "")))
    except PickerError as e:
        return JSONResponse({"error": _(PICKER_ERRORS[e.kind]), "path": e.path}, 400)
    return JSONResponse({"path": path})


async def organization_groups(request: Request) -> Response:
    """An organization's groups and their companies, for the new-company page."""
    catalog: Catalog = request.app.state.catalog
    groups = await run_in_threadpool(groups_of, catalog, request.path_params["org"])
    return JSONResponse([{"uid": g["uid"], "name": g["name"],
                          "companies": [c["name"] for c in g["companies"]]} for g in groups])


ROUTES = [
    Route("/api/jobs/{jid}", job_state),
    Route("/api/browse", browse),
    Route("/api/mkdir", make_folder, methods=["POST"]),
    Route("/api/organizations/{org:path}/groups", organization_groups),
]
