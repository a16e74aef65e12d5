"""Config: defaults exactly as docs/architecture.md, and clear errors naming the bad key."""

import json
from pathlib import Path

import pytest

from beacon_gateway.config import (
    ConfigError,
    GatewayConfig,
    config_from_mapping,
    fit_to_server,
    load_config,
)


def test_presence_defaults_match_design() -> None:
    p = GatewayConfig().presence
    assert (p.enter_rssi_dbm, p.exit_rssi_dbm) == (-75.0, -85.0)
    assert (p.exit_timeout_s, p.dwell_interval_s, p.min_sightings) == (60.0, 60.0, 2)


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    f = tmp_path / "gw.toml"
    f.write_text("")
    assert load_config(f) == GatewayConfig()


def test_full_file_is_read(tmp_path: Path) -> None:
    f = tmp_path / "gw.toml"
    f.write_text(
        """
[gateway]
id = "zoo-1"
crm_url = "https://crm.example"
[scan]
mode = "passive"
namespaces = ["00112233445566778899"]
[presence]
enter_rssi_dbm = -70
min_sightings = 3
[advertise]
url = "https://ex.am/p"
uid = "00112233445566778899:aabbccddeeff"
[upload]
batch_max = 100
"""
    )
    cfg = load_config(f)
    assert cfg.gateway.id == "zoo-1"
    assert cfg.scan.mode == "passive"
    assert cfg.scan.namespaces == ("00112233445566778899",)
    assert cfg.presence.enter_rssi_dbm == -70.0
    assert isinstance(cfg.presence.enter_rssi_dbm, float)
    assert cfg.presence.min_sightings == 3
    assert cfg.presence.exit_rssi_dbm == -85.0  # untouched keys keep defaults
    assert cfg.upload.batch_max == 100


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"presense": {}}, "unknown section(s): presense"),
        ({"presence": {"enter_rssi": -70}}, "[presence] unknown key(s): enter_rssi"),
        ({"presence": {"min_sightings": 1.5}}, "presence.min_sightings: expected an integer"),
        ({"presence": {"min_sightings": 0}}, "presence.min_sightings: must be >= 1"),
        ({"presence": {"exit_timeout_s": "60"}}, "presence.exit_timeout_s: expected a number"),
        ({"presence": {"exit_timeout_s": True}}, "presence.exit_timeout_s: expected a number"),
        ({"presence": {"exit_rssi_dbm": -60}}, "presence.exit_rssi_dbm: must be <="),
        ({"scan": {"mode": "aggressive"}}, "scan.mode: must be one of 'active', 'passive'"),
        ({"scan": {"namespaces": ["XYZ"]}}, "scan.namespaces: 'XYZ' is not 20 hex digits"),
        (
            {"advertise": {"url": "https://example.org/a-path-far-too-long"}},
            "advertise.url: cannot be broadcast:",
        ),
        ({"scan": {"namespaces": "00112233445566778899"}}, "scan.namespaces: expected a list"),
        ({"gateway": {"crm_url": "ftp://x"}}, "gateway.crm_url: must start with http"),
        ({"advertise": {"tx_power_0m": 40}}, "advertise.tx_power_0m: must be in -100..20"),
        ({"upload": {"batch_max": 0}}, "upload.batch_max: must be >= 1"),
        ({"scan": 3}, "[scan] must be a table"),
    ],
)
def test_bad_values_are_refused_with_their_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    assert message in str(err.value)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    f = tmp_path / "gw.toml"
    f.write_text("[presence\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(f)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml")


def test_remote_section_replaces_and_hash_changes() -> None:
    base = config_from_mapping({"gateway": {"id": "spa-2"}, "presence": {"min_sightings": 4}})
    new = config_from_mapping({"presence": {"exit_timeout_s": 90}}, base=base)
    assert new.gateway.id == "spa-2"
    assert new.presence.exit_timeout_s == 90.0
    assert new.presence.min_sightings == 2  # the pushed section replaces the whole section
    assert new.remote_hash() != base.remote_hash()
    assert config_from_mapping({}, base=base).remote_hash() == base.remote_hash()


