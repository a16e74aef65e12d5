"""Server key rotation: generate a key, re-seal every identity key, drop the previous key."""

from __future__ import annotations

import base64
import json
import os

from cli_support import run_crm
from sqlalchemy import text

from crm.core import serverkey
from crm.core.db import Database
from crm.destinations import service as destinations
from crm.passes.models import Device


async def test_rotation_reseals_identity_keys_under_the_new_key(
    committed_db: Database, committed_db_url: str
) -> None:
    generated = run_crm(None, "server-key", "generate")
    assert generated.returncode == 0, generated.stderr
    new_text = generated.stdout.strip()
    assert len(base64.b64decode(new_text)) == 32
    old, new = os.urandom(32), base64.b64decode(new_text)
    identity_keys = [os.urandom(16) for _ in range(3)]
    async with committed_db.session(system=True) as session:
        destination = await destinations.create_destination(session, "rot", "Rotation")
        for i, identity_key in enumerate(identity_keys):
            session.add(
                Device(
                    destination_id=destination.id,
                    kind="eddystone-eid",
                    identity=f"eid:{i}",
                    identity_key_enc=serverkey.seal(old, identity_key),
                    rotation_exponent=10,
                )
            )
        await session.commit()

    env = {
        "DATABASE_URL": committed_db_url,
        "BALISE_SERVER_KEY": new_text,
        "BALISE_SERVER_KEY_PREVIOUS": base64.b64encode(old).decode(),
    }
    first = run_crm(None, "server-key", "reseal", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.strip().splitlines()[-1]) == {"resealed": 3}
    again = run_crm(None, "server-key", "reseal", env=env)
    assert json.loads(again.stdout.strip().splitlines()[-1]) == {"resealed": 0}

    async with committed_db.session(system=True) as session:
        sealed = (
            await session.execute(text("SELECT identity_key_enc FROM device ORDER BY identity"))
        ).scalars()
        # The previous key is no longer needed.
        assert [serverkey.unseal([new], bytes(s)) for s in sealed] == identity_keys

    # Without the key that sealed them, nothing is changed and the command says why.
    lost = run_crm(
        None,
        "server-key",
        "reseal",
        env={**env, "BALISE_SERVER_KEY": serverkey.generate(), "BALISE_SERVER_KEY_PREVIOUS": ""},
    )
    assert lost.returncode == 1
    assert "key this server does not have" in lost.stderr
