"""The bare endpoint: `POST /v1/actions/{actionId}/runs` that only calls `apply_async`.

Served like `actionpool api` (uvicorn, one worker, access log off, default loop and HTTP
implementation: uvloop and httptools when installed). Like the pool's route it is `async def`
and runs the blocking publish in starlette's thread pool, so both pay the same thread hop.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from actionpool.api.settings import ApiSettings
from actionpool.cli import serve
from bench.plain import QUEUE, create_plain_app


def create_bare_app(settings: ApiSettings) -> FastAPI:
    _, noop = create_plain_app(settings)
    app = FastAPI(title="bench bare endpoint")

    @app.post("/v1/actions/{actionId}/runs", status_code=202)
    async def create_run(actionId: str, body: dict[str, Any]) -> dict[str, str]:  # noqa: N803
        accepted = time.time()
        result = await run_in_threadpool(noop.apply_async, args=(accepted,), queue=QUEUE)
        return {"id": result.id, "actionId": actionId}

    return app


def app_from_env() -> FastAPI:
    """uvicorn factory (`bench.bare_api:app_from_env`)."""
    return create_bare_app(ApiSettings())


def main() -> None:
    """Served exactly like `actionpool api` (`api.cli.serve`)."""
    serve("bench.bare_api:app_from_env", ApiSettings())


if __name__ == "__main__":
    main()
