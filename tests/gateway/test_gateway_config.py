"""Config: defaults exactly as docs/architecture.md, and clear errors naming the bad key."""

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
        ({"scan": {"namespaces": ["XYZ"]}}, "scan.namespaces: 'XYZ' is not 20 lowercase hex"),
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
