"""A small registry through which packages that depend on ``crm`` plug into it at start-up.

``crm`` never imports ``roadbook`` or ``partners``; where it must act on their data (seed the
demo, export or erase a visitor), they register a hook here from ``crm.main``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

Hook = Callable[..., Awaitable[Any]]

# Hook points of the data-subject rights (crm.rights.service). Hooks get a session inside the
# caller's transaction — a tenant session or a ``system`` one (RLS off: filter on
# ``destination_id`` yourself) — and must not commit it.
#
# ``visitor.export``: ``async def hook(session: AsyncSession, visitor: Visitor) ->
# Mapping[str, Any]`` returns extra top-level sections of the visitor's export (e.g.
# ``{"exposures": [...], "redemptions": [...]}``), JSON-ready; replacing a core section is an error.
VISITOR_EXPORT = "visitor.export"
# ``visitor.erase``: ``async def hook(session: AsyncSession, destination_id: uuid.UUID,
# visitor_ids: Sequence[uuid.UUID]) -> None`` deletes every row of the package that refers to
# these visitors. Called before crm deletes its own rows, again for the same ids after a backup
# is restored (``crm rights reapply-erasures``), so it must be idempotent and set-wise.
VISITOR_ERASE = "visitor.erase"
_hooks: defaultdict[str, list[Hook]] = defaultdict(list)


def register(point: str, hook: Hook) -> None:
    """Add ``hook`` to ``point`` (registering the same hook twice is a no-op)."""
    if hook not in _hooks[point]:
        _hooks[point].append(hook)


async def run(point: str, *args: Any, **kwargs: Any) -> list[Any]:
    """Await every hook of ``point`` in registration order; their results, in order."""
    return [await hook(*args, **kwargs) for hook in _hooks[point]]
