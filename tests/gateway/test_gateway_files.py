"""The gateway's atomic file writes, its reads of saved files, and its graceful stop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import stat
from pathlib import Path

import pytest

from beacon_gateway.files import read_saved, write_atomic
from beacon_gateway.shutdown import stop_on_signals


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_saved_file_missing_or_damaged_is_none_and_damage_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("beacon_gateway.test")
    saved = tmp_path / "state.json"
    assert read_saved(saved, lambda raw: raw["n"], log, "the state") is None
    assert caplog.records == [], "no file yet is not worth a warning"
    for damaged in ("{not json", '{"m": 1}', "[1]"):
        saved.write_text(damaged)
        assert read_saved(saved, lambda raw: raw["n"], log, "the state") is None
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["ignoring the state"] * 3
    saved.write_text('{"n": 7}')
    assert read_saved(saved, lambda raw: raw["n"], log, "the state") == 7


def test_write_atomic_replaces_the_file_with_the_mode_asked(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "token"  # the folder is created
    write_atomic(target, "first")
    assert target.read_text() == "first"
    assert _mode(target) == 0o600
    (tmp_path / "etc" / "token.tmp").write_text("left by a power cut")
    (tmp_path / "etc" / "token.tmp").chmod(0o644)
    write_atomic(target, b"second", mode=0o640)  # a leftover temporary file gets the mode too
    assert target.read_bytes() == b"second"
    assert _mode(target) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["token"]


def test_write_atomic_without_a_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "gateway.toml", "x = 1\n", mode=None)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "gateway.toml") == 0o640


def test_a_failed_check_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "gateway.toml"
    target.write_text("good = 1\n")
    seen: list[str] = []

    def check(candidate: Path) -> None:
        seen.append(candidate.read_text())
        raise ValueError("bad key")

    with pytest.raises(ValueError, match="bad key"):
        write_atomic(target, "bad = \n", check=check)
    assert seen == ["bad = \n"]  # the check read the new text, fsynced, before the rename
    assert target.read_text() == "good = 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gateway.toml"]


async def test_sigterm_sets_the_stop_event_and_the_handlers_go_away() -> None:
    loop = asyncio.get_running_loop()
    with stop_on_signals(asyncio.Event()) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), timeout=5.0)
        assert stop.is_set()
    # left: the default handlers are back (another SIGTERM would end the process)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert loop.remove_signal_handler(signal.SIGINT) is False


async def test_no_handler_is_installed_when_not_enabled() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals(asyncio.Event(), enabled=False) as stop:
        assert signal.getsignal(signal.SIGTERM) == before
        assert not stop.is_set()
