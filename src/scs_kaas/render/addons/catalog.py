"""The built-in add-ons, in the order they are rendered (every dependency before its users)."""

from __future__ import annotations

from scs_kaas.render.addons import (
    calico,
    cert_manager,
    cilium,
    cinder_csi,
    cloud_config,
    gpu_operator,
    ingress_nginx,
    kubelet_csr_approver,
    metrics_server,
    monitoring,
    openstack_ccm,
    snapshot_controller,
    traefik,
)
from scs_kaas.render.addons.addon import Addon

CATALOG: tuple[Addon, ...] = (
    cloud_config.ADDON,
    cilium.ADDON,
    calico.ADDON,
    openstack_ccm.ADDON,
    snapshot_controller.ADDON,
    cinder_csi.ADDON,
    kubelet_csr_approver.ADDON,
    metrics_server.ADDON,
    traefik.ADDON,
    ingress_nginx.ADDON,
    cert_manager.ADDON,
    monitoring.ADDON,
    gpu_operator.ADDON,
)


def find_addon(name: str) -> Addon:
    for addon in CATALOG:
        if addon.name == name:
            return addon
    raise KeyError(name)
