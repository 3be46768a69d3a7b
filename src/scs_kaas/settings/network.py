"""Cluster networking: node, pod and service CIDRs, MTU, DNS, extra networks, the API endpoint."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from scs_kaas.settings.base import StrictModel
from scs_kaas.settings.fields import Cidr, IpAddress, Mtu, OpenStackName, Port


class ExtraNetwork(StrictModel):
    """An existing network every machine gets an extra port on (name or ID)."""

    network: OpenStackName
    subnet: OpenStackName | None = None


class NetworkSettings(StrictModel):
    node_cidr: Cidr = "10.8.0.0/20"
    pod_cidr: Cidr = "192.168.0.0/16"
    service_cidr: Cidr = "10.96.0.0/12"
    service_domain: str = "cluster.local"
    mtu: Mtu = Field(default=1400, description="MTU of the pod network (CNI)")
    dns_nameservers: list[IpAddress] = Field(
        default_factory=lambda: ["9.9.9.9", "149.112.112.112"],
        description="resolvers of the node subnet",
    )
    extra_networks: list[ExtraNetwork] = Field(default_factory=list)


class ApiServerSettings(StrictModel):
    load_balancer: bool = Field(default=True, description="an Octavia load balancer in front")
    load_balancer_provider: str | None = Field(default=None, description="e.g. amphora or ovn")
    floating_ip: bool = Field(default=True, description="reachable through a floating IP")
    floating_ip_address: IpAddress | None = Field(
        default=None, description="a pre-allocated floating IP to use"
    )
    allowed_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="restrict API access to these CIDRs (the node CIDR is always added)",
    )
    port: Port = 6443

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.allowed_cidrs and not self.load_balancer:
            raise ValueError("allowed_cidrs needs load_balancer: true (Octavia enforces them)")
        if self.floating_ip_address and not self.floating_ip:
            raise ValueError("floating_ip_address needs floating_ip: true")
        return self
