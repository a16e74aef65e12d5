"""A small registry through which packages that depend on ``crm`` plug into it at start-up.

``crm`` never imports ``roadbook`` or ``partners``; where it must act on their data (seed the
demo, export or erase a visitor), they register a hook here from ``crm.main``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

Hook = Callable[..., Awaitable[Any]]
_hooks: defaultdict[str, list[Hook]] = defaultdict(list)


def register(point: str, hook: Hook) -> None:
    """Add ``hook`` to ``point`` (registering the same hook twice is a no-op)."""
    if hook not in _hooks[point]:
        _hooks[point].append(hook)


async def run(point: str, *args: Any, **kwargs: Any) -> list[Any]:
    """Await every hook of ``point`` in registration order; their results, in order."""
    return [await hook(*args, **kwargs) for hook in _hooks[point]]
