"""crm.core.kept.Kept: a value per key for ttl_s seconds, then gone; forget drops one or all."""

from __future__ import annotations

from crm.core.kept import Kept


def test_a_value_is_kept_for_its_ttl_then_gone() -> None:
    now = [0.0]
    kept: Kept[str, int] = Kept(60, clock=lambda: now[0])
    assert kept.get("a") is None
    assert kept.put("a", 1) == 1
    now[0] = 59.9
    assert kept.get("a") == 1
    now[0] = 60.0
    assert kept.get("a") is None


def test_forget_drops_one_key_or_every_key() -> None:
    kept: Kept[str, int] = Kept(60, clock=lambda: 0.0)
    kept.put("a", 1)
    kept.put("b", 2)
    kept.forget("a")
    assert (kept.get("a"), kept.get("b")) == (None, 2)
    kept.forget()
    assert kept.get("b") is None
