"""Trusting a host's key: what the environment's known_hosts file holds, recording keys in it,
and telling ssh's refusal of a key from a host that does not answer yet."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scs_kaas.files import write_atomic
from scs_kaas.ssh import known_hosts
from scs_kaas.ssh.hostkeys import HostKey
from scs_kaas.ssh.target import SshTarget

# ssh's message when the host's key is not the recorded one (or none is): never transient, as
# the host prints its keys to the console only once they are final.
HOST_KEY_REFUSED = "Host key verification failed"


def refused_host_key(stderr: str | bytes | None) -> bool:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr or ""
    return HOST_KEY_REFUSED in text


def knows_host(target: SshTarget) -> bool:
    """The environment's known_hosts has a key line for the target's address."""
    path = target.known_hosts
    return path.exists() and known_hosts.has_host(path.read_text(), target.address)


def record_host_keys(path: Path, address: str, keys: Sequence[HostKey]) -> None:
    """Replace the lines for `address` in the known_hosts file at `path` with `keys`."""
    old = path.read_text() if path.exists() else ""
    new = known_hosts.with_host_keys(old, address, keys)
    if new != old:
        write_atomic(path, new, mode=0o600)
