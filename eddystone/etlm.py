"""Encrypted TLM: plain TLM fields under AES-EAX with the pass's identity key.

Nonce = beacon time counter with the K low bits cleared (4 bytes BE) ‖ 2-byte salt; header
empty; MIC = first 2 bytes of the EAX tag. The gateway cannot decrypt (it holds no keys); the
server pairs the eTLM with the EID it resolved and calls :func:`decrypt_etlm`. A 2-byte MIC is
forged once in 65 536 tries: treat the result as advisory.
"""

from __future__ import annotations

from eddystone.build import build_tlm
from eddystone.eax import eax_decrypt, eax_encrypt
from eddystone.eid import window_start
from eddystone.errors import EddystoneError, IntegrityError
from eddystone.frames import EtlmFrame, TlmFrame
from eddystone.parse import parse_service_data

MIC_LENGTH = 2


def etlm_nonce(time_counter: int, k: int, salt: bytes) -> bytes:
    """The 6-byte eTLM nonce: window start of ``time_counter`` (BE) then the salt."""
    if len(salt) != 2:
        raise EddystoneError(f"the eTLM salt is 2 bytes, got {len(salt)}")
    if not 0 <= time_counter <= 0xFFFFFFFF or not 0 <= k <= 15:
        raise EddystoneError("the eTLM time counter is a uint32 and K is 0..15")
    return window_start(time_counter, k).to_bytes(4, "big") + salt


def encrypt_tlm(
    identity_key: bytes, tlm: TlmFrame, *, time_counter: int, k: int, salt: bytes
) -> EtlmFrame:
    """Encrypt a plain TLM as a beacon with ``identity_key`` would at ``time_counter``."""
    plaintext = build_tlm(tlm.battery_mv, tlm.temperature_c, tlm.adv_count, tlm.uptime_s)[2:]
    ciphertext, tag = eax_encrypt(identity_key, etlm_nonce(time_counter, k, salt), plaintext)
    return EtlmFrame(1, ciphertext, salt, tag[:MIC_LENGTH])


def decrypt_etlm(identity_key: bytes, frame: EtlmFrame, *, time_counter: int, k: int) -> TlmFrame:
    """Check the MIC and decrypt ``frame``; IntegrityError if key, window or bytes are wrong.

    ``time_counter`` is any beacon time inside the window the frame was sent in (for instance
    ``EidMatch.window_start`` of the pass's resolved EID).
    """
    if len(frame.ciphertext) != 12 or len(frame.mic) != MIC_LENGTH:
        raise EddystoneError("eTLM needs 12 bytes of ciphertext and a 2-byte MIC")
    nonce = etlm_nonce(time_counter, k, frame.salt)
    try:
        plaintext = eax_decrypt(identity_key, nonce, frame.ciphertext, frame.mic)
    except IntegrityError:
        raise IntegrityError(
            "eTLM MIC mismatch: wrong identity key, wrong time window, or corrupted frame"
        ) from None
    tlm = parse_service_data(b"\x20\x00" + plaintext)
    assert isinstance(tlm, TlmFrame)
    return tlm
