"""The console's FastAPI sub-app, mounted at /console by `mount_console` (server-rendered, Jinja2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import structlog
from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub import operations
from hub.api.store_errors import STORE_UNAVAILABLE
from hub.bootstrap import Hub
from hub.console import alerts_page, drift_page, i18n, jobs, peers_replay, queries, waste_depot
from hub.console.auth import (
    CsrfFailed,
    LoginRequired,
    OidcError,
    Operator,
    Sessions,
    authorization_request,
    complete_login,
    token_operator,
)
from hub.logging import redact_text
from hub.store.tables import DeliveryStatus

log = structlog.get_logger("afsprakenhub.console")
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


def _safe_next(target: str | None) -> str:
    """Only paths inside the console (no open redirect)."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


def build_console(hub: Hub) -> FastAPI:
    """The console app for `hub` (its own session signer, templates and static files)."""
    settings = hub.settings
    sessions = Sessions(settings, hub.db)
    env = Environment(loader=PackageLoader("hub.console", "templates"), autoescape=select_autoescape(["j2", "html"]))
    env.filters.update(when=_when, age=_age, mask=queries.mask, brief=_brief)
    templates = Jinja2Templates(env=env)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)
    app.mount("/static", StaticFiles(packages=[("hub.console", "static")]), name="static")

    def operator(request: Request) -> Operator:
        found = sessions.operator(request)
        if found is None:
            raise LoginRequired()
        return found

    def page(request: Request, template: str, status_code: int = 200, who: Operator | None = None,
             **context: Any) -> Response:
        lang = i18n.language(request)
        response = templates.TemplateResponse(request, template, status_code=status_code, context={
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

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return page(request, "error.html.j2", status_code=exc.status_code, message_key="none_found")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, _: RequestValidationError) -> Response:
        return page(request, "error.html.j2", status_code=400, message_key="bad_request")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _: CsrfFailed) -> Response:
        return page(request, "error.html.j2", status_code=403, message_key="csrf")

    async def store_unavailable(request: Request, exc: Exception) -> Response:
        log.warning("store_unavailable", path=request.url.path, error=type(getattr(exc, "orig", None) or exc).__name__)
        response = page(request, "error.html.j2", status_code=503, message_key="store_unavailable")
        response.headers["Retry-After"] = str(settings.store.retry_after_seconds)
        return response

    for kind in STORE_UNAVAILABLE:
        app.add_exception_handler(kind, store_unavailable)

    # --- login and logout ---------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str | None = None, error: str | None = None) -> Response:
        return page(request, "login.html.j2", next=_safe_next(next), error=error)

    @app.post("/login")
    def login(request: Request, csrf: Csrf = "", token: Annotated[str, Form()] = "",
              next: Annotated[str, Form()] = "/console/") -> Response:
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

    @app.get("/login/oidc")
    def login_oidc(request: Request) -> Response:
        if not settings.console.oidc.enabled:
            return RedirectResponse("/console/login", status_code=303)
        url, state = authorization_request(settings)
        response = RedirectResponse(url, status_code=303)
        sessions.remember_oidc(response, state)
        return response

    @app.get("/auth/callback")
    def oidc_callback(request: Request, state: str | None = None, code: str | None = None) -> Response:
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

    @app.post("/logout")
    def logout(request: Request, csrf: Csrf = "") -> Response:
        sessions.check_csrf(request, csrf)
        who = sessions.operator(request)
        response = RedirectResponse("/console/login?error=logged_out", status_code=303)
        sessions.end(request, response)
        if who is not None:
            hub.audit.record(actor=f"console:{who.name}", action="console-logout", purpose="operations console",
                             outcome="ok", references={"method": who.method})
        return response

    # --- pages ---------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> Response:
        who = operator(request)
        return page(request, "overview.html.j2", who=who, **queries.overview(hub), states=DeliveryStatus.ALL)

    @app.get("/dead-letters", response_class=HTMLResponse)
    def dead_letters(request: Request, status: Annotated[str, Query(pattern="^(dead|failed|skipped|pending|"
                                                                     "succeeded|all)$")] = "dead",
                     flow: str = "", error: str = "", appointment: str = "",
                     page_no: Annotated[int, Query(alias="page", ge=1)] = 1) -> Response:
        who = operator(request)
        size = settings.console.page_size
        rows, more = queries.delivery_page(hub, status_=None if status == "all" else status, flow=flow or None,
                                           error=error or None, subject=appointment or None, page=page_no,
                                           size=size)
        return page(request, "dead_letters.html.j2", who=who, rows=rows, more=more, page_no=page_no,
                    filters={"status": status, "flow": flow, "error": error, "appointment": appointment},
                    flows=sorted(hub.registry.flows), states=("dead", "failed", "skipped", "pending", "succeeded"),
                    replayable=queries.REPLAYABLE)

    @app.get("/deliveries/{delivery_id}", response_class=HTMLResponse)
    def delivery(request: Request, delivery_id: int) -> Response:
        who = operator(request)
        view, payload = queries.masked_event(hub, delivery_id)
        if view is None:
            return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
        return page(request, "delivery.html.j2", who=who, d=view, payload=payload,
                    replayable=queries.REPLAYABLE)

    @app.post("/replay")
    def replay(request: Request, csrf: Csrf = "", ids: Annotated[list[int] | None, Form()] = None) -> Response:
        who = operator(request)
        sessions.check_csrf(request, csrf)
        queued = operations.replay(hub, list(ids or []), f"console:{who.name}")
        shown = ",".join(str(i) for i in (ids or []))
        return RedirectResponse(f"/console/replayed?ids={shown}&queued={len(queued)}", status_code=303)

    @app.get("/replayed", response_class=HTMLResponse)
    def replayed(request: Request, ids: str = "", queued: int = 0) -> Response:
        who = operator(request)
        wanted = [int(i) for i in ids.split(",") if i.strip().isdigit()][:500]
        rows = [v for v in (operations.get_delivery(hub, i) for i in wanted) if v is not None]
        return page(request, "replayed.html.j2", who=who, rows=rows, queued=queued)

    @app.get("/trace", response_class=HTMLResponse)
    def trace(request: Request, q: str = "") -> Response:
        who = operator(request)
        appointment = queries.resolve_appointment(hub, q) if q else None
        found = queries.trace(hub, appointment, settings.console.peer_ui_urls,
                              settings.tracing.viewer_url_template) if appointment else None
        return page(request, "trace.html.j2", who=who, q=q, found=found)

    @app.get("/jobs", response_class=HTMLResponse)
    def job_list(request: Request, started: str = "", busy: str = "") -> Response:
        who = operator(request)
        return page(request, "jobs.html.j2", who=who, rows=jobs.job_rows(hub), started=started, busy=busy)

    @app.post("/jobs/{name}/run")
    def run_job(request: Request, name: str, csrf: Csrf = "") -> Response:
        who = operator(request)
        sessions.check_csrf(request, csrf)
        try:
            started = jobs.run_in_background(hub, name, f"console:{who.name}")
        except KeyError:
            return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
        flag = "started" if started else "busy"
        return RedirectResponse(f"/console/jobs?{flag}={quote(name)}", status_code=303)

    @app.get("/migration", response_class=HTMLResponse)
    def migration(request: Request) -> Response:
        who = operator(request)
        runs = queries.migration_runs(settings.migration.staging_database_url)
        return page(request, "migration.html.j2", who=who, runs=runs)

    @app.get("/migration/runs/{run_id}/report")
    def migration_report(request: Request, run_id: int) -> Response:
        who = operator(request)
        path = queries.migration_report(settings.migration.staging_database_url, run_id)
        if path is None:
            return page(request, "error.html.j2", status_code=404, who=who, message_key="none_found")
        return FileResponse(path, media_type="text/html; charset=utf-8")

    waste_depot.install(app, hub, page, operator)  # /console/waste-depot (hub/console/waste_depot.py)
    alerts_page.install(app, hub, page, operator)  # /console/alerts (hub/console/alerts_page.py)
    drift_page.install(app, hub, page, operator)  # /console/drift (hub/console/drift_page.py)
    peers_replay.install(app, hub, page, operator, sessions.check_csrf)  # /console/peers, /console/bulk-replay
    return app


def mount_console(root: FastAPI, hub: Hub) -> None:
    """Serve the console at /console (and send /console to /console/), unless it is switched off."""
    if not hub.settings.console.enabled:
        return

    @root.get("/console", include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    root.mount("/console", build_console(hub))


__all__ = ["build_console", "mount_console"]
