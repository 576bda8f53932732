"""Access control of the local web UI: a per-run secret token, allowed hosts, CSRF checks.

* Every request needs the run's token: in the URL once (``/?token=…``), which sets a cookie
  and redirects to the same URL without it, then the cookie. Anything else gets 403.
* Only ``127.0.0.1`` / ``localhost`` host names are served (no DNS rebinding).
* State-changing requests (POST) must come from the page itself: their ``Origin`` (or,
  without one, ``Referer``) must be this server, and they must carry the CSRF token (a form
  field ``csrf`` checked by :func:`checked_form`, or the ``X-CSRF-Token`` header for fetch()).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .i18n import N_, gettext_for, language_from_cookies

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

DENIED = N_("Accès refusé. Ouvrez l'adresse affichée par « cheel ui » (elle contient le jeton).")
CROSS_SITE = N_("Requête refusée : elle ne vient pas de cette page.")
UNKNOWN_HOST = N_("Requête refusée : cheel ui ne répond qu'à l'adresse 127.0.0.1.")


@dataclass
class Secrets:
    """The secrets of one run of ``cheel ui``."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost")

    @property
    def cookie_name(self) -> str:
        # one cookie per run: two `cheel ui` on different ports never clobber each other
        return "cheel_" + hashlib.sha256(self.token.encode()).hexdigest()[:12]

    def token_ok(self, value: str | None) -> bool:
        return bool(value) and secrets.compare_digest(value.encode(), self.token.encode())

    def csrf_ok(self, value: str | None) -> bool:
        return bool(value) and secrets.compare_digest(value.encode(), self.csrf.encode())


def refusal(request: Request, text: str) -> PlainTextResponse:
    """A 403 saying why, in the user's language."""
    return PlainTextResponse(gettext_for(language_from_cookies(request.cookies))(text), 403)


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]")[0]
    return host.rsplit(":", 1)[0] if ":" in host else host


def same_origin(request: Request) -> bool:
    """The request's Origin (or Referer) names this very server."""
    host = request.headers.get("host", "")
    expected = f"{request.url.scheme}://{host}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == expected
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" == expected
    return False


def same_site_path(path: str) -> str:
    """``path`` as a path of this site, fit for a redirect. A browser reads ``//host/…`` and
    ``/\\host/…`` as another site's address: backslashes become slashes, and the leading
    slashes one."""
    return "/" + path.replace("\\", "/").lstrip("/")


class TokenMiddleware:
    """Refuses every request that lacks the run's token or comes from another site."""

    def __init__(self, app: ASGIApp, secrets_: Secrets):
        self.app = app
        self.secrets = secrets_

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        host = _host_name(request.headers.get("host", ""))
        if host not in self.secrets.hosts:
            await refusal(request, UNKNOWN_HOST)(scope, receive, send)
            return
        query = request.query_params.get("token")
        if query is not None:
            if not self.secrets.token_ok(query):
                await refusal(request, DENIED)(scope, receive, send)
                return
            # keep the token out of the address bar and history: cookie, then redirect
            rest = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
            target = same_site_path(request.url.path) + (f"?{rest}" if rest else "")
            response = RedirectResponse(target, 303)
            response.set_cookie(self.secrets.cookie_name, self.secrets.token, httponly=True,
                                samesite="strict", path="/")
            await response(scope, receive, send)
            return
        if not self.secrets.token_ok(request.cookies.get(self.secrets.cookie_name)):
            await refusal(request, DENIED)(scope, receive, send)
            return
        if request.method not in SAFE_METHODS and not same_origin(request):
            await refusal(request, CROSS_SITE)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class CSRFError(Exception):
    pass


async def checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token (field or header) is checked."""
    form = await request.form()
    value = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    secrets_: Secrets = request.app.state.secrets
    if not secrets_.csrf_ok(value if isinstance(value, str) else None):
        raise CSRFError()
    return form


def check_header(request: Request) -> None:
    """For fetch() calls: the CSRF token must be in the ``X-CSRF-Token`` header."""
    secrets_: Secrets = request.app.state.secrets
    if not secrets_.csrf_ok(request.headers.get(CSRF_HEADER)):
        raise CSRFError()
