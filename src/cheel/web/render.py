"""Rendering a page: the request's language, the CSRF token, the menu's context."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse

from .i18n import environment, gettext_for, language_from_cookies


def lang_of(request: Request) -> str:
    return language_from_cookies(request.cookies)


def gettext_of(request: Request):
    return gettext_for(lang_of(request))


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    lang = lang_of(request)
    env = environment(lang)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = env.get_template(template).render(
        request=request, csrf=request.app.state.secrets.csrf, here=here, **context)
    return HTMLResponse(html, status)
