"""The one table from errors to HTTP status, and the Backstage-style error body.

Every error response has the body Backstage's `ResponseError` reads:
`{"error": {"name", "message"}, "request": {"method", "url"}, "response": {"statusCode"}}`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from actionpool.actions.errors import (
    ActionPoolError,
    AuthenticationError,
    CommitUnknownError,
    DryRunNotSupportedError,
    IdempotencyKeyReusedError,
    IdentityUnavailableError,
    InputValidationError,
    InvalidCursorError,
    MalformedRequestError,
    NotAllowedError,
    PayloadTooLargeError,
    RateLimitedError,
    RegistryError,
    RequestError,
    RequestHeaderFieldsTooLargeError,
    RequestTimeoutError,
    RunAlreadyEndedError,
    RunEndedUnsuccessfullyError,
    RunNotFoundError,
    RunNotRetryableError,
    RunStillProcessingError,
    StoreUnavailableError,
    UnknownActionError,
    UnsupportedMediaTypeError,
    UriTooLongError,
)
from actionpool.api.reason import REASON_HEADER, reason_phrase

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[BaseException], int] = {
    MalformedRequestError: 400,
    AuthenticationError: 401,
    NotAllowedError: 403,
    UnknownActionError: 404,
    RunNotFoundError: 404,
    RequestTimeoutError: 408,
    PayloadTooLargeError: 413,
    UriTooLongError: 414,
    UnsupportedMediaTypeError: 415,
    InputValidationError: 422,
    DryRunNotSupportedError: 422,
    IdempotencyKeyReusedError: 422,
    RunAlreadyEndedError: 409,
    RunNotRetryableError: 409,
    InvalidCursorError: 422,
    RunEndedUnsuccessfullyError: 424,
    RateLimitedError: 429,
    RequestHeaderFieldsTooLargeError: 431,
    RequestError: 400,
    StoreUnavailableError: 503,
    IdentityUnavailableError: 503,
    CommitUnknownError: 504,
    RunStillProcessingError: 504,
    RegistryError: 500,
    ActionPoolError: 500,
}


def status_for(error: BaseException) -> int:
    """The status of the nearest class in the error's MRO that the table names (else 500)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_body(method: str, url: str, status: int, name: str, message: str) -> dict[str, Any]:
    return {
        "error": {"name": name, "message": message},
        "request": {"method": method, "url": url},
        "response": {"statusCode": status},
    }


def run_path(run_id: str) -> str:
    return f"/v1/runs/{run_id}"


def run_ref(run_id: str, status: str) -> dict[str, Any]:
    """An error about a run names it and links to it; it does not repeat the whole record
    (Backstage writes the body in the step log as one line)."""
    path = run_path(run_id)
    return {
        "run": {"id": run_id, "status": status, "links": {"self": path, "events": f"{path}/events"}}
    }


def error_response(method: str, url: str, error: ActionPoolError) -> JSONResponse:
    status = status_for(error)
    body = error_body(method, url, status, error.name, error.message)
    headers = {REASON_HEADER.decode(): reason_phrase(error.name, error.message)}
    if isinstance(error, InputValidationError) and error.details:
        body["error"]["details"] = error.details
    if isinstance(error, RunEndedUnsuccessfullyError | RunStillProcessingError):
        body = {"error": body["error"], **run_ref(error.run_id, error.status), **body}
        headers["Location"] = run_path(error.run_id)
    if isinstance(error, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(
        error,
        StoreUnavailableError
        | CommitUnknownError
        | RateLimitedError
        | IdentityUnavailableError
        | RunStillProcessingError,
    ):
        headers["Retry-After"] = str(error.retry_after_s)
    return JSONResponse(body, status_code=status, headers=headers)


def _url(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ActionPoolError)
    if status_for(exc) >= 500:
        log.error("%s %s failed: %s: %s", request.method, request.url.path, exc.name, exc)
    return error_response(request.method, _url(request), exc)


async def on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(request.method, _url(request), from_validation(exc))


def from_validation(exc: RequestValidationError) -> ActionPoolError:
    """FastAPI's validation error as ours: bad JSON is a 400, a schema violation a 422."""
    errors = list(exc.errors())
    for e in errors:
        if e.get("type") == "json_invalid":
            reason = e.get("ctx", {}).get("error", "invalid JSON")
            return MalformedRequestError(f"the body is not valid JSON: {reason}")
    details = [
        {"path": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg"))}
        for e in errors
    ]
    listed = "; ".join(f"{d['path']}: {d['message']}" for d in details)
    return InputValidationError(f"the request does not match its schema: {listed}", details)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI could not parse the body (bad UTF-8, huge numbers)
        error = MalformedRequestError(f"the body could not be parsed: {exc.detail}")
        return error_response(request.method, _url(request), error)
    name = HTTPStatus(exc.status_code).phrase.title().replace(" ", "").replace("-", "") + "Error"
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    body = error_body(request.method, _url(request), exc.status_code, name, message)
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    body = error_body(request.method, _url(request), 500, "InternalServerError", "internal error")
    return JSONResponse(body, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ActionPoolError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
