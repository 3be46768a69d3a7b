"""The environment's Nova keypair. It cannot be tagged: the local key's fingerprint is the proof."""

from __future__ import annotations

from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.openstack.failures import cloud_call


def _fingerprint_in_nova(conn: Connection, name: str) -> str | None:
    try:
        return str(conn.compute.get_keypair(name).fingerprint)
    except exceptions.NotFoundException:
        return None


def find_keypair(conn: Connection, name: str, fingerprint: str) -> bool:
    """Whether Nova holds our key under `name`; a different key there is refused."""
    present = _fingerprint_in_nova(conn, name)
    if present is None:
        return False
    if present != fingerprint:
        raise CloudError(
            f"keypair {name!r} exists with another key (fingerprint {present}, ours {fingerprint}):"
            " scs-kaas never replaces a key it did not import; delete it or use another prefix"
        )
    return True


def import_keypair(conn: Connection, name: str, public_key: str) -> str:
    """Import the public key; returns Nova's fingerprint of it."""
    conflict = (
        f"Nova holds a keypair {name!r} already (imported meanwhile?): run the command again, "
        "it keeps the keypair if it holds this environment's key and names it otherwise"
    )
    with cloud_call(f"importing keypair {name}", conflict):
        keypair = conn.compute.create_keypair(name=name, public_key=public_key, type="ssh")
    return str(keypair.fingerprint)


def delete_keypair(conn: Connection, name: str, fingerprint: str) -> bool:
    """Delete the keypair if it holds our key; returns whether it did."""
    if _fingerprint_in_nova(conn, name) != fingerprint:
        return False
    conn.compute.delete_keypair(name, ignore_missing=True)
    return _fingerprint_in_nova(conn, name) is None
