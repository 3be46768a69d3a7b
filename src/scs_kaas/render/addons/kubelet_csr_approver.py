"""Approves kubelet serving certificate requests, so metrics-server can verify kubelets.

Needed when kubelets run with `serverTLSBootstrap: true`, which the cluster renderer sets when
`AddonsSettings.needs_kubelet_serving_certificates()` is true.

The approver signs with the cluster CA whatever a node asks for, so it is told exactly which
names and addresses a node of this cluster can have: names of this cluster's machines
(`providerRegex`) and addresses in the node subnet (`providerIpPrefixes`). Node names are
OpenStack server names, which no DNS resolves, so the DNS check stays off; the approver still
checks that a node asks only for names that start with its own.
"""

from __future__ import annotations

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext, AddonRenderError
from scs_kaas.settings.addons import AddonsSettings

NAME = "kubelet-csr-approver"
# CAPI appends `-<random>` (KCP) or `-<MachineSet suffix>-<random>` (MachineDeployment).
_SUFFIX = "-[a-z0-9]([-a-z0-9]*[a-z0-9])?"


def node_name_regex(prefixes: tuple[str, ...]) -> str:
    """A Go regular expression matching exactly the machine names under `prefixes`.

    The prefixes are DNS labels (validated settings), so none needs escaping."""
    return f"^({'|'.join(sorted(prefixes))}){_SUFFIX}$"


def values(ctx: AddonContext, _settings: AddonsSettings) -> Values:
    if not ctx.node_name_prefixes or not ctx.node_address_cidrs:
        # An empty regex or prefix list makes the approver accept anything.
        raise AddonRenderError("kubelet-csr-approver needs the cluster's node names and subnet")
    return {
        "providerRegex": node_name_regex(ctx.node_name_prefixes),
        "providerIpPrefixes": list(ctx.node_address_cidrs),
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
