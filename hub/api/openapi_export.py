"""Writes the published OpenAPI document to a file, from an app over an unused in-memory store (for linting in CI).

Apart from `hub.api.openapi_doc` (which the app imports to build the document) so that neither imports the other.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def document() -> dict[str, Any]:
    """The published document, from an app over an unused in-memory store (for linting in CI)."""
    from hub.api.app import OPENAPI_PATH, create_app
    from hub.bootstrap import Hub
    from hub.config import Settings
    from hub.registry import FlowRegistry

    app = create_app(Hub(Settings(database_url="sqlite://"), registry=FlowRegistry()))
    for route in app.routes:
        mounted = getattr(route, "app", None)
        if isinstance(mounted, FastAPI) and OPENAPI_PATH.startswith(getattr(route, "path", "")):
            return mounted.openapi()
    raise LookupError("the API app is not mounted")


if __name__ == "__main__":  # python -m hub.api.openapi_export openapi.json (the log goes to stdout)
    import json
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_text(json.dumps(document(), indent=2) + "\n")
