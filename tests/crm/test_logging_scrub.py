"""Secrets never reach the logs, and logging an exception is cheap (issue 10, finding 1).

Roadbook tokens in paths, bearer tokens, ``Authorization``/``Cookie`` headers (as the ASGI
scope holds them: ``(b"authorization", b"Bearer ...")`` pairs), password fields and passwords
in URLs are scrubbed from every logged value, nested or not, exception text and tracebacks
included. Tracebacks are plain text (no local variables): JSON by default, a console renderer
only when stderr is a terminal.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.core import logging as core_logging
from crm.core.settings import Settings

SECRET = "S3cr3tT0ken-abc_DEF.123"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /r/AbC-123_xyz/feed.json 200", "GET /r/***/feed.json 200"),
        ("/r/tok?x=1", "/r/***?x=1"),
        ('"GET /r/tok HTTP/1.1"', '"GET /r/*** HTTP/1.1"'),
        ("/readyz", "/readyz"),
        (f"Authorization: Bearer {SECRET}", "Authorization: ***"),
        (f"bad header bearer {SECRET} here", "bad header bearer *** here"),
        (f"Basic {SECRET}==", "Basic ***"),
        (f"cookie: session={SECRET}; theme=dark", "cookie: ***"),
        (
            f"[(b'host', b'x'), (b'authorization', b'Bearer {SECRET}')]",
            "[(b'host', b'x'), (b'authorization', b'***')]",
        ),
        (f"{{'Cookie': '{SECRET}', 'n': 1}}", "{'Cookie': '***', 'n': 1}"),
        (f'{{"password": "{SECRET}"}}', '{"password": "***"}'),
        (f"host=db user=crm password={SECRET} dbname=x", "host=db user=crm password=*** dbname=x"),
        (
            f"postgresql+psycopg://crm:{SECRET}@db:5432/balise",
            "postgresql+psycopg://crm:***@db:5432/balise",
        ),
        ("invalid token for gateway gw-1", "invalid token for gateway gw-1"),
        ("postgresql://db:5432/balise", "postgresql://db:5432/balise"),
    ],
)
def test_scrub(line: str, expected: str) -> None:
    assert core_logging.scrub(line) == expected


def test_scrub_value_reaches_nested_values_and_header_pairs() -> None:
    scope = {
        "type": "http",
        "path": f"/r/{SECRET}/feed.json",
        "headers": [(b"host", b"crm"), (b"authorization", f"Bearer {SECRET}".encode())],
        "state": {"cookie": SECRET, "nested": ({"password": SECRET}, [f"token={SECRET}"])},
        "session_token": SECRET,
        "tokens_rotated": 3,
        "count": 2,
    }
    scrubbed = core_logging.scrub_value(scope)
    assert SECRET not in repr(scrubbed)
    assert scrubbed["headers"] == [("host", "crm"), ("authorization", "***")]
    assert scrubbed["path"] == "/r/***/feed.json"
    assert scrubbed["state"]["cookie"] == "***"
    assert scrubbed["session_token"] == "***"
    assert scrubbed["tokens_rotated"] == 3
    assert scrubbed["count"] == 2
    assert scope["session_token"] == SECRET  # the caller's objects are not modified


# Where a secret may hide in a logged value: under a secret's name, after a scheme, in a URL.
_hiding = st.sampled_from(
    [
        lambda s: {"authorization": f"Bearer {s}"},
        lambda s: {"Cookie": f"sid={s}"},
        lambda s: {"password": s},
        lambda s: {"api_key": s},
        lambda s: (b"authorization", b"Bearer " + s.encode()),
        lambda s: (b"cookie", s.encode()),
        lambda s: f"GET /r/{s}/feed.json",
        lambda s: f"got Bearer {s} from the gateway",
        lambda s: f"postgresql://crm:{s}@db/balise",
        lambda s: f"password={s}",
        lambda s: RuntimeError(f"Authorization: Bearer {s}"),
    ]
)
_secrets = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=12
)


def _nest(value: Any, shapes: list[int]) -> Any:
    for shape in shapes:
        value = [value, 1] if shape == 0 else (None, value) if shape == 1 else {"inner": value}
    return value


@settings(max_examples=150, deadline=None)
@given(hide=_hiding, secret=_secrets, shapes=st.lists(st.integers(0, 2), max_size=5))
def test_no_secret_survives_rendering(hide: Any, secret: str, shapes: list[int]) -> None:
    stream = io.StringIO()
    core_logging.configure(json_lines=True, stream=stream)
    structlog.get_logger("test").info("event", value=_nest(hide(secret), shapes))
    line = stream.getvalue()
    assert json.loads(line)["event"] == "event"
    assert secret not in line


def _fail_with_big_locals() -> None:
    authorization = f"Bearer {SECRET}"
    rows = [{"n": n, "marker": "LOCAL-VALUE"} for n in range(10_000)]
    raise RuntimeError(f"failed with {len(rows)} rows, {authorization}, path /r/{SECRET}")


def _failure_logged(log: Callable[[], None]) -> tuple[dict[str, Any], str]:
    """The JSON record ``log`` writes while handling _fail_with_big_locals, and all it wrote."""
    stream = io.StringIO()
    core_logging.configure(json_lines=True, stream=stream)
    try:
        _fail_with_big_locals()
    except RuntimeError:
        log()
    return json.loads(stream.getvalue()), stream.getvalue()


def test_exception_is_a_plain_traceback_without_locals() -> None:
    record, written = _failure_logged(
        lambda: structlog.get_logger("test").exception("unhandled_error", path="/x")
    )
    assert record["event"] == "unhandled_error"
    assert record["level"] == "error"
    exception = record["exception"]
    assert isinstance(exception, str)
    assert exception.startswith("Traceback (most recent call last):")
    assert "_fail_with_big_locals" in exception
    assert "RuntimeError: failed with 10000 rows, Bearer ***, path /r/***" in exception
    assert "LOCAL-VALUE" not in exception  # no local variables
    assert SECRET not in written


def test_stdlib_exceptions_are_plain_and_scrubbed() -> None:
    """uvicorn's "Exception in ASGI application" comes through the stdlib logger."""
    record, written = _failure_logged(
        lambda: logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    )
    assert record["event"] == "Exception in ASGI application"
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert "LOCAL-VALUE" not in record["exception"]
    assert SECRET not in written


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_default_is_json_unless_stderr_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).log_json is None  # type: ignore[call-arg]
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    core_logging.configure(Settings(_env_file=None).log_json)  # type: ignore[call-arg]
    structlog.get_logger("test").info("started", port=8000)
    assert json.loads(piped.getvalue())["event"] == "started"

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    core_logging.configure(None)
    try:
        _fail_with_big_locals()
    except RuntimeError:
        structlog.get_logger("test").exception("unhandled_error")
    text = terminal.getvalue()
    assert "unhandled_error" in text
    assert "Traceback (most recent call last):" in text
    assert "LOCAL-VALUE" not in text  # never locals, even in a terminal
    assert "╭" not in text  # a plain traceback, not rich's boxes
    assert SECRET not in text


def test_log_json_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALISE_LOG_JSON", "false")
    assert Settings(_env_file=None).log_json is False  # type: ignore[call-arg]
    monkeypatch.setenv("BALISE_LOG_JSON", "true")
    assert Settings(_env_file=None).log_json is True  # type: ignore[call-arg]


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
