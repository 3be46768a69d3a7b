"""ingress-nginx behind an Octavia LB with health monitors; optional PROXY protocol.

Retired upstream in March 2026 (no fixes for the pinned chart): only an explicit, warned opt-in
(`addons.ingress_nginx: true`); Traefik is the default (`traefik.py`)."""

from __future__ import annotations

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.settings.addons import AddonsSettings

NAME = "ingress-nginx"


def values(_ctx: AddonContext, settings: AddonsSettings) -> Values:
    annotations = {
        # With externalTrafficPolicy Local only nodes running nginx answer; without a health
        # monitor Octavia keeps sending to the others (R1 had none).
        "loadbalancer.openstack.org/enable-health-monitor": "true",
    }
    controller: Values = {
        "ingressClassResource": {"default": True},
        "service": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "annotations": annotations,
        },
    }
    if settings.ingress_proxy_protocol:
        # Both ends must agree: Octavia speaks PROXY, nginx expects it.
        annotations["loadbalancer.openstack.org/proxy-protocol"] = "true"
        controller["config"] = {"use-proxy-protocol": "true", "use-forwarded-headers": "true"}
    return {"controller": controller}


ADDON = Addon(
    name=NAME,
    summary="ingress-nginx (retired upstream, opt-in) behind an Octavia LB",
    namespace="ingress-nginx",
    enabled=lambda s: s.ingress_nginx,
    chart=pins.INGRESS_NGINX,
    values=values,
)
