"""Traefik, the default ingress controller, behind an Octavia LB with health monitors; optional
PROXY protocol.

Why Traefik: ingress-nginx was retired upstream in March 2026; Traefik is maintained, serves the
Kubernetes Ingress API the clusters' users and cert-manager's HTTP-01 solver already speak (the
Gateway API would make every user rewrite their Ingresses), and is what azimuth's charts moved to.
Values as in traefik/traefik-helm-chart 41.x `values.yaml`.
"""

from __future__ import annotations

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.settings.addons import AddonsSettings

NAME = "traefik"
INGRESS_CLASS = "traefik"
HEALTH_MONITOR = "loadbalancer.openstack.org/enable-health-monitor"
PROXY_PROTOCOL = "loadbalancer.openstack.org/proxy-protocol"


def values(ctx: AddonContext, settings: AddonsSettings) -> Values:
    # With externalTrafficPolicy Local only nodes running Traefik answer; without a health
    # monitor Octavia keeps sending to the others.
    annotations = {HEALTH_MONITOR: "true"}
    result: Values = {
        "ingressClass": {"enabled": True, "isDefaultClass": True, "name": INGRESS_CLASS},
        # Ingress status gets the load balancer's address (what `kubectl get ingress` shows).
        "providers": {"kubernetesIngress": {"publishedService": {"enabled": True}}},
        "service": {
            "annotations": annotations,
            "spec": {"externalTrafficPolicy": "Local"},
        },
    }
    if settings.ingress_proxy_protocol:
        # Both ends must agree: Octavia speaks PROXY, Traefik expects it, and trusts it only
        # from the node network (where the load balancer's members are reached from).
        annotations[PROXY_PROTOCOL] = "true"
        accepted: Values = (
            {"trustedIPs": list(ctx.node_cidrs)} if ctx.node_cidrs else {"insecure": True}
        )
        trusted: Values = {"proxyProtocol": accepted}
        result["ports"] = {"web": trusted, "websecure": trusted}
    return result


ADDON = Addon(
    name=NAME,
    summary="Traefik ingress controller behind an Octavia LB (health monitor, PROXY option)",
    namespace="traefik",
    enabled=lambda s: s.traefik,
    chart=pins.TRAEFIK,
    values=values,
)
