"""metrics-server, verifying kubelet certificates unless the user opts out (R1 bug #148)."""

from __future__ import annotations

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.settings.addons import AddonsSettings

NAME = "metrics-server"


def values(_ctx: AddonContext, settings: AddonsSettings) -> Values:
    result: Values = {"podDisruptionBudget": {"enabled": True, "maxUnavailable": 1}}
    if settings.metrics_server_insecure_tls:
        result["args"] = ["--kubelet-insecure-tls"]
    return result


ADDON = Addon(
    name=NAME,
    summary="metrics-server (kubectl top, HPA)",
    namespace="kube-system",
    enabled=lambda s: s.metrics_server,
    chart=pins.METRICS_SERVER,
    values=values,
)
