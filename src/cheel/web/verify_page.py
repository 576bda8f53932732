"""Verifying a backup from the web UI: the file (a path or an address, and what opens it if
it is encrypted: its password or a private key), then a job that reads every byte and
checks every rule, as ``cheel verify`` does.

Reached from a finished backup ("Vérifier la sauvegarde": the proof that the file just
written opens with its password and holds what it should) and from the menu.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..verify import verify_backup
from .i18n import N_, message
from .render import render
from .security import checked_form
from .unlocking import NotOpened, open_with, typed_file
from .wizard_state import redirect


async def verify_page(request: Request) -> Response:
    """GET: the form for ``?file=``; POST: check the password or key and start the job."""
    if request.method == "POST":
        form = await checked_form(request)
        file = str(form.get("file", "")).strip()
    else:
        form, file = {}, request.query_params.get("file", "").strip()
    file, lock, error = await typed_file(file)
    if request.method == "POST" and file and error is None:
        try:  # a wrong password or key is said here, not after a job started
            unlocker, _ = await open_with(file, lock, form)
        except NotOpened as e:
            error = e.view
        else:
            job = request.app.state.jobs.start(
                "verify", lambda progress: verify_backup(file, unlocker, progress),
                meta={"file": file, "encrypted": bool(lock), "lock": lock})
            return redirect(f"/jobs/{job.id}")
    elif request.method == "POST" and not file:
        error = message(N_("Veuillez choisir le fichier de sauvegarde."))
    return render(request, "verify.html", file=file, lock=lock, error=error,
                  identity=str(form.get("identity", "")).strip())
