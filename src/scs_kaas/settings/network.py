"""Cluster networking: node, pod and service CIDRs, MTU, DNS, extra networks, the API endpoint."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from scs_kaas.settings.base import StrictModel
from scs_kaas.settings.fields import Cidr, IpAddress, Mtu, OpenStackName, Port


class ExtraNetwork(StrictModel):
    """An existing network every machine gets an extra port on (name or ID)."""

    network: OpenStackName = Field(description="the network, name or ID")
    subnet: OpenStackName | None = Field(
        default=None,
        description="the subnet of the port's address, name or ID; default: Neutron picks",
    )


class NetworkSettings(StrictModel):
    """The cluster's networks; node, pod and service CIDRs must not overlap, and share the IP
    family of service_cidr."""

    node_cidr: Cidr = Field(
        default="10.8.0.0/20",
        description="the nodes' subnet CAPO creates (CIDR notation), with room for every "
        "machine, the rollouts and 9 addresses of Neutron and Octavia",
    )
    pod_cidr: Cidr = Field(
        default="192.168.0.0/16",
        description="the pods' addresses (the CNI's pool), CIDR notation: a /24 or larger",
    )
    service_cidr: Cidr = Field(
        default="10.96.0.0/12",
        description="the Services' cluster IPs, CIDR notation from /12 to /28; its IP family is "
        "the cluster's",
    )
    service_domain: str = Field(
        default="cluster.local", description="DNS domain of the cluster's Services"
    )
    mtu: Mtu = Field(
        default=1400,
        description=(
            "MTU of the node network, 1280-9000 (at most what the cloud gives the cluster "
            "network); the CNI derives the pods' MTU from it (Calico VXLAN: 50 less)"
        ),
    )
    # None by default: the nodes then use the cloud's own resolver (Neutron's DHCP agent), which
    # also resolves names inside the cloud; R1's Quad9 default failed where UDP/53 to the
    # internet is blocked (R1 #164), and R1 itself dropped it.
    dns_nameservers: list[IpAddress] = Field(
        default_factory=list,
        description="resolvers (IP addresses) of the node and management subnets; default: "
        "none, the cloud's resolver",
    )
    extra_networks: list[ExtraNetwork] = Field(
        default_factory=list, description="existing networks every machine gets one more port on"
    )


class ApiServerSettings(StrictModel):
    """The Kubernetes API endpoint of the cluster."""

    load_balancer: bool = Field(
        default=True,
        description="an Octavia load balancer in front of the API servers (needed for more "
        "than one control-plane machine)",
    )
    load_balancer_provider: str | None = Field(
        default=None,
        description="Octavia provider of it, e.g. amphora or ovn; default: the cloud's",
    )
    floating_ip: bool = Field(
        default=True, description="the endpoint gets a floating IP (reachable from outside)"
    )
    floating_ip_address: IpAddress | None = Field(
        default=None,
        description="a floating IP allocated beforehand to use (needs floating_ip: true)",
    )
    allowed_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="restrict API access to these CIDRs (needs load_balancer: true); the node "
        "CIDR, the cluster router's address and the management host are always let in",
    )
    port: Port = Field(
        default=6443,
        description="port of the endpoint (1-65535): the load balancer listens on it and "
        "kube-apiserver binds it; cannot change once the cluster exists",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.allowed_cidrs and not self.load_balancer:
            raise ValueError("allowed_cidrs needs load_balancer: true (Octavia enforces them)")
        if self.floating_ip_address and not self.floating_ip:
            raise ValueError("floating_ip_address needs floating_ip: true")
        return self
