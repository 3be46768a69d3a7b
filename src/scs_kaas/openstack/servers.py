"""The cloud's side of a workload cluster's machines, read only: Nova servers and the API load
balancer, as plain data for `kaas cluster status`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError


@dataclass(frozen=True)
class ServerState:
    """What Nova says of one server; `fault` is Nova's message for a server in ERROR."""

    id: str
    name: str
    status: str
    fault: str | None
    flavor: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class LoadBalancerState:
    id: str
    name: str
    provisioning_status: str
    operating_status: str
    vip_address: str


def _addresses(server: Any) -> tuple[str, ...]:
    found = []
    for network, entries in sorted((server.addresses or {}).items()):
        for entry in entries or []:
            found.append(f"{network}={entry.get('addr')}")
    return tuple(found)


def _fault(server: Any) -> str | None:
    fault = server.fault or {}
    message = str(fault.get("message") or "").strip()
    if not message:
        return None
    code = fault.get("code")
    return f"{message} (code {code})" if code else message


def server_state(server: Any) -> ServerState:
    flavor = server.flavor or {}
    return ServerState(
        id=str(server.id),
        name=str(server.name),
        status=str(server.status),
        fault=_fault(server),
        flavor=str(flavor.get("original_name") or flavor.get("name") or flavor.get("id") or ""),
        addresses=_addresses(server),
    )


def tagged_servers(conn: Connection, tags: Iterable[str]) -> list[ServerState]:
    """Every server of the project carrying all of `tags` (one request, details included)."""
    try:
        return [server_state(s) for s in conn.compute.servers(tags=",".join(tags))]
    except exceptions.SDKException as error:
        raise CloudError(f"listing servers failed: {error}") from error


def load_balancer_state(conn: Connection, balancer_id: str) -> LoadBalancerState | None:
    """Octavia's view of the load balancer `balancer_id`; None if it is gone."""
    try:
        found = conn.load_balancer.find_load_balancer(balancer_id, ignore_missing=True)
    except exceptions.SDKException as error:
        raise CloudError(f"reading load balancer {balancer_id} failed: {error}") from error
    if found is None:
        return None
    return LoadBalancerState(
        id=str(found.id),
        name=str(found.name),
        provisioning_status=str(found.provisioning_status),
        operating_status=str(found.operating_status),
        vip_address=str(found.vip_address or ""),
    )