def test_example_config_documents_exactly_the_defaults() -> None:
    example = Path(__file__).parents[2] / "examples" / "gateway.toml"
    assert load_config(example) == GatewayConfig()


def test_batch_max_above_the_crms_limit_is_lowered_with_a_message() -> None:
    cfg = config_from_mapping({"upload": {"batch_max": 8000, "interval_s": 2}})
    fitted, notice = fit_to_server(cfg, 5000)
    assert fitted.upload.batch_max == 5000
    assert fitted.upload.interval_s == 2.0  # nothing else changes
    assert fitted.presence == cfg.presence
    assert notice is not None
    assert "upload.batch_max = 8000" in notice and "5000 events per batch" in notice
    assert fit_to_server(cfg, 8000) == (cfg, None)
    assert fit_to_server(cfg, 10_000) == (cfg, None)  # a higher limit raises nothing


def test_hex_identities_are_read_in_either_case_and_kept_lower() -> None:
    cfg = config_from_mapping(
        {
            "scan": {
                "namespaces": ["00112233445566778899", "AABBCCDDEEFF00112233"],
                "reference_beacon": "AABBCCDDEEFF00112233:0000000000C1",
            },
            "advertise": {"uid": "AaBbCcDdEeFf00112233:00000000ABCD"},
        }
    )
    assert cfg.scan.namespaces == ("00112233445566778899", "aabbccddeeff00112233")
    assert cfg.scan.reference_beacon == "aabbccddeeff00112233:0000000000c1"
    assert cfg.advertise.uid == "aabbccddeeff00112233:00000000abcd"


def test_config_show_names_the_source_of_each_value(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from beacon_gateway.cli import app
    from beacon_gateway.remote_config import ConfigStore, RemoteConfig

    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[gateway]\nid = "spa-1"\ndata_dir = "{tmp_path}"\n'
        "[scan]\nnamespaces = ['AABBCCDDEEFF00112233']\n"
        "[presence]\nenter_rssi_dbm = -70\nrx_offset_db = 4.5\n[upload]\nbatch_max = 900\n"
    )
    document = {
        "gateway_id": "spa-1",
        "config_version": 3,
        "presence": {"enter_rssi_dbm": -72.0},
        "limits": {"max_events_per_batch": 400},
    }
    ConfigStore(tmp_path).save(RemoteConfig(3, '"e3"', document))

    done = CliRunner().invoke(app, ["config", "show", "--config", str(config), "--json"])
    assert done.exit_code == 0, done.output
    rows = {
        r["key"]: (r["value"], r["source"]) for r in map(json.loads, done.stdout.split("\n")[:-1])
    }
    assert rows["presence.enter_rssi_dbm"] == (-72.0, "CRM"), "the hand edit is overridden"
    assert rows["presence.rx_offset_db"] == (4.5, "file")
    assert rows["presence.exit_rssi_dbm"] == (-85.0, "default")
    assert rows["upload.batch_max"] == (400, "CRM"), "lowered to the CRM's limit"
    assert rows["scan.namespaces"] == (["aabbccddeeff00112233"], "file")
    assert rows["gateway.id"] == ("spa-1", "file")
    assert len(rows) == 28

    text = CliRunner().invoke(app, ["config", "show", "--config", str(config)]).stdout
    assert "presence.enter_rssi_dbm     = -72.0                    # CRM\n" in text
    assert text.endswith("(version 3)\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[presence]\nexit_timeout_s = 10\n", "scan.restart_interval_s (10), or a pass"),
        ("[scan]\nrestart_interval_s = 90\n", "scan.restart_interval_s (90), or a pass"),
    ],
)
def test_a_file_with_exits_faster_than_scans_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    f = tmp_path / "gw.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert f"{f}: presence.exit_timeout_s: must be larger than {message}" in str(err.value)
