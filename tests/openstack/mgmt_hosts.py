"""Management hosts made in the local cloud as `kaas mgmt create` makes them, and what of them
`kaas mgmt delete` finds: shared by the `kaas mgmt` tests of tests/openstack/."""

from __future__ import annotations

from typing import Any

from openstack.connection import Connection

from scs_kaas.settings.model import Settings
from scs_kaas.workflows.mgmt import create as mgmt_create
from scs_kaas.workflows.mgmt import delete as mgmt_delete
from scs_kaas.workflows.mgmt import userdata as mgmt_userdata
from scs_kaas.workflows.mgmt.state import StatePaths

NEUTRON_KINDS = ("floating IP", "port", "router", "subnet", "network", "security group")
EMPTY: dict[str, list[str]] = {kind: [] for kind in ("server", "volume", *NEUTRON_KINDS)}


def host_settings(prefix: str, **management: Any) -> Settings:
    return Settings.model_validate(
        {
            "prefix": prefix,
            "cloud": "localcloud",
            "external_network": "public",
            # a flavor with a disk: no root volume (test_mgmt_host.py: test_a_diskless_flavor_...)
            "management": {"flavor": "SCS-2V-4-20s", "image": "Ubuntu 24.04", **management},
        }
    )


def create_host(
    conn: Connection, settings: Settings, paths: StatePaths, **kw: Any
) -> mgmt_create.HostSummary:
    user_data = mgmt_userdata.host_user_data(settings, paths.state_dir)
    return mgmt_create.run(conn, settings, paths, user_data, **kw)


def host_inventory(conn: Connection, prefix: str) -> dict[str, list[str]]:
    found = mgmt_delete.owned_resource_ids(conn, prefix)
    return {kind: sorted(ids) for kind, ids in found.items()}
