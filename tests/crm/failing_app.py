"""The CRM with one test-only route that fails unexpectedly (tests/crm/test_error_burst.py).

Served by ``uvicorn tests.crm.failing_app:create --factory`` in a process of its own, the way
``crm serve`` serves the CRM: settings come from the environment.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

from crm.main import create_app


def create() -> FastAPI:
    """The CRM plus ``GET /test/fail``, a 500 with large local variables."""
    app = create_app()

    @app.get("/test/fail")
    async def fail(request: Request) -> None:
        # Like a large ingest batch in flight when something unexpected goes wrong; the request
        # scope (its Authorization header included) is a local of every frame below.
        authorization = request.headers["authorization"]
        rows = [{"n": n, "authorization": authorization, "text": "x" * 100} for n in range(5_000)]
        raise RuntimeError(f"unexpected failure after {len(rows)} rows")

    return app
