"""One openstacksdk Connection per cloud, found the way every OpenStack client finds it."""

from __future__ import annotations

import openstack
from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError


def connect(cloud: str) -> Connection:
    """Connect to `cloud`, an entry of clouds.yaml.

    openstacksdk reads clouds.yaml and secure.yaml from `./`, `~/.config/openstack/` and
    `/etc/openstack/` (or `OS_CLIENT_CONFIG_FILE`) and merges the secrets in, as R1's Terraform
    provider did; nothing is copied or written.
    """
    try:
        connection = openstack.connect(cloud=cloud)
        connection.authorize()
    except exceptions.ConfigException as error:
        raise CloudError(
            f"cloud {cloud!r} not found in clouds.yaml (./, ~/.config/openstack/, "
            f"/etc/openstack/ or $OS_CLIENT_CONFIG_FILE): {error}"
        ) from None
    except exceptions.SDKException as error:
        # Keystone's message names the problem (wrong password, expired credential, no project)
        # and never echoes the secret.
        raise CloudError(f"cloud {cloud!r}: authentication failed: {error}") from None
    return connection
