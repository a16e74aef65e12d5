"""`beacon-gateway enroll CODE` against the real CRM: a claim code becomes a token and a config."""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx2
import pytest

from beacon_gateway.cli.toml_edit import set_toml_keys
from beacon_gateway.config import load_config
from beacon_gateway.remote_config import ConfigStore
from tests.conftest import LiveServer
from tests.gateway.unprivileged import gateway_as_user, user_folder


def _crm(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "crm", *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _enroll(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "beacon_gateway", "enroll", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_enroll_writes_the_token_0600_and_the_config(
    live_server: LiveServer, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": live_server.database_url}
    _crm(env, "demo", "--scenario", str(tmp_path / "scenario.json"))
    slug = json.loads(_crm(env, "site", "list", "--json"))[0]["slug"]
    code = _crm(env, "gateway", "add", "pi-9", "--site", slug, "--claim").strip().splitlines()[-1]

    config, token_file, data_dir = tmp_path / "gw.toml", tmp_path / "token", tmp_path / "data"
    argv = [code, "--config", str(config), "--crm-url", live_server.url]
    argv += ["--token-file", str(token_file), "--data-dir", str(data_dir)]
    done = _enroll(*argv)
    assert done.returncode == 0, done.stderr
    assert "enrolled as pi-9" in done.stderr
    assert "check the scanning and calibrate" in done.stderr, "the docs' next step: part 7"
    assert f"beacon-gateway calibrate --config {config} --any" in done.stderr

    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    cfg = load_config(config)
    assert cfg.gateway.id == "pi-9"
    assert cfg.gateway.crm_url == live_server.url
    assert cfg.gateway.token_file == str(token_file)
    stored = ConfigStore(data_dir).load()
    assert stored is not None and stored.document["gateway_id"] == "pi-9"

    answer = httpx2.get(
        live_server.url + "/api/v1/gateway/config",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, "the token works"
    assert answer.json()["config_version"] == stored.version

    again = _enroll(*argv)
    assert again.returncode == 2
    assert "enrolment refused" in again.stderr and "403" in again.stderr
    assert token_file.read_text().strip() == token, "a refused code changes nothing"


def test_existing_config_keeps_its_comments_and_other_keys() -> None:
    text = (
        '# site: spa\n[gateway]   # who\nid = "old"  # renamed by enroll\n'
        'data_dir = "/srv/balise"\n\n[presence]\nrx_offset_db = 4.5\n'
    )
    out = set_toml_keys(text, "gateway", {"id": "pi-9", "crm_url": "https://crm.example"})
    assert out.splitlines() == [
        "# site: spa",
        "[gateway]   # who",
        'crm_url = "https://crm.example"',
        'id = "pi-9"',
        'data_dir = "/srv/balise"',
        "",
        "[presence]",
        "rx_offset_db = 4.5",
    ]
    assert set_toml_keys("", "gateway", {"id": "a"}).startswith('[gateway]\nid = "a"')


def _claim_code(live_server: LiveServer, name: str) -> str:
    env = {**os.environ, "DATABASE_URL": live_server.database_url}
    _crm(env, "destination", "add", "plantroom", "--name", "Plant room", "--timezone", "UTC")
    _crm(env, "site", "add", "spa", "--name", "Spa", "--lat", "49.2", "--lon", "6.1")
    return _crm(env, "gateway", "add", name, "--site", "spa", "--claim").strip().splitlines()[-1]


def test_an_unwritable_path_is_found_before_the_code_is_spent(live_server: LiveServer) -> None:
    """As a normal user, into a temporary folder: a read-only token folder stops `enroll`
    before it sends the code, which then still works; token and data go next to the config."""
    code = _claim_code(live_server, "spa-1")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o755)  # the user may go through it
        site = user_folder(Path(tmp) / "site")
        locked = user_folder(site / "locked")
        locked.chmod(0o555)
        config = site / "gateway.toml"
        base = ["enroll", code, "--config", str(config), "--crm-url", live_server.url]
        wrong = ["enroll", "0000-0000-0000-0000", "--crm-url", live_server.url]
        warm_up = [*wrong, "--config", str(Path(tmp) / "warm-up" / "gateway.toml")]

        status, out = gateway_as_user([*base, "--token-file", str(locked / "token")], warm_up)
        assert status == 1, out
        assert f"cannot write: {locked / 'token'}" in " ".join(out.split())
        assert "the code is still valid" in out
        assert not config.exists() and list(locked.iterdir()) == []

        status, out = gateway_as_user(base, warm_up)
        assert status == 0, out
        assert "enrolled as spa-1" in out
        token, data = site / "token", site / "data"
        cfg = load_config(config)
        assert (cfg.gateway.token_file, cfg.gateway.data_dir) == (str(token), str(data))
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (config, token, data)}
        assert modes == {"gateway.toml": 0o600, "token": 0o600, "data": 0o750}
        assert stat.S_IMODE((data / "remote-config.json").stat().st_mode) == 0o600
        assert ConfigStore(data).load() is not None
        answer = httpx2.get(
            live_server.url + "/api/v1/gateway/config",
            headers={"Authorization": f"Bearer {token.read_text().strip()}"},
            timeout=10,
        )
        assert answer.status_code == 200, "the code was exchanged on the second try"


def test_a_malformed_code_gets_the_hint_before_any_network_call(tmp_path: Path) -> None:
    config = tmp_path / "site" / "gateway.toml"
    # No CRM listens on port 9: a network call would say "cannot reach", not the hint.
    done = _enroll("7KQ2-M9XD-4HTA", "--config", str(config), "--crm-url", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert " ".join(done.stderr.split()) == (
        "not a claim code: '7KQ2-M9XD-4HTA' is not a claim code "
        "(16 letters and digits, e.g. 7KQ2-M9XD-4HTA-PW3C)"
    )
    assert not (tmp_path / "site").exists(), "nothing written"


def test_an_unreachable_crm_is_not_a_refusal_and_the_code_stays_valid(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    done = _enroll(
        "7kq2 m9xd 4hta pw3c", "--config", str(config), "--crm-url", "http://127.0.0.1:9"
    )
    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert message.startswith("cannot reach the CRM at http://127.0.0.1:9: ConnectError")
    assert message.endswith("Check the network and the address; the code is still valid.")
    assert "refused" not in message.replace("Connection refused", "")
    assert not config.exists() and not (tmp_path / "token").exists()


def test_root_is_refused_in_the_service_users_folder_before_the_code_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sudo beacon-gateway enroll` without `-u balise` would write root's 0600 files where the
    service cannot read them, and spend the code on them."""
    from typer.testing import CliRunner

    from beacon_gateway.cli import app

    site = tmp_path / "etc-balise"
    site.mkdir()
    if os.geteuid() == 0:
        os.chown(site, 65534, 65534)  # the service user's folder
    owner = pwd.getpwuid(site.stat().st_uid).pw_name
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    # No CRM listens on port 9: a network call would say "cannot reach", not this.
    argv = ["enroll", "7KQ2-M9XD-4HTA-PW3C", "--config", str(site / "gateway.toml")]
    done = CliRunner().invoke(app, [*argv, "--crm-url", "http://127.0.0.1:9"])
    assert done.exit_code == 1, done.output
    message = " ".join(done.output.split())
    assert message.startswith(f"wrong user: {site} belongs to {owner}")
    assert f"run as {owner} (sudo -u {owner} beacon-gateway enroll ...)" in message
    assert message.endswith("Nothing was sent: the code is still valid.")
    assert list(site.iterdir()) == []
