"""Editing an OpenSSH known_hosts file's text: which lines name a host, and replacing them.

Pure. Lines are matched on their host field, in plain form (`a,b`) or hashed (`|1|salt|hmac`,
which Debian's ssh writes by default with HashKnownHosts), so older lines a trust-on-first-use
connection wrote for the same address are replaced too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from scs_kaas.ssh.hostkeys import HostKey

HASHED = "|1|"


def _hashed_names(field: str, address: str) -> bool:
    try:
        salt_b64, digest_b64 = field[len(HASHED) :].split("|", 1)
        salt = base64.b64decode(salt_b64, validate=True)
        digest = base64.b64decode(digest_b64, validate=True)
    except (ValueError, binascii.Error):
        return False
    expected = hmac.new(salt, address.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(expected, digest)


def names(line: str, address: str) -> bool:
    """The known_hosts `line` is a key line for `address` (on SSH's default port)."""
    fields = line.split()
    # comments, blank lines and @cert-authority / @revoked lines are left alone
    if not fields or fields[0].startswith(("#", "@")):
        return False
    if fields[0].startswith(HASHED):
        return _hashed_names(fields[0], address)
    return address in fields[0].split(",")


def has_host(text: str, address: str) -> bool:
    return any(names(line, address) for line in text.splitlines())


def with_host_keys(text: str, address: str, keys: Sequence[HostKey]) -> str:
    """`text` without its lines for `address`, then one line per key for it."""
    kept = [line for line in text.splitlines() if not names(line, address)]
    added = [key.known_hosts_line(address) for key in keys]
    return "".join(f"{line}\n" for line in (*kept, *added))
