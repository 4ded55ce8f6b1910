"""problem+json answers for simulators (the hub's format, without the hub's metrics)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.api.problems import PROBLEM_JSON, Problem, invalid_params, problem_response

__all__ = ["PROBLEM_JSON", "Problem", "install_problem_handlers", "problem_response"]


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.detail, instance=request.url.path, code=exc.code,
                            invalid_params=exc.invalid_params, headers=exc.headers)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(exc.status_code, str(exc.detail), instance=request.url.path,
                            headers=getattr(exc, "headers", None))


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(400, "the request's parameters are invalid", instance=request.url.path,
                            code="invalid-parameters", invalid_params=invalid_params(exc))


def install_problem_handlers(app: FastAPI) -> None:
    """Answer `Problem`, HTTP errors and invalid parameters as problem+json."""
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
