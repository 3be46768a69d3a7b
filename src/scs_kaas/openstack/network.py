"""Neutron resources of the management host: security group, network, subnet, router, port, FIP.

Functions take a Connection and return IDs and plain values. Lookups only read.

Not every Neutron accepts tags in a create call (the `tag-creation` extension), so `create_*`
tags right after creating. An interruption between the two would leave an untagged resource
with our name, which must never be adopted on its name alone; so every create carries a claim
in its description (`ownership.claim_description`, a random token the caller records in its
state file first) and a lookup given that claim adopts, and tags, exactly that resource.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from typing import Any

from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.openstack.failures import cloud_call
from scs_kaas.openstack.ownership import has_tags, pick_owned
from scs_kaas.polling import wait_until

log = logging.getLogger(__name__)

# what the user reads -> openstacksdk's name of the resource in the network proxy
KINDS = {
    "security group": "security_group",
    "network": "network",
    "subnet": "subnet",
    "router": "router",
    "port": "port",
    "floating IP": "ip",
}
DELETE_TIMEOUT = 60.0
RULE_EXISTS = "Security group rule already exists"  # Neutron's 409 for a duplicate rule


def _get(conn: Connection, kind: str, resource_id: str) -> Any | None:
    try:
        return getattr(conn.network, f"get_{KINDS[kind]}")(resource_id)
    except exceptions.NotFoundException:
        return None


def find_owned(
    conn: Connection,
    kind: str,
    known_id: str | None,
    name: str,
    tags: Sequence[str],
    claim: str | None = None,
) -> str | None:
    """The ID of our `kind` called `name` (or recorded as `known_id`); None if there is none.

    An untagged resource is ours only when its description is our `claim`: then it is tagged.
    """
    if known_id:
        resource = _get(conn, kind, known_id)
        if resource is not None:
            if not has_tags(resource.tags, tags):
                raise CloudError(
                    f"{kind} {known_id} from the state file lost its tags {', '.join(tags)}; "
                    "it is not adopted: restore the tags or delete it"
                )
            return str(resource.id)
    if kind == "floating IP":  # no names: the tags (or the claim) identify it
        candidates = list(conn.network.ips(tags=",".join(tags)))
        if not candidates and claim:
            candidates = list(conn.network.ips(description=claim))
    else:
        candidates = list(getattr(conn.network, f"{KINDS[kind]}s")(name=name))
    owned = [r for r in candidates if has_tags(r.tags, tags)]
    claimed = [r for r in candidates if claim and r.description == claim]
    if not owned and len(claimed) == 1:
        log.info("adopting %s %s by its claim (tagging was interrupted)", kind, claimed[0].id)
        conn.network.set_tags(claimed[0], list(tags))
        owned = claimed
    found = pick_owned(candidates, owned, kind, name, tags)
    return None if found is None else str(found.id)


def owned_ids(conn: Connection, kind: str, tags: Sequence[str]) -> list[str]:
    """Every `kind` carrying all of `tags` (the server filters; checked again here)."""
    listed = getattr(conn.network, f"{KINDS[kind]}s")(tags=",".join(tags))
    return [str(r.id) for r in listed if has_tags(r.tags, tags)]


def _create(conn: Connection, kind: str, tags: Sequence[str], claim: str, **attrs: Any) -> str:
    what = f"{kind} {attrs['name']}" if "name" in attrs else kind
    with cloud_call(f"creating {what}"):
        resource = getattr(conn.network, f"create_{KINDS[kind]}")(description=claim, **attrs)
    with cloud_call(f"tagging {what} {resource.id}"):
        conn.network.set_tags(resource, list(tags))
    return str(resource.id)


def external_network_id(conn: Connection, wanted: str | None) -> str:
    """`external_network` by name or ID, else the project's only external network."""
    if wanted:
        network = conn.network.find_network(wanted, ignore_missing=True)
        if network is None or not network.is_router_external:
            raise CloudError(
                f"external_network: {wanted!r} is not an external network of this cloud"
            )
        return str(network.id)
    external = list(conn.network.networks(is_router_external=True))
    if len(external) != 1:
        names = ", ".join(sorted(str(n.name) for n in external)) or "none"
        raise CloudError(
            f"external_network: set it; the cloud has {len(external)} external networks ({names})"
        )
    return str(external[0].id)


def create_security_group(conn: Connection, name: str, tags: Sequence[str], claim: str) -> str:
    return _create(conn, "security group", tags, claim, name=name)


def _ethertype(cidr: str) -> str:
    return f"IPv{ipaddress.ip_network(cidr).version}"


