"""What every console handler shares: the console's state on `app.state`, the page renderer and the operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from hub.bootstrap import Hub
from hub.console import i18n, queries
from hub.console.auth import LoginRequired, Operator, Sessions
from hub.logging import redact_text

LOCAL = ZoneInfo("Europe/Amsterdam")
Csrf = Annotated[str, Form()]  # missing → "" → 403 (not 422)


def _when(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")


def _age(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _brief(value: Any, limit: int = 70) -> str:
    """A one-line summary of a job's watermark: scalar fields as they are, collections by their size."""
    if not isinstance(value, dict):
        text = str(value)
    else:
        text = ", ".join(f"{k}: {v}" if not isinstance(v, dict | list) else f"{k}: ({len(v)})"
                         for k, v in sorted(value.items(), key=lambda kv: isinstance(kv[1], dict | list)))
    text = redact_text(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass(frozen=True)
class Console:
    """The console app's state (`app.state.console`): its hub, session signer and templates."""

    hub: Hub
    sessions: Sessions
    templates: Jinja2Templates

    @classmethod
    def for_hub(cls, hub: Hub) -> Console:
        env = Environment(loader=PackageLoader("hub.console", "templates"),
                          autoescape=select_autoescape(["j2", "html"]))
        env.filters.update(when=_when, age=_age, mask=queries.mask, brief=_brief)
        return cls(hub, Sessions(hub.settings, hub.db), Jinja2Templates(env=env))


def console_of(request: Request) -> Console:
    """The console the request came in to."""
    console: Console = request.app.state.console
    return console


async def hub_of(request: Request) -> Hub:
    """The hub behind the console (a dependency)."""
    return console_of(request).hub


ConsoleHub = Annotated[Hub, Depends(hub_of)]


def operator(request: Request) -> Operator:
    """The logged-in operator, or LoginRequired (answered with a redirect to the login page)."""
    found = console_of(request).sessions.operator(request)
    if found is None:
        raise LoginRequired()
    return found


def check_csrf(request: Request, sent: str | None) -> None:
    """CsrfFailed (a 403 page) unless `sent` is the request's CSRF token."""
    console_of(request).sessions.check_csrf(request, sent)


def page(request: Request, template: str, status_code: int = 200, who: Operator | None = None,
         **context: Any) -> Response:
    """Render `template` with the console's common context (translations, operator, CSRF token, links)."""
    console = console_of(request)
    settings, sessions = console.hub.settings, console.sessions
    lang = i18n.language(request)
    response = console.templates.TemplateResponse(request, template, status_code=status_code, context={
        "t": i18n.translator(lang), "lang": lang, "operator": who, "csrf": sessions.csrf_token(request),
        "oidc": settings.console.oidc.enabled, "token_login": settings.console.token_login,
        "path": request.url.path, "query": request.url.query,
        "lang_links": {code: f"{request.url.path}?{urlencode({**request.query_params, 'lang': code})}"
                       for code in i18n.LANGUAGES}, **context})
    sessions.ensure_csrf(request, response)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/console",
                            secure=sessions.secure)
    return response
