"""SSH host public keys from a server's console log. Pure: text in, keys out.

The console log comes through the authenticated Nova API, a channel the user already trusts,
so keys read from it make the first SSH connection verified instead of trust-on-first-use.
Two blocks are understood: our own (printed by the management host's first runcmd, early in
the boot) and cloud-init's `keys_to_console` block (printed at the very end of the boot). The
last complete block wins: a rebuilt server prints its new keys after the old ones.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass

OUR_BEGIN = "-----BEGIN SCS-KAAS SSH HOST KEYS-----"
OUR_END = "-----END SCS-KAAS SSH HOST KEYS-----"
CLOUD_INIT_BEGIN = "-----BEGIN SSH HOST KEY KEYS-----"
CLOUD_INIT_END = "-----END SSH HOST KEY KEYS-----"
BLOCKS = {OUR_BEGIN: OUR_END, CLOUD_INIT_BEGIN: CLOUD_INIT_END}
# What OpenSSH still accepts as host keys (ssh-dss is gone since OpenSSH 9.8).
KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)
_KEY = re.compile(
    r"(?:^|\s)(" + "|".join(re.escape(t) for t in KEY_TYPES) + r") ([A-Za-z0-9+/]+={0,2})(?=\s|$)"
)


@dataclass(frozen=True)
class HostKey:
    type: str
    key: str  # the base64 blob, as in a .pub file

    def known_hosts_line(self, address: str) -> str:
        return f"{address} {self.type} {self.key}"


def _blob_names(blob_b64: str, key_type: str) -> bool:
    """The blob is base64 of an SSH public key whose first field is `key_type`."""
    try:
        blob = base64.b64decode(blob_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(blob) < 4:
        return False
    (length,) = struct.unpack(">I", blob[:4])
    return blob[4 : 4 + length] == key_type.encode("ascii") and len(blob) > 4 + length


def _key_in(line: str) -> HostKey | None:
    match = _KEY.search(line)
    if match is None or not _blob_names(match.group(2), match.group(1)):
        return None
    return HostKey(match.group(1), match.group(2))


def _marker(line: str) -> str | None:
    # console lines may carry a prefix (a timestamp, a service name), never a suffix
    stripped = line.rstrip()
    for marker in (*BLOCKS, *BLOCKS.values()):
        if stripped.endswith(marker):
            return marker
    return None


def host_keys(console: str) -> tuple[HostKey, ...]:
    """The keys of the last complete block in `console`; () when there is none.

    Lines in a block that hold no valid key (interleaved kernel messages, unknown key types)
    are skipped; a block cut off before its end marker counts for nothing.
    """
    found: tuple[HostKey, ...] = ()
    end: str | None = None  # the end marker of the open block
    keys: list[HostKey] = []
    for line in console.splitlines():
        marker = _marker(line)
        if marker in BLOCKS:
            end, keys = BLOCKS[marker], []
        elif marker is not None:
            if marker == end and keys:
                found = tuple(dict.fromkeys(keys))
            if marker == end:
                end = None
        elif end is not None:
            key = _key_in(line)
            if key is not None:
                keys.append(key)
    return found
