"""One openstacksdk Connection per cloud, found the way every OpenStack client finds it."""

from __future__ import annotations

import os

import openstack
from openstack import exceptions
from openstack.config import loader
from openstack.connection import Connection

from scs_kaas.errors import CloudError, SettingProblem, SettingsError

CLOUDS_YAML_PLACES = "./, ~/.config/openstack/, /etc/openstack/ or $OS_CLIENT_CONFIG_FILE"


def connect(cloud: str) -> Connection:
    """Connect to `cloud`, an entry of clouds.yaml.

    openstacksdk reads clouds.yaml and secure.yaml from `./`, `~/.config/openstack/` and
    `/etc/openstack/` (or `OS_CLIENT_CONFIG_FILE`) and merges the secrets in, as R1's Terraform
    provider did; nothing is copied or written.
    """
    try:
        connection = logged_in(openstack.connect(cloud=cloud))
    except exceptions.ConfigException as error:
        if "was not found" in str(error):
            raise _cloud_not_found(cloud) from None
        raise CloudError(f"cloud {cloud!r}: clouds.yaml is not usable: {error}") from None
    except exceptions.SDKException as error:
        # Keystone's message names the problem (wrong password, expired credential, no project)
        # and never echoes the secret.
        raise CloudError(f"cloud {cloud!r}: authentication failed: {error}") from None
    return connection


def logged_in(connection: Connection) -> Connection:
    """`connection` once Keystone gave it a token; closed when that fails, so that its HTTP
    session is released at once, not whenever the garbage collector finalizes it (the error's
    traceback keeps it alive while the error is shown)."""
    try:
        connection.authorize()
    except BaseException:
        connection.close()
        raise
    return connection


def _cloud_not_found(cloud: str) -> SettingsError:
    """A cloud name without an entry is bad input (exit 2). openstacksdk skips clouds.yaml files
    it may not read, so "not found" alone would hide the real cause: say which files those are."""
    unreadable = [f"{path} ({reason})" for path, reason in _unreadable_config_files()]
    if unreadable:
        why = f"these clouds.yaml files cannot be read: {', '.join(unreadable)}"
    else:
        try:
            names = loader.OpenStackConfig().get_cloud_names()
        except exceptions.ConfigException:
            names = []
        # openstacksdk's own entries: `envvars` from OS_* variables, `defaults` without a file
        names = [n for n in names if n not in ("envvars", "defaults")]
        why = f"entries found: {', '.join(sorted(names))}" if names else "no entries found"
    return SettingsError(
        [
            SettingProblem(
                "cloud",
                f"{cloud!r} is not an entry of clouds.yaml ({CLOUDS_YAML_PLACES}); {why}",
                source="setting cloud or $OS_CLOUD",
            )
        ]
    )


def _unreadable_config_files() -> list[tuple[str, str]]:
    """(path, why it cannot be read) of the clouds.yaml files openstacksdk looks for."""
    override = os.environ.get("OS_CLIENT_CONFIG_FILE")
    found = []
    for path in dict.fromkeys([*([override] if override else []), *loader.CONFIG_FILES]):
        if not os.path.exists(path):  # noqa: PTH110 - as openstacksdk checks
            continue
        try:
            with open(path, "rb") as stream:  # noqa: PTH123 - openstacksdk's paths are strings
                stream.read(1)
        except FileNotFoundError:
            continue
        except OSError as error:
            found.append((path, error.strerror or str(error)))
    return found
