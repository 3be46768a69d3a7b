"""Cilium, the default CNI: VXLAN tunnel, cluster-pool IPAM over the cluster's pod CIDRs."""

from __future__ import annotations

from functools import partial

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.render.addons.networks import by_family, prefix_length
from scs_kaas.render.addons.objects import CONTROL_PLANE_HOST, CONTROL_PLANE_PORT
from scs_kaas.settings.addons import AddonsSettings

NAME = "cilium"


def _node_mask(cidrs: list[str], smallest: int, largest: int) -> int:
    # One block per node: /24 of a /16 gives 256 nodes; smaller pod CIDRs get smaller blocks so
    # that at least 16 nodes fit.
    if not cidrs:
        return smallest
    return min(max(smallest, prefix_length(cidrs[0]) + 4), largest)


def values(ctx: AddonContext, settings: AddonsSettings) -> Values:
    v4, v6 = by_family(ctx.pod_cidrs)
    operator: Values = {}
    if v4:
        operator["clusterPoolIPv4PodCIDRList"] = v4
        operator["clusterPoolIPv4MaskSize"] = _node_mask(v4, 24, 28)
    if v6:
        operator["clusterPoolIPv6PodCIDRList"] = v6
        operator["clusterPoolIPv6MaskSize"] = _node_mask(v6, 112, 120)
    result: Values = {
        # Cilium's `MTU` is the underlying network's (its devices, not eth0); it subtracts the
        # VXLAN overhead itself for the pods' routes.
        "MTU": ctx.mtu,
        "ipam": {"mode": "cluster-pool", "operator": operator},
        "ipv4": {"enabled": bool(v4)},
        "ipv6": {"enabled": bool(v6)},
        "routingMode": "tunnel",
        "tunnelProtocol": "vxlan",
        "kubeProxyReplacement": settings.cilium_kube_proxy_replacement,
    }
    if settings.cilium_kube_proxy_replacement:
        # Without kube-proxy the agent cannot reach the API through the service IP.
        result["k8sServiceHost"] = CONTROL_PLANE_HOST
        result["k8sServicePort"] = CONTROL_PLANE_PORT
    return result


ADDON = Addon(
    name=NAME,
    summary="CNI: Cilium (default), VXLAN, cluster-pool IPAM",
    namespace="kube-system",
    enabled=lambda s: s.cni == "cilium",
    chart_for_kubernetes=partial(
        pins.chart_for_minor, pins.CILIUM_REPO, "cilium", pins.CILIUM_BY_MINOR
    ),
    values=values,
)
