"""The environment's SSH key: made locally, the private half never leaves the user's machine."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scs_kaas.errors import KaasError
from scs_kaas.files import write_atomic

PRIVATE_MODE = 0o600


@dataclass(frozen=True)
class KeyFiles:
    private: Path

    @property
    def public(self) -> Path:
        return self.private.with_name(self.private.name + ".pub")


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint Nova shows for an imported SSH key (`aa:bb:...`)."""
    try:
        blob = base64.b64decode(public_key.split()[1], validate=True)
    except (IndexError, ValueError):
        raise KaasError("not an OpenSSH public key (expected 'ssh-ed25519 AAAA...')") from None
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def ensure_key(files: KeyFiles, comment: str) -> str:
    """The public key of the ed25519 pair at `files`, generated (private key 0600) if absent."""
    if files.private.exists():
        if not files.public.exists():
            raise KaasError(
                f"{files.private} exists without {files.public.name}: restore it "
                "or remove both to make a new key"
            )
        return files.public.read_text(encoding="utf-8").strip()
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    public_text = f"{public.decode('ascii')} {comment}"
    # The public half first: a private key without it would block the next run.
    write_atomic(files.public, public_text + "\n")
    write_atomic(files.private, private, mode=PRIVATE_MODE)
    return public_text
