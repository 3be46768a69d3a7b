"""NVIDIA GPU operator, restricted to the node groups flagged as GPU."""

from __future__ import annotations

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.settings.addons import AddonsSettings

NAME = "nvidia-gpu-operator"


def values(ctx: AddonContext, settings: AddonsSettings) -> Values:
    if not ctx.gpu_node_groups:
        return {}
    # The operator deploys drivers and the device plugin on nodes that node-feature-discovery
    # labels as having an NVIDIA PCI device; running discovery only on the GPU node groups keeps
    # every operand there.
    gpu_nodes = {
        "nodeSelectorTerms": [
            {
                "matchExpressions": [
                    {
                        "key": settings.nvidia_gpu_node_label,
                        "operator": "In",
                        "values": sorted(ctx.gpu_node_groups),
                    }
                ]
            }
        ]
    }
    return {
        "node-feature-discovery": {
            "worker": {
                "affinity": {
                    "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": gpu_nodes}
                }
            }
        }
    }


ADDON = Addon(
    name=NAME,
    summary="NVIDIA GPU operator on the GPU node groups",
    namespace="gpu-operator",
    enabled=lambda s: s.nvidia_gpu_operator,
    chart=pins.NVIDIA_GPU_OPERATOR,
    values=values,
)
