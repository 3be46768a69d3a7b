"""What the add-on renderer needs to know about one workload cluster, resolved by the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from scs_kaas.errors import KaasError


class AddonRenderError(KaasError):
    """The add-on inputs cannot make a working cluster (bad cloud.conf, unreadable manifest)."""

    exit_code = 2


# OVN's Octavia driver balances by source IP and port only; the CCM's default ROUND_ROBIN makes
# every Service's load balancer fail.
OVN_LB_METHOD = "SOURCE_IP_PORT"


@dataclass(frozen=True)
class ClusterNetworking:
    """What the CCM must be told about the cluster's networks (none of it secret)."""

    # CAPO's cluster network: the CCM reports only its addresses as InternalIP, not those of
    # extra networks (which would otherwise all be InternalIPs, in no stable order).
    internal_network: str | None = None
    # The external network the tool resolved: with several, the CCM would take the first.
    floating_network_id: str | None = None
    # The Octavia provider of the cluster's load balancers (e.g. amphora, ovn).
    load_balancer_provider: str | None = None

    def options(self) -> list[tuple[str, str, str]]:
        options = []
        if self.internal_network:
            options.append(("Networking", "internal-network-name", self.internal_network))
        if self.floating_network_id:
            options.append(("LoadBalancer", "floating-network-id", self.floating_network_id))
        if self.load_balancer_provider:
            options.append(("LoadBalancer", "lb-provider", self.load_balancer_provider))
            if self.load_balancer_provider == "ovn":
                options.append(("LoadBalancer", "lb-method", OVN_LB_METHOD))
        return options


NO_NETWORKING = ClusterNetworking()


@dataclass(frozen=True)
class AddonContext:
    """Facts about one cluster; every rendered object goes into `namespace`.

    `cloud_conf` is secret (it holds the application credential): it only ever leaves the
    renderer base64-encoded inside a Secret, never in a ConfigMap, Helm values or a log line.
    """

    cluster_name: str
    namespace: str
    mtu: int  # the node network's MTU (`network.mtu`); each CNI derives its own from it
    pod_cidrs: tuple[str, ...]
    service_cidrs: tuple[str, ...]
    cloud_conf: str = field(repr=False)
    kubernetes_version: str
    ca_bundle: str | None = None
    gpu_node_groups: tuple[str, ...] = ()
    networking: ClusterNetworking = NO_NETWORKING
    # What the machines of this cluster are called before CAPI's random suffixes (the control
    # plane's and each node group's base name): node names are machine names.
    node_name_prefixes: tuple[str, ...] = ()
    # Where the nodes' addresses come from: the node subnet (and a fixed floating IP).
    node_address_cidrs: tuple[str, ...] = ()
    # The name OCCM and Cinder CSI put into the cloud resources they make (load balancers,
    # volumes): unique per prefix (`naming.cloud_cluster_name`); None means `cluster_name`.
    cloud_cluster_name: str | None = None
    # The nodes' network: where an ingress controller's load balancer traffic comes from.
    node_cidrs: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Text of the custom manifest files named in the settings (`file:`), keyed by that name. The
    # caller reads them, so rendering stays free of I/O.
    manifest_files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def cloud_name(self) -> str:
        return self.cloud_cluster_name or self.cluster_name
