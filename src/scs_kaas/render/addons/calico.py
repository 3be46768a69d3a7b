"""Calico through the tigera operator: VXLAN IP pools over the pod CIDRs, veth MTU set."""

from __future__ import annotations

from typing import Any

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.render.addons.networks import by_family
from scs_kaas.settings.addons import AddonsSettings

NAME = "calico"


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
        # R1 patched `veth_mtu` with sed; the operator takes it as the pod interface MTU.
        "mtu": ctx.mtu,
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
    chart=pins.CALICO,
    values=values,
)
