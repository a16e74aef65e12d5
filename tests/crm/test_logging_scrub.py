"""Roadbook tokens are secrets in URLs: they never reach the logs."""

from __future__ import annotations

import logging

import pytest

from crm.core import logging as core_logging


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /r/AbC-123_xyz/feed.json 200", "GET /r/***/feed.json 200"),
        ("/r/tok?x=1", "/r/***?x=1"),
        ('"GET /r/tok HTTP/1.1"', '"GET /r/*** HTTP/1.1"'),
        ("/readyz", "/readyz"),
    ],
)
def test_scrub(line: str, expected: str) -> None:
    assert core_logging.scrub(line) == expected


def test_access_log_records_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    core_logging.configure(json_lines=True)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/r/s3cr3t-token/feed.json", "1.1", 200
    )
    err = capsys.readouterr().err
    assert "s3cr3t-token" not in err
    assert "/r/***/feed.json" in err


def test_no_access_log_stays_off(capsys: pytest.CaptureFixture[str]) -> None:
    access = logging.getLogger("uvicorn.access")
    # what `uvicorn --no-access-log` does before the app configures logging
    access.handlers[:] = []
    access.propagate = False
    try:
        core_logging.configure(json_lines=True)
        assert not access.hasHandlers()  # uvicorn's protocol then logs no request at all
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/healthz", "1.1", 200)
        assert "/healthz" not in capsys.readouterr().err
    finally:
        access.propagate = True
