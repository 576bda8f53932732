"""Verifying a backup from the web UI: the file (and its password, if it has one), then a job
that reads every byte and checks every rule, as ``cheel verify`` does.

Reached from a finished backup ("Vérifier la sauvegarde": the proof that the file just
written opens with its password and holds what it should) and from the menu.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..archive.age import Unlocker
from ..destinations import is_url
from ..errors import CheelError, PasswordNeeded, WrongPassword
from ..verify import inspect_backup, verify_backup
from .i18n import N_, error_view, message
from .paths import EXAMPLE_FILE, absolute_path
from .render import render
from .security import checked_form
from .wizard_state import redirect


async def verify_page(request: Request) -> Response:
    """GET: the form for ``?file=``; POST: check the password and start the job."""
    if request.method == "POST":
        form = await checked_form(request)
        file, password = str(form.get("file", "")).strip(), str(form.get("password", ""))
    else:
        file, password = request.query_params.get("file", "").strip(), ""
    encrypted, error = False, None
    if file:
        path = file if is_url(file) else absolute_path(file)  # s3://, sftp:// as given
        if path is None:
            error = message(N_("Veuillez indiquer un chemin complet, par exemple %(example)s."),
                            example=EXAMPLE_FILE)
        else:
            file = str(path)
            try:
                await run_in_threadpool(inspect_backup, file, None)
            except PasswordNeeded:
                encrypted = True
            except CheelError as e:
                error = error_view(e)
    if request.method == "POST" and file and error is None:
        if encrypted and not password:
            error = message(N_("Veuillez saisir le mot de passe de la sauvegarde."))
        else:
            unlocker = Unlocker(password or None)
            try:  # a wrong password is said here, not after a job started
                await run_in_threadpool(inspect_backup, file, unlocker)
            except WrongPassword:
                error = message(N_("Le mot de passe est incorrect. Veuillez réessayer."))
            except CheelError as e:
                error = error_view(e)
            else:
                unlocker.forget_passphrase()
                job = request.app.state.jobs.start(
                    "verify", lambda progress: verify_backup(file, unlocker, progress),
                    meta={"file": file, "encrypted": encrypted})
                return redirect(f"/jobs/{job.id}")
    elif request.method == "POST" and not file:
        error = message(N_("Veuillez choisir le fichier de sauvegarde."))
    return render(request, "verify.html", file=file, encrypted=encrypted, error=error)
