"""What `kaas cluster create` needs on a fresh devcloud that a management host would bring: the
node image of the default Kubernetes version and the nodes' keypair `<prefix>-keypair`.

Both are made the way the real commands make them (`kaas image ensure --file`, the keypair of
`kaas mgmt create`), in the devcloud's project, with the built-in default settings (prefix
`capi`), so `kaas cluster create demo` runs with nothing else first. No VM boots there, so the
image is the local cloud's empty qcow2 and nobody logs in with the key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.openstack import keypairs
from scs_kaas.settings.model import Settings
from scs_kaas.ssh.keypair import KeyFiles, ensure_key, fingerprint
from scs_kaas.workflows.image import ensure as image_ensure
from scs_kaas.workflows.image.ensure import ImageRequest


@dataclass(frozen=True)
class DevcloudExtras:
    image: str
    keypair: str


def prepare_for_clusters(
    conn: Connection, settings: Settings, image_file: Path, key_file: Path
) -> DevcloudExtras:
    """Ensure the node image and the keypair; idempotent."""
    digest = hashlib.sha256(image_file.read_bytes()).hexdigest()
    request = ImageRequest(settings.kubernetes_version, file=image_file, sha256=digest)
    image = image_ensure.run(conn, settings, request)
    name = naming.keypair(settings.prefix)
    public_key = ensure_key(KeyFiles(key_file), comment=f"scs-kaas devcloud {settings.prefix}")
    if not keypairs.find_keypair(conn, name, fingerprint(public_key)):
        keypairs.import_keypair(conn, name, public_key)
    return DevcloudExtras(image.name, name)
