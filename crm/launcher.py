"""The ``crm`` command's entry point: one line, not a traceback, where the server is not installed.

A gateway-only install (``pip install 'balise[gateway]'`` on a Pi) carries the ``crm`` package
but none of the server's dependencies; ``crm --help`` there says which extra to install.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

OWN_PACKAGES = frozenset({"crm", "eddystone", "beacon_gateway", "roadbook", "partners"})


def main() -> None:
    """``crm``: the CRM's CLI, or a one-line message naming ``balise[server]``."""
    try:
        from crm.cli import app
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if not missing or missing in OWN_PACKAGES:
            raise
        sys.exit(
            f"crm: the CRM server is not installed here (no module {missing!r}); "
            "install it with: pip install 'balise[server]'"
        )
    app(prog_name="crm")
