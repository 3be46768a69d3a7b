"""Small lookups the cloud check and cluster create need: external networks and their subnets,
images, keypairs."""

from __future__ import annotations

from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError


def external_networks(conn: Connection) -> list[tuple[str, str]]:
    """(id, name) of every external network the project can see."""
    try:
        return [(str(n.id), str(n.name)) for n in conn.network.networks(is_router_external=True)]
    except exceptions.SDKException as error:
        raise CloudError(f"listing external networks failed: {error}") from error


def subnet_cidrs(conn: Connection, network_id: str) -> tuple[str, ...]:
    """The CIDRs of a network's subnets the project can see, sorted."""
    try:
        return tuple(sorted(str(s.cidr) for s in conn.network.subnets(network_id=network_id)))
    except exceptions.SDKException as error:
        raise CloudError(f"listing the subnets of network {network_id} failed: {error}") from error


def image_statuses(conn: Connection, name: str) -> list[str]:
    """The status of every image called `name` (or with that ID) the project can see."""
    try:
        found = list(conn.image.images(name=name))
        if not found:
            by_id = conn.image.find_image(name, ignore_missing=True)
            found = [by_id] if by_id is not None else []
    except exceptions.SDKException as error:
        raise CloudError(f"looking up image {name!r} failed: {error}") from error
    return [str(image.status) for image in found]


def keypair_exists(conn: Connection, name: str) -> bool:
    """Whether the user has a Nova keypair `name` (keypairs belong to users, not projects)."""
    try:
        return conn.compute.find_keypair(name, ignore_missing=True) is not None
    except exceptions.SDKException as error:
        raise CloudError(f"looking up keypair {name!r} failed: {error}") from error
