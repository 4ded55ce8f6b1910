"""The sandbox-only seeding endpoint of the vendor register simulators: the demo mirrors its day into them."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from hub.model import Appointment
from sandbox.framework import CONTROL_PREFIX

_APPOINTMENTS = TypeAdapter(list[Appointment])


def install_seeding(app: FastAPI, put: Callable[[Appointment], None]) -> None:
    """`POST {CONTROL_PREFIX}/appointments`: a JSON list of canonical appointments, each stored with `put`."""

    @app.post(f"{CONTROL_PREFIX}/appointments", tags=["sandbox"])
    async def seed(request: Request) -> Response:
        try:
            items = _APPOINTMENTS.validate_json(await request.body())
        except ValidationError as exc:
            return JSONResponse({"error": "not a list of canonical appointments",
                                 "fields": sorted({".".join(map(str, e["loc"])) for e in exc.errors()})[:10]},
                                status_code=400)
        for item in items:
            put(item)
        return JSONResponse({"stored": len(items)})


__all__ = ["install_seeding"]
