"""Eddystone and iBeacon protocol library: parse and build frames, EID maths. Pure, no I/O.

Every way bytes can be wrong raises an :class:`EddystoneError` (a ``ValueError``); nothing else
escapes for any input.
"""

from eddystone.ad import Advertisement, frames_in, parse_advertisement, uuid_string
from eddystone.build import (
    LEGACY_PAYLOAD_LIMIT,
    advertising_payload,
    build_eid,
    build_etlm,
    build_frame,
    build_tlm,
    build_uid,
    build_url,
)
from eddystone.eax import eax_decrypt, eax_encrypt
from eddystone.eid import (
    EidIdentity,
    EidMatch,
    EidTable,
    compute_eid,
    eids_for_window,
    temporary_key,
    window_start,
)
from eddystone.errors import (
    BuildError,
    EddystoneError,
    IntegrityError,
    KeyExchangeError,
    MalformedAdvertisementError,
    MalformedFrameError,
    PayloadTooLongError,
    TruncatedError,
    UrlEncodingError,
)
from eddystone.etlm import decrypt_etlm, encrypt_tlm, etlm_nonce
from eddystone.frames import (
    APPLE_COMPANY_ID,
    EDDYSTONE_SERVICE_UUID,
    EDDYSTONE_UUID16,
    EddystoneFrame,
    EidFrame,
    EtlmFrame,
    Frame,
    IBeaconFrame,
    TlmFrame,
    UidFrame,
    UnknownFrame,
    UrlFrame,
)
from eddystone.ibeacon import build_ibeacon, parse_manufacturer_data
from eddystone.jsonshape import frame_to_json
from eddystone.namespace import namespace_from_fqdn, namespace_from_uuid
from eddystone.parse import parse_service_data
from eddystone.registration import (
    EidRegistration,
    beacon_identity_key,
    generate_private_key,
    identity_key_from_secret,
    public_key,
    register_beacon,
    resolver_identity_key,
    shared_secret,
)
from eddystone.url import decode_url, encode_url

__all__ = [
    "APPLE_COMPANY_ID",
    "EDDYSTONE_SERVICE_UUID",
    "EDDYSTONE_UUID16",
    "LEGACY_PAYLOAD_LIMIT",
    "Advertisement",
    "BuildError",
    "EddystoneError",
    "EddystoneFrame",
    "EidFrame",
    "EidIdentity",
    "EidMatch",
    "EidRegistration",
    "EidTable",
    "EtlmFrame",
    "Frame",
    "IBeaconFrame",
    "IntegrityError",
    "KeyExchangeError",
    "MalformedAdvertisementError",
    "MalformedFrameError",
    "PayloadTooLongError",
    "TlmFrame",
    "TruncatedError",
    "UidFrame",
    "UnknownFrame",
    "UrlEncodingError",
    "UrlFrame",
    "advertising_payload",
    "beacon_identity_key",
    "build_eid",
    "build_etlm",
    "build_frame",
    "build_ibeacon",
    "build_tlm",
    "build_uid",
    "build_url",
    "compute_eid",
    "decode_url",
    "decrypt_etlm",
    "eax_decrypt",
    "eax_encrypt",
    "eids_for_window",
    "encode_url",
    "encrypt_tlm",
    "etlm_nonce",
    "frame_to_json",
    "frames_in",
    "generate_private_key",
    "identity_key_from_secret",
    "namespace_from_fqdn",
    "namespace_from_uuid",
    "parse_advertisement",
    "parse_manufacturer_data",
    "parse_service_data",
    "public_key",
    "register_beacon",
    "resolver_identity_key",
    "shared_secret",
    "temporary_key",
    "uuid_string",
    "window_start",
]
