"""Pod CIDRs split by IP family, as the CNI charts want them."""

from __future__ import annotations

import ipaddress

from scs_kaas.render.addons.context import AddonRenderError


def by_family(cidrs: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(IPv4 CIDRs, IPv6 CIDRs), each in the caller's order."""
    v4: list[str] = []
    v6: list[str] = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr)
        except ValueError as error:
            raise AddonRenderError(f"pod CIDR {cidr!r} is not a network address") from error
        (v4 if network.version == 4 else v6).append(str(network))
    if not v4 and not v6:
        raise AddonRenderError("the cluster has no pod CIDR")
    return v4, v6


def prefix_length(cidr: str) -> int:
    return ipaddress.ip_network(cidr).prefixlen
