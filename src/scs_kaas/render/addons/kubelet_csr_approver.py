"""Approves kubelet serving certificate requests, so metrics-server can verify kubelets.

Needed when kubelets run with `serverTLSBootstrap: true`, which the cluster renderer sets when
`AddonsSettings.needs_kubelet_serving_certificates()` is true.
"""

from __future__ import annotations

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.settings.addons import AddonsSettings

NAME = "kubelet-csr-approver"


def values(_ctx: AddonContext, _settings: AddonsSettings) -> Values:
    return {
        # Node names are OpenStack server names, not DNS names; the approver still checks that
        # a node asks only for its own name and addresses.
        "providerRegex": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        "bypassDnsResolution": True,
        # It must run before any worker has a serving certificate.
        "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
    }


ADDON = Addon(
    name=NAME,
    summary="approves kubelet serving certificates (metrics-server without insecure TLS)",
    namespace="kube-system",
    enabled=lambda s: s.needs_kubelet_serving_certificates(),
    chart=pins.KUBELET_CSR_APPROVER,
    values=values,
)
