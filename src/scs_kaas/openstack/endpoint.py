"""Where a Connection's cloud is, for credential documents and for logging in with a new secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openstack
from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.openstack.connection import logged_in
from scs_kaas.render.credentials import AppCredentialSecret, CloudEndpoint


def cloud_endpoint(conn: Connection) -> CloudEndpoint:
    """The non-secret part of the connection's cloud entry (auth URL, region, interface)."""
    config = conn.config
    auth_url = config.config.get("auth", {}).get("auth_url")
    if not auth_url:
        raise CloudError("the cloud entry has no auth.auth_url; clouds.yaml must name Keystone")
    version = str(config.get_api_version("identity") or "3")
    return CloudEndpoint(
        auth_url=str(auth_url),
        region_name=config.get_region_name() or None,
        interface=str(config.get_interface() or "public"),
        identity_api_version=int(version.split(".", maxsplit=1)[0]),
    )


def ca_bundle(conn: Connection) -> str | None:
    """The PEM text of the cloud's own CA bundle (clouds.yaml `cacert`), None without one.

    CAPO and the cloud controller manager get it, as R1's `cacert` key, so a private CA works.
    """
    path = conn.config.config.get("cacert")
    if not path:
        return None
    try:
        return Path(str(path)).expanduser().read_text(encoding="utf-8")
    except OSError as error:
        raise CloudError(f"cannot read the cloud's CA bundle {path}: {error.strerror}") from error


def connect_app_credential(conn: Connection, credential: AppCredentialSecret) -> Connection:
    """Log in to `conn`'s cloud with `credential` (same endpoint, region and TLS settings).

    Nothing is read from clouds.yaml or OS_* variables: with them loaded, openstacksdk merges
    the file's cloud into explicit arguments.
    """
    endpoint = cloud_endpoint(conn)
    options: dict[str, Any] = {
        "auth_type": "v3applicationcredential",
        "auth": {
            "auth_url": endpoint.auth_url,
            "application_credential_id": credential.id,
            "application_credential_secret": credential.secret,
        },
        "interface": endpoint.interface,
        "identity_api_version": str(endpoint.identity_api_version),
        "verify": conn.config.config.get("verify", True),
    }
    if endpoint.region_name:
        options["region_name"] = endpoint.region_name
    if conn.config.config.get("cacert"):
        options["cacert"] = conn.config.config["cacert"]
    try:
        login = logged_in(openstack.connect(load_yaml_config=False, load_envvars=False, **options))
    except exceptions.SDKException as error:
        raise CloudError(
            f"logging in with application credential {credential.id} failed: {error}"
        ) from None
    return login
