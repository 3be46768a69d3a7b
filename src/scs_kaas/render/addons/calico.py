"""Calico through the tigera operator: VXLAN IP pools over the pod CIDRs, veth MTU set."""

from __future__ import annotations

from functools import partial
from typing import Any

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.render.addons.networks import by_family
from scs_kaas.settings.addons import AddonsSettings

NAME = "calico"
# VXLAN over the IPv4 node network: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14).
VXLAN_OVERHEAD = 50


def pod_mtu(network_mtu: int) -> int:
    """The MTU of the pods' interfaces: what VXLAN leaves of the node network's MTU."""
    return network_mtu - VXLAN_OVERHEAD


def _pool(cidr: str, block_size: int) -> dict[str, Any]:
    return {
        "cidr": cidr,
        "blockSize": block_size,
        # VXLAN works on every OpenStack network; BGP needs allowed-address pairs per pod CIDR.
        "encapsulation": "VXLAN",
        "natOutgoing": "Enabled",
        "nodeSelector": "all()",
    }


def values(ctx: AddonContext, _settings: AddonsSettings) -> Values:
    v4, v6 = by_family(ctx.pod_cidrs)
    network: Values = {
        "bgp": "Disabled",
        # The operator takes this as the pod interface MTU, not the network's (R1 patched
        # `veth_mtu` with the network's MTU, so encapsulated packets did not fit).
        "mtu": pod_mtu(ctx.mtu),
        "ipPools": [_pool(c, 26) for c in v4] + [_pool(c, 122) for c in v6],
    }
    if v4:
        network["nodeAddressAutodetectionV4"] = {"kubernetes": "NodeInternalIP"}
    if v6:
        network["nodeAddressAutodetectionV6"] = {"kubernetes": "NodeInternalIP"}
    return {
        "installation": {
            "enabled": True,
            "cni": {"type": "Calico"},
            "calicoNetwork": network,
        }
    }


ADDON = Addon(
    name=NAME,
    summary="CNI: Calico via the tigera operator, VXLAN",
    namespace="tigera-operator",
    enabled=lambda s: s.cni == "calico",
    chart_for_kubernetes=partial(
        pins.chart_for_minor, pins.CALICO_REPO, "tigera-operator", pins.CALICO_BY_MINOR
    ),
    values=values,
)
