"""openstacksdk connections to a local cloud, built from explicit arguments only.

With OS_CLIENT_CONFIG_FILE or OS_* variables set, loose arguments to `openstack.connect()` are
merged with whatever cloud those name (and fail with 401); so config files and environment are
never loaded here.
"""

from __future__ import annotations

from typing import Any

import openstack
from openstack.connection import Connection
from openstack.identity.v3._proxy import Proxy as IdentityV3

from scs_kaas.errors import CloudError
from scs_kaas.localcloud.context import REGION


def cloud_config(auth_url: str, auth_type: str, auth: dict[str, str]) -> dict[str, Any]:
    """One cloud as it appears in clouds.yaml."""
    return {
        "auth_type": auth_type,
        "auth": {"auth_url": auth_url, **auth},
        "region_name": REGION,
        "interface": "public",
        "identity_api_version": 3,
    }


def password_auth(username: str, password: str, project_name: str) -> dict[str, str]:
    return {
        "username": username,
        "password": password,
        "project_name": project_name,
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }


def app_credential_auth(credential_id: str, secret: str) -> dict[str, str]:
    return {"application_credential_id": credential_id, "application_credential_secret": secret}


def connect(config: dict[str, Any]) -> Connection:
    connection: Connection = openstack.connect(load_yaml_config=False, load_envvars=False, **config)
    return connection


def identity(connection: Connection) -> IdentityV3:
    """The Identity v3 proxy (openstacksdk types `identity` as v2 or v3)."""
    proxy = connection.identity
    if not isinstance(proxy, IdentityV3):
        raise CloudError("the local cloud's Keystone should speak Identity v3")
    return proxy
