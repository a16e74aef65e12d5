"""Contract: the CRM's default remote config and the gateway's own defaults are the same values.

The CRM serves every gateway its ``DEFAULTS`` deep-merged with the office's override; the
gateway falls back to the defaults of ``beacon_gateway/config.py`` for every key the CRM does not
send (and before it has heard from the CRM at all). If the two disagreed, a gateway would change
behaviour the moment it first reached the CRM, and a gateway's file with no ``[presence]`` would
not mean what the CRM's office shows. docs/architecture.md § Contracts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from beacon_gateway.config import GatewayConfig, GatewaySection
from beacon_gateway.remote_config import apply_remote
from crm.fleet import service as fleet

MAX_EVENTS = 5_000  # the CRM's default BALISE_INGEST_MAX_EVENTS


def _crm_defaults() -> dict[str, dict[str, Any]]:
    return fleet.DEFAULTS


@pytest.mark.parametrize("section", ["presence", "upload"])
def test_the_crm_defaults_every_gateway_key_it_manages(section: str) -> None:
    """The CRM names the thresholds and cadence it manages, each with a default."""
    crm = _crm_defaults()[section]
    gateway = {f.name for f in dataclasses.fields(getattr(GatewayConfig(), section))}
    assert crm, f"the CRM has no default [{section}]"
    assert set(crm) <= gateway, f"[{section}] keys the gateway does not know: {set(crm) - gateway}"


@pytest.mark.parametrize("section", ["scan", "presence", "advertise", "upload"])
def test_each_crm_default_equals_the_gateways_default(section: str) -> None:
    gateway = dataclasses.asdict(getattr(GatewayConfig(), section))
    crm = _crm_defaults().get(section, {})
    assert {key: gateway[key] for key in crm} == crm


def test_the_served_default_document_changes_nothing_on_a_default_gateway() -> None:
    """A gateway with an empty config that receives the CRM's default document keeps every
    value: nothing changes when it first reaches the CRM."""
    document = {
        "gateway_id": "zoo-1",
        "config_version": 1,
        **fleet.document_content({}, [], max_events=MAX_EVENTS),
    }
    local = GatewayConfig(gateway=GatewaySection(id="zoo-1"))
    _, effective = apply_remote(local, document, "zoo-1")
    assert effective.presence == local.presence
    assert effective.upload == local.upload
    assert effective.scan == local.scan
    assert effective.advertise == local.advertise
    assert effective.remote_hash() == local.remote_hash()
