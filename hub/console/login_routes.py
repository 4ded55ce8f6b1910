"""The console's login (API token or OIDC) and logout."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.console.auth import OidcError, authorization_request, complete_login, token_operator
from hub.console.rendering import ConsoleHub, Csrf, console_of, page

log = structlog.get_logger("afsprakenhub.console")
router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only paths inside the console (no open redirect)."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, error: str | None = None) -> Response:
    return page(request, "login.html.j2", next=_safe_next(next), error=error)


@router.post("/login")
def login(request: Request, hub: ConsoleHub, csrf: Csrf = "", token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/console/") -> Response:
    settings, sessions = hub.settings, console_of(request).sessions
    sessions.check_csrf(request, csrf)
    who = token_operator(settings, token) if settings.console.token_login else None
    if who is None:
        log.info("console.login_refused", method="token")
        return page(request, "login.html.j2", status_code=401, next=_safe_next(next), error="login_failed")
    response = RedirectResponse(_safe_next(next), status_code=303)
    sessions.start(response, who, token=token.strip())
    hub.audit.record(actor=f"console:{who.name}", action="console-login", purpose="operations console",
                     outcome="ok", references={"method": "token"})
    return response


@router.get("/login/oidc")
def login_oidc(request: Request, hub: ConsoleHub) -> Response:
    settings, sessions = hub.settings, console_of(request).sessions
    if not settings.console.oidc.enabled:
        return RedirectResponse("/console/login", status_code=303)
    url, state = authorization_request(settings)
    response = RedirectResponse(url, status_code=303)
    sessions.remember_oidc(response, state)
    return response


@router.get("/auth/callback")
def oidc_callback(request: Request, hub: ConsoleHub, state: str | None = None, code: str | None = None) -> Response:
    settings, sessions = hub.settings, console_of(request).sessions
    try:
        who = complete_login(settings, sessions.oidc_state(request), state, code)
    except OidcError as exc:
        log.warning("console.login_refused", method="oidc", reason=str(exc))
        return page(request, "login.html.j2", status_code=403, next="/console/", error="login_refused",
                    detail=str(exc))
    response = RedirectResponse("/console/", status_code=303)
    sessions.forget_oidc(response)
    sessions.start(response, who)
    hub.audit.record(actor=f"console:{who.name}", action="console-login", purpose="operations console",
                     outcome="ok", references={"method": "oidc"})
    return response


@router.post("/logout")
def logout(request: Request, hub: ConsoleHub, csrf: Csrf = "") -> Response:
    sessions = console_of(request).sessions
    sessions.check_csrf(request, csrf)
    who = sessions.operator(request)
    response = RedirectResponse("/console/login?error=logged_out", status_code=303)
    sessions.end(request, response)
    if who is not None:
        hub.audit.record(actor=f"console:{who.name}", action="console-logout", purpose="operations console",
                         outcome="ok", references={"method": who.method})
    return response
