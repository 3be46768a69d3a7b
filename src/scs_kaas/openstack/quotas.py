"""Read what the cloud offers: service endpoints, flavors, and quota limits with their usage.

Each quota comes from the service that enforces it: Nova's limits (servers, cores, RAM, server
groups), Neutron's quota details (floating IPs, security groups, networks, routers), Cinder's
quota set with usage (volumes, gigabytes) and Octavia's quota (load balancers; Octavia reports
no usage, so the project's load balancers are counted). A quota the user may not read is left
out and reported as unknown rather than failing the whole check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.openstack.check import FlavorSpec, Quota

log = logging.getLogger(__name__)


def endpoints(conn: Connection, services: Iterable[str]) -> dict[str, str | None]:
    """service type -> its URL from the token's catalog (for the connection's region/interface)."""
    found: dict[str, str | None] = {}
    for service in services:
        try:
            found[service] = conn.endpoint_for(service)
        except exceptions.SDKException:
            found[service] = None
    return found


def flavors(conn: Connection, names: Iterable[str]) -> dict[str, FlavorSpec]:
    """The flavors that exist, by the name the settings use (a flavor ID works as well)."""
    found = {}
    for name in dict.fromkeys(names):
        try:
            flavor = conn.compute.find_flavor(name, ignore_missing=True)
        except exceptions.SDKException as error:
            raise CloudError(f"looking up flavor {name!r} failed: {error}") from error
        if flavor is not None:
            found[name] = FlavorSpec(
                name, int(flavor.vcpus or 0), int(flavor.ram or 0), int(flavor.disk or 0)
            )
    return found


def _limit(value: Any) -> int | None:
    """OpenStack writes "unlimited" as -1."""
    if value is None or int(value) < 0:
        return None
    return int(value)


def _compute(conn: Connection) -> list[Quota]:
    limits = conn.compute.get_limits().absolute
    return [
        Quota("instances", _limit(limits.instances), int(limits.instances_used or 0)),
        Quota("cores", _limit(limits.total_cores), int(limits.total_cores_used or 0)),
        Quota("ram", _limit(limits.total_ram), int(limits.total_ram_used or 0)),
        Quota("server_groups", _limit(limits.server_groups), int(limits.server_groups_used or 0)),
    ]


def _network(conn: Connection, project_id: str) -> list[Quota]:
    details = conn.network.get_quota(project_id, details=True)
    quotas = []
    for resource, attribute in (
        ("floating_ips", "floating_ips"),
        ("security_groups", "security_groups"),
        ("networks", "networks"),
        ("routers", "routers"),
    ):
        entry = getattr(details, attribute) or {}
        used = int(entry.get("used", 0)) + int(entry.get("reserved", 0))
        quotas.append(Quota(resource, _limit(entry.get("limit")), used))
    return quotas


def _block_storage(conn: Connection, project_id: str) -> list[Quota]:
    quota_set = conn.block_storage.get_quota_set(project_id, usage=True)
    usage = quota_set.usage or {}
    return [
        Quota("volumes", _limit(quota_set.volumes), int(usage.get("volumes", 0))),
        Quota("gigabytes", _limit(quota_set.gigabytes), int(usage.get("gigabytes", 0))),
    ]


def _load_balancer(conn: Connection, project_id: str) -> list[Quota]:
    quota = conn.load_balancer.get_quota(project_id)
    used = sum(1 for _ in conn.load_balancer.load_balancers(project_id=project_id))
    return [Quota("load_balancers", _limit(quota.load_balancers), used)]


def quotas(conn: Connection) -> tuple[dict[str, Quota], list[str]]:
    """Every readable quota by resource, and what could not be read (service: reason)."""
    project_id = conn.current_project_id
    if not project_id:
        raise CloudError("the connection is not scoped to a project; quotas belong to one")
    readers: list[tuple[str, Callable[[], list[Quota]]]] = [
        ("compute", lambda: _compute(conn)),
        ("network", lambda: _network(conn, project_id)),
        ("block-storage", lambda: _block_storage(conn, project_id)),
        ("load-balancer", lambda: _load_balancer(conn, project_id)),
    ]
    found: dict[str, Quota] = {}
    unreadable = []
    for service, read in readers:
        try:
            found.update((q.resource, q) for q in read())
        except exceptions.SDKException as error:
            log.info("cannot read the %s quota: %s", service, error)
            unreadable.append(f"{service}: {error}")
    return found, unreadable
