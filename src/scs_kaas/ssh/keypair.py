"""The environment's SSH key: made locally, the private half never leaves the user's machine.

Runs side by side (two `kaas mgmt create` of one environment) must end with one matching pair:
the private key is written whole to a temporary file and linked to its name, which never
replaces an existing file, so exactly one generated key becomes the key; the public half is
always derived from that private key, never from a key of one's own making.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
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
    except (IndexError, ValueError) as error:
        raise KaasError("not an OpenSSH public key (expected 'ssh-ed25519 AAAA...')") from error
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def ensure_key(files: KeyFiles, comment: str) -> str:
    """The public key of the ed25519 pair at `files`, generated (private key 0600) if absent.

    A public half that is missing or does not match the private key (left by an older,
    unsynchronised version) is rewritten from the private key; a kept one keeps its comment.
    """
    if not files.private.exists():
        _create_private_key(files.private)
    public = _public_key_of(files.private)
    try:
        recorded = files.public.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        recorded = ""
    if recorded.split()[:2] == public.split():
        return recorded
    text = f"{public} {comment}"
    write_atomic(files.public, text + "\n")  # every concurrent writer writes this same text
    return text


def _create_private_key(private: Path) -> None:
    """A new key at `private` unless another process put one there first (then that one)."""
    text = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    private.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=private.parent, prefix=f".{private.name}.")
    try:
        os.fchmod(handle, PRIVATE_MODE)
        with os.fdopen(handle, "wb") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(FileExistsError):  # another process's key came first: kept
            os.link(temporary, private)  # never replaces: the first key linked wins
    finally:
        Path(temporary).unlink(missing_ok=True)


def _public_key_of(private: Path) -> str:
    """`ssh-ed25519 AAAA...` of the private key file (no comment)."""
    try:
        key = serialization.load_ssh_private_key(private.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise KaasError(
            f"{private} is not an unencrypted OpenSSH private key ({error}): restore it, or "
            "remove it and its .pub file to make a new key"
        ) from None
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode("ascii")
