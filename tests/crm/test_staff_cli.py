"""``crm staff add``: the password comes from stdin or a prompt, never from argv."""

from __future__ import annotations

import os
import subprocess
import sys

from cli_support import insert_destination, query, run_crm


def test_staff_add_reads_the_password_from_stdin(committed_db_url: str) -> None:
    insert_destination(committed_db_url, "amneville")
    args = ("staff", "add", "Lea@Office.example", "--role", "admin", "--destination", "amneville")
    result = run_crm(committed_db_url, *args, "--password-stdin", stdin="a long passphrase\n")
    assert result.returncode == 0, result.stderr
    assert "lea@office.example (admin) created" in result.stdout
    [(email, role, hashed)] = query(
        committed_db_url, "SELECT email, role, password_hash FROM staff_user"
    )
    assert (email, role) == ("lea@office.example", "admin")
    assert hashed.startswith("$argon2id$") and "a long passphrase" not in hashed

    again = run_crm(committed_db_url, *args, "--password-stdin", stdin="another passphrase\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    short = run_crm(
        committed_db_url, "staff", "add", "x@office.example", "--role", "desk",
        "--destination", "amneville", "--password-stdin", stdin="short\n",
    )  # fmt: skip
    assert short.returncode == 1 and "password" in short.stderr
    nowhere = run_crm(
        committed_db_url, "staff", "add", "x@office.example", "--role", "desk",
        "--destination", "nowhere", "--password-stdin", stdin="a long passphrase\n",
    )  # fmt: skip
    assert nowhere.returncode == 1 and "no destination" in nowhere.stderr


def test_staff_add_has_no_password_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crm", "staff", "add", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0
    assert "--password-stdin" in result.stdout
    assert "--password " not in result.stdout


def test_staff_add_prompts_twice_for_the_password(committed_db_url: str) -> None:
    insert_destination(committed_db_url, "metz")
    args = ("staff", "add", "tom@office.example", "--role", "desk", "--destination", "metz")
    mismatch = run_crm(committed_db_url, *args, stdin="first passphrase\nsecond passphrase\n")
    assert mismatch.returncode != 0
    result = run_crm(committed_db_url, *args, stdin="same passphrase\nsame passphrase\n")
    assert result.returncode == 0, result.stderr
    assert "same passphrase" not in result.stdout + result.stderr
