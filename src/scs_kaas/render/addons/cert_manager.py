"""cert-manager, and a Let's Encrypt ClusterIssuer when a contact email is set."""

from __future__ import annotations

from scs_kaas.render.addons import pins, traefik
from scs_kaas.render.addons.addon import Addon, Manifest, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.render.addons.objects import workload_metadata
from scs_kaas.settings.addons import AddonsSettings

NAME = "cert-manager"
ISSUER = "letsencrypt"
# The HTTP-01 solver's Ingress goes to the cluster's ingress controller.
NGINX_CLASS = "nginx"


def values(_ctx: AddonContext, _settings: AddonsSettings) -> Values:
    # keep: uninstalling the chart must not delete every Certificate in the cluster with the CRDs.
    return {"crds": {"enabled": True, "keep": True}}


def _solver_ingress(settings: AddonsSettings) -> dict[str, str]:
    if settings.traefik:
        return {"ingressClassName": traefik.INGRESS_CLASS}
    if settings.ingress_nginx:
        return {"ingressClassName": NGINX_CLASS}
    return {}  # the cluster's default IngressClass, whatever the user installed


def manifests(_ctx: AddonContext, settings: AddonsSettings) -> list[Manifest]:
    email = settings.cert_manager_letsencrypt_email
    if email is None:
        return []
    issuer = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": workload_metadata(ISSUER, NAME),
        "spec": {
            "acme": {
                "email": email,
                "server": pins.LETSENCRYPT_SERVERS[settings.cert_manager_letsencrypt_server],
                "privateKeySecretRef": {"name": f"{ISSUER}-account-key"},
                "solvers": [{"http01": {"ingress": _solver_ingress(settings)}}],
            }
        },
    }
    # The ClusterResourceSet retries until cert-manager's CRDs and webhook are up.
    return [issuer]


ADDON = Addon(
    name=NAME,
    summary="cert-manager; Let's Encrypt ClusterIssuer when an email is set",
    namespace="cert-manager",
    enabled=lambda s: s.cert_manager,
    chart=pins.CERT_MANAGER,
    values=values,
    manifests=manifests,
)
