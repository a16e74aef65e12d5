"""Where the CRM is reached: visitors' absolute links, and the host names it answers to.

A request's ``Host`` header is whatever the client wrote: a link built from it (``request.
base_url``, ``url_for``) can point a visitor's saved roadbook link at someone else's server.
Links are built from ``settings.public_url``; other hosts are refused (``crm.core.hosts``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import Scope

from crm.core.settings import Settings


def public_url(settings: Settings, path: str) -> str:
    """The absolute URL of ``path`` (starting with ``/``) under the configured public URL."""
    return settings.public_url.rstrip("/") + path


def host_name(host: str) -> str:
    """The host name of a ``Host`` header value: lower case, no port, no IPv6 brackets, no
    trailing dot; ``""`` when the value is not a host (so that it matches nothing)."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1 :] if end > 0 else "x"
        if rest and not (rest[0] == ":" and _is_port(rest[1:])):
            return ""
        return host[1:end]
    name, colon, port = host.partition(":")
    if colon and not _is_port(port):
        return ""  # a bare IPv6 address or a bad port: not a Host value
    return name.rstrip(".")


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _configured(entry: str) -> str:
    """An ``allowed_hosts`` entry as ``host_name`` returns it (a bare ``::1`` is accepted)."""
    entry = entry.strip().lower()
    return entry if entry.count(":") > 1 and not entry.startswith("[") else host_name(entry)


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """The host names this CRM answers to: ``public_url``'s and the operator's ``allowed_hosts``."""
    names = {_configured(entry) for entry in settings.allowed_hosts}
    names.add((urlsplit(settings.public_url).hostname or "").rstrip("."))
    names.discard("")
    return frozenset(names)


def route_path(scope: Scope) -> str:
    """The request's path inside the app (without the ``root_path`` a proxy mounts it under)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
