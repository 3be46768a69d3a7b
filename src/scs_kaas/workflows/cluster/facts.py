"""The `cloud` step of `kaas cluster create` (`workflows.cluster.create`): what only the cloud
can tell, read only.

The external network by name or ID (or the project's only one), the root disk of every flavor
the cluster uses (diskless SCS flavors get root volumes), the nodes' keypair (CAPO would only
fail on it when creating machines), and the node images, which must be there and active:
uploading one takes minutes and has its own command, so a missing image is an error naming
`kaas image ensure` rather than a hidden upload.
"""

from __future__ import annotations

from collections.abc import Iterator

from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.openstack.lookup import image_statuses, keypair_exists, subnet_cidrs
from scs_kaas.openstack.network import external_network_id
from scs_kaas.openstack.quotas import flavors
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.model import Settings


def _machines(settings: Settings) -> Iterator[tuple[str, str, str]]:
    """(setting, flavor, image) of the control plane and every node group."""
    plane = settings.control_plane
    yield "control_plane", plane.flavor, plane.image or settings.node_image_name
    for index, group in enumerate(settings.node_groups):
        yield f"node_groups[{index}]", group.flavor, group.image or settings.node_image_name


def check_images(conn: Connection, settings: Settings) -> None:
    """Every node image exists and is active; else what to run."""
    for setting, _, image in _machines(settings):
        statuses = image_statuses(conn, image)
        if "active" in statuses:
            continue
        if not statuses:
            default = image == settings.node_image_name
            fix = (
                f"`kaas image ensure` uploads it (Kubernetes {settings.kubernetes_version})"
                if default
                else f"upload it, or change {setting}.image"
            )
            raise CloudError(f"node image {image!r} ({setting}) does not exist: {fix}")
        raise CloudError(
            f"node image {image!r} ({setting}) is {', '.join(sorted(set(statuses)))}, not "
            "active: wait for its upload to finish, or run `kaas image ensure` again"
        )


def resolve_facts(
    conn: Connection, settings: Settings, api_access_cidrs: tuple[str, ...] = ()
) -> CloudFacts:
    """The facts `render_cluster` needs, with a CloudError naming the setting that does not fit.

    `api_access_cidrs`: where the management cluster reaches the API from (the management
    host's floating IP), allowed whenever `api_server.allowed_cidrs` restricts access.
    """
    wanted = {setting: flavor for setting, flavor, _ in _machines(settings)}
    found = flavors(conn, wanted.values())
    missing = [f"{setting}.flavor {flavor!r}" for setting, flavor in wanted.items()]
    missing = [m for m, flavor in zip(missing, wanted.values(), strict=True) if flavor not in found]
    if missing:
        raise CloudError(f"no such flavor in this cloud: {', '.join(missing)}")
    check_images(conn, settings)
    if not keypair_exists(conn, settings.node_ssh_key):
        raise CloudError(
            f"the nodes' keypair {settings.node_ssh_key!r} does not exist: `kaas mgmt create` "
            "imports the environment's keypair, or set ssh_key_name to one you have"
        )
    external = external_network_id(conn, settings.external_network)
    api = settings.api_server
    floating_on_machine = api.floating_ip and not api.load_balancer and not api.floating_ip_address
    return CloudFacts(
        external_network_id=external,
        flavor_disks_gib={name: spec.disk_gib for name, spec in found.items()},
        api_access_cidrs=api_access_cidrs,
        floating_ip_cidrs=subnet_cidrs(conn, external) if floating_on_machine else (),
    )