def ensure_ssh_rules(conn: Connection, group_id: str, allowed_cidrs: Sequence[str]) -> int:
    """SSH (22/tcp) and ICMP from each allowed CIDR; returns how many rules were added."""
    wanted = []
    for cidr in allowed_cidrs:
        icmp = "icmp" if _ethertype(cidr) == "IPv4" else "ipv6-icmp"
        wanted += [(cidr, "tcp", 22, 22), (cidr, icmp, None, None)]
    existing = {
        (r.remote_ip_prefix, r.protocol, r.port_range_min, r.port_range_max)
        for r in conn.network.security_group_rules(security_group_id=group_id, direction="ingress")
    }
    added = 0
    for cidr, protocol, low, high in wanted:
        if (cidr, protocol, low, high) in existing:
            continue
        added += _add_rule(conn, group_id, cidr, protocol, low, high)
    return added


def _add_rule(
    conn: Connection, group_id: str, cidr: str, protocol: str, low: int | None, high: int | None
) -> bool:
    """One ingress rule; False when Neutron holds it already under another spelling (protocol
    "6" for tcp, ...): the traffic is allowed, which is all the rule is for."""
    what = f"adding the rule {protocol}{f' port {low}' if low else ''} from {cidr} to security "
    with cloud_call(f"{what}group {group_id}"):
        try:
            conn.network.create_security_group_rule(
                security_group_id=group_id,
                direction="ingress",
                ethertype=_ethertype(cidr),
                protocol=protocol,
                port_range_min=low,
                port_range_max=high,
                remote_ip_prefix=cidr,
            )
        except exceptions.ConflictException as error:
            if RULE_EXISTS not in str(error.details):
                raise
            log.info("%sgroup %s: Neutron has it already (%s)", what, group_id, error.details)
            return False
    return True


def create_network(conn: Connection, name: str, tags: Sequence[str], claim: str) -> str:
    return _create(conn, "network", tags, claim, name=name)


def create_subnet(
    conn: Connection,
    name: str,
    network_id: str,
    cidr: str,
    dns_nameservers: Sequence[str],
    tags: Sequence[str],
    claim: str,
) -> str:
    return _create(
        conn,
        "subnet",
        tags,
        claim,
        name=name,
        network_id=network_id,
        cidr=cidr,
        ip_version=ipaddress.ip_network(cidr).version,
        dns_nameservers=list(dns_nameservers),
    )


def create_router(
    conn: Connection, name: str, external_network_id: str, tags: Sequence[str], claim: str
) -> str:
    gateway = {"network_id": external_network_id}
    return _create(conn, "router", tags, claim, name=name, external_gateway_info=gateway)


def _interface_ports(conn: Connection, router_id: str) -> list[Any]:
    return [
        port
        for port in conn.network.ports(device_id=router_id)
        if str(port.device_owner).startswith("network:router_interface")
    ]


def ensure_router_interface(conn: Connection, router_id: str, subnet_id: str) -> bool:
    """Attach the subnet to the router unless it is; returns whether it changed anything."""
    for port in _interface_ports(conn, router_id):
        if any(ip.get("subnet_id") == subnet_id for ip in port.fixed_ips or ()):
            return False
    with cloud_call(f"attaching subnet {subnet_id} to router {router_id}"):
        conn.network.add_interface_to_router(router_id, subnet=subnet_id)
    return True


def create_port(
    conn: Connection,
    name: str,
    network_id: str,
    subnet_id: str,
    security_group_id: str,
    tags: Sequence[str],
    claim: str,
) -> str:
    return _create(
        conn,
        "port",
        tags,
        claim,
        name=name,
        network_id=network_id,
        fixed_ips=[{"subnet_id": subnet_id}],
        security_group_ids=[security_group_id],
    )


def create_floating_ip(
    conn: Connection, external_network_id: str, port_id: str, tags: Sequence[str], claim: str
) -> str:
    return _create(
        conn, "floating IP", tags, claim, floating_network_id=external_network_id, port_id=port_id
    )


def ensure_floating_ip_port(conn: Connection, ip_id: str, port_id: str) -> tuple[str, bool]:
    """Point the floating IP at the port; returns its address and whether it changed."""
    ip = conn.network.get_ip(ip_id)
    if ip.port_id == port_id:
        return str(ip.floating_ip_address), False
    with cloud_call(f"pointing floating IP {ip.floating_ip_address} at port {port_id}"):
        ip = conn.network.update_ip(ip, port_id=port_id)
    return str(ip.floating_ip_address), True


def remove_router_interfaces(conn: Connection, router_id: str) -> int:
    """Detach every subnet (a router with interfaces cannot be deleted)."""
    ports = _interface_ports(conn, router_id)
    for port in ports:
        conn.network.remove_interface_from_router(router_id, port=port.id)
    return len(ports)


def delete(conn: Connection, kind: str, resource_id: str, timeout: float = DELETE_TIMEOUT) -> None:
    """Delete and poll until Neutron no longer knows the resource."""
    try:
        getattr(conn.network, f"delete_{KINDS[kind]}")(resource_id, ignore_missing=True)
    except exceptions.ConflictException as error:
        raise CloudError(f"{kind} {resource_id} is still in use: {error.details}") from error
    wait_until(lambda: _get(conn, kind, resource_id) is None, timeout, f"{kind} {resource_id}")
