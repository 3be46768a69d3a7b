"""Whether the networks of the settings can work at all: one IP family, and room for what lives
in each. Overlaps are checked by the model; these are the checks a CIDR alone cannot fail.

Each problem names the smallest usable prefix length, so the fix is one edit.
"""

from __future__ import annotations

import ipaddress
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scs_kaas.settings.model import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Neutron keeps the network and broadcast addresses, the router's gateway and up to three DHCP
# ports; Octavia puts the API load balancer's VIP and two amphora ports into the node subnet.
NODE_SUBNET_RESERVED = 9
# The management subnet: network, broadcast, gateway, DHCP, the host.
SMALLEST_MANAGEMENT_PREFIX = 29
# A subnet of one site; 0.0.0.0/0 would take the whole IPv4 space.
LARGEST_SUBNET_PREFIX = 8
# Cilium gives each node a /24 (down to /28) of the pod CIDR and Calico /26 blocks: a /24 leaves
# at least 16 nodes room with either.
SMALLEST_POD_PREFIX = {4: 24, 6: 120}
# kube-apiserver refuses service ranges of more than 2^20 addresses; kubeadm puts cluster DNS on
# the tenth address.
SERVICE_PREFIXES = {4: (12, 28), 6: (108, 124)}


def network_fit_problems(settings: Settings) -> list[tuple[str, str]]:
    """(setting, problem) for every CIDR of the wrong family or size."""
    network = settings.network
    service = ipaddress.ip_network(network.service_cidr)
    problems = _family_problems(settings, service)
    if problems:
        return problems  # sizes of the wrong family mean nothing
    problems += _node_subnet_problems(settings, ipaddress.ip_network(network.node_cidr))
    pod = ipaddress.ip_network(network.pod_cidr)
    if pod.prefixlen > SMALLEST_POD_PREFIX[pod.version]:
        problems.append(
            (
                "network.pod_cidr",
                f"{pod} is too small to give each node its block of pod addresses: "
                f"use a /{SMALLEST_POD_PREFIX[pod.version]} or larger",
            )
        )
    largest, smallest = SERVICE_PREFIXES[service.version]
    if not largest <= service.prefixlen <= smallest:
        problems.append(
            (
                "network.service_cidr",
                f"{service} must be from /{largest} (kube-apiserver's largest service range) "
                f"to /{smallest} (cluster DNS is its tenth address)",
            )
        )
    problems += _management_problems(ipaddress.ip_network(settings.management.cidr))
    return problems


def _family_problems(settings: Settings, service: Network) -> list[tuple[str, str]]:
    family = f"IPv{service.version}"
    problems = []
    for setting, cidr in (
        ("network.node_cidr", settings.network.node_cidr),
        ("network.pod_cidr", settings.network.pod_cidr),
    ):
        if ipaddress.ip_network(cidr).version != service.version:
            problems.append(
                (
                    setting,
                    f"{cidr} is not {family}: the cluster is single-stack, and its family is "
                    f"that of network.service_cidr ({settings.network.service_cidr})",
                )
            )
    management = ipaddress.ip_network(settings.management.cidr)
    if management.version != 4:
        problems.append(
            (
                "management.cidr",
                f"{management} is not IPv4: the management host is reached through an IPv4 "
                "floating IP; e.g. 10.0.0.0/24",
            )
        )
    return problems


def _node_subnet_problems(settings: Settings, node: Network) -> list[tuple[str, str]]:
    if node.version == 4 and node.prefixlen < LARGEST_SUBNET_PREFIX:
        return [
            (
                "network.node_cidr",
                f"{node} is larger than a subnet can sensibly be: use /{LARGEST_SUBNET_PREFIX} "
                "or smaller, e.g. 10.8.0.0/20",
            )
        ]
    machines = settings.control_plane.count + sum(
        max(group.count, group.autoscale_max or 0) for group in settings.node_groups
    )
    surge = 1 + len(settings.node_groups)  # one new machine per rollout at a time
    needed = machines + surge + NODE_SUBNET_RESERVED
    if node.num_addresses >= needed:
        return []
    usable = node.max_prefixlen - math.ceil(math.log2(needed))
    return [
        (
            "network.node_cidr",
            f"{node} holds {node.num_addresses} addresses, {needed} are needed ({machines} "
            f"machines, {surge} more during rolling updates, {NODE_SUBNET_RESERVED} for the "
            f"router, DHCP and the API load balancer): use a /{usable} or larger",
        )
    ]


def _management_problems(management: Network) -> list[tuple[str, str]]:
    if LARGEST_SUBNET_PREFIX <= management.prefixlen <= SMALLEST_MANAGEMENT_PREFIX:
        return []
    return [
        (
            "management.cidr",
            f"{management} must be from /{LARGEST_SUBNET_PREFIX} to "
            f"/{SMALLEST_MANAGEMENT_PREFIX} (room for the router, DHCP and the host), "
            "e.g. 10.0.0.0/24",
        )
    ]
