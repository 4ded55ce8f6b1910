"""The console's FastAPI sub-app, mounted at /console by `mount_console` (server-rendered, Jinja2)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from hub.bootstrap import Hub
from hub.console import alerts_page, drift_page, errors, login_routes, pages, peers_replay, waste_depot
from hub.console.rendering import Console

entry = APIRouter()


@entry.get("/console", include_in_schema=False)
async def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


def build_console(hub: Hub) -> FastAPI:
    """The console app for `hub` (its own session signer, templates and static files)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)
    app.state.console = Console.for_hub(hub)
    app.mount("/static", StaticFiles(packages=[("hub.console", "static")]), name="static")
    errors.install(app)
    app.include_router(login_routes.router)  # /login, /login/oidc, /auth/callback, /logout
    app.include_router(pages.router)  # overview, dead letters, deliveries, replay, trace, jobs, migration
    app.include_router(waste_depot.router)  # /waste-depot
    app.include_router(alerts_page.router)  # /alerts
    app.include_router(drift_page.router)  # /drift
    app.include_router(peers_replay.router)  # /peers, /bulk-replay
    return app


def mount_console(root: FastAPI, hub: Hub) -> None:
    """Serve the console at /console (and send /console to /console/), unless it is switched off."""
    if not hub.settings.console.enabled:
        return
    root.include_router(entry)
    root.mount("/console", build_console(hub))


__all__ = ["build_console", "mount_console"]
