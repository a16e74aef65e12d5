"""Security headers on every response: Content-Security-Policy, nosniff, no Referer.

- HTML pages load only from this origin (no inline script or style: the pages link their
  stylesheet), post forms only here, and may not be framed (clickjacking of the consent form).
- The API documentation pages (Swagger UI, ReDoc) load their scripts and styles from a CDN and
  start them with inline scripts, as FastAPI serves them: they keep working (online) with a
  policy that only forbids framing, ``<base>`` and plugins; they show nothing but our own schema.
- Anything else (JSON, problem+json, metrics) loads nothing and is never framed.

A response that sets its own ``Content-Security-Policy`` keeps it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
DOCS_POLICY = "base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeadersMiddleware:
    """Pure ASGI (``@app.middleware("http")`` wraps every request in a task and streams)."""

    def __init__(self, app: ASGIApp, docs_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # Roadbook URLs carry a secret: never leak them to third parties via Referer.
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Content-Security-Policy", self._policy(scope, headers))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _policy(self, scope: Scope, headers: MutableHeaders) -> str:
        if not headers.get("content-type", "").startswith("text/html"):
            return DATA_POLICY
        return DOCS_POLICY if scope["path"] in self.docs_paths else PAGE_POLICY
