"""OpenStack cloud controller manager: node addresses, and Octavia LBs for LoadBalancer Services."""

from __future__ import annotations

from functools import partial

from scs_kaas.render.addons import cloud_config, pins
from scs_kaas.render.addons.addon import Addon, Values, always
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.settings.addons import AddonsSettings

NAME = "openstack-ccm"


def values(ctx: AddonContext, _settings: AddonsSettings) -> Values:
    return {
        # The Secret comes from the cloud-config add-on; the chart must not make its own.
        "secret": {"enabled": True, "create": False, "name": cloud_config.SECRET_NAME},
        # --cluster-name puts the cluster into LB names, so two clusters in one project no longer
        # fight over `kube_service_kubernetes_<ns>_<svc>` (R1 bug #93); unique per prefix, so
        # cluster `demo` of two environments in one project do not either.
        "cluster": {"name": ctx.cloud_name},
    }


ADDON = Addon(
    name=NAME,
    summary="OpenStack cloud controller manager (Octavia LBs named per cluster)",
    namespace=cloud_config.SECRET_NAMESPACE,
    enabled=always,
    chart_for_kubernetes=partial(
        pins.cloud_provider_openstack_chart,
        "openstack-cloud-controller-manager",
        pins.OPENSTACK_CCM_BY_MINOR,
    ),
    values=values,
    depends_on=(cloud_config.NAME,),
)
