"""What the renderer needs to know that only the cloud can tell; offline defaults are safe."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# The CAPO API the OpenStack objects are written in: v1beta2 (CAPO v0.15 on) or v1beta1 (CAPO
# v0.14, which serves nothing newer). Both mean the same; see `render.capo_versions`.
InfrastructureVersion = Literal["v1beta1", "v1beta2"]
INFRASTRUCTURE_VERSIONS: tuple[InfrastructureVersion, ...] = ("v1beta2", "v1beta1")


@dataclass(frozen=True)
class CloudFacts:
    """Facts resolved from the cloud before rendering (by `workflows.cluster.facts`)."""

    external_network_id: str | None = None
    # Flavor name -> root disk in GiB (0 = diskless). Flavors missing here are judged by their
    # SCS name (`SCS-2V-4` has no disk, `SCS-2V-4-20s` has 20 GiB).
    flavor_disks_gib: Mapping[str, int] = field(default_factory=dict)
    # Extra CIDRs that must reach the API when access is restricted: the management host's
    # floating IP and the cluster router's SNAT address.
    api_access_cidrs: tuple[str, ...] = ()
    # Server group name -> Nova id, of the groups `kaas cluster create` made before the apply
    # (`render.server_groups`); a group missing here is referenced by name (offline render).
    server_group_ids: Mapping[str, str] = field(default_factory=dict)
    # The external network's subnets, where a floating IP CAPO puts on the control-plane machine
    # comes from (no API load balancer): that address is the node's too.
    floating_ip_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ManagementFacts:
    """What the renderer needs to know of the management cluster the manifests are for.

    Found by asking it (`kube.served.served_apis`, then `capo_versions.choose_management_facts`)
    or given by a flag for an offline render; the default is the newest API.
    """

    infrastructure_version: InfrastructureVersion = "v1beta2"
    # The name OCCM and Cinder CSI give the cluster's cloud resources, as recorded on its live
    # Cluster (`naming.CLOUD_NAME_ANNOTATION`): a cluster keeps the name it was created with.
    # None: a new cluster, which gets `naming.cloud_cluster_name`.
    cloud_cluster_name: str | None = None


@dataclass(frozen=True)
class ClusterIdentity:
    """The credential documents CAPO needs, built in memory from the cluster's app credential."""

    clouds_yaml: str
    cacert: str = ""
    # The cloud.conf for the cloud controller manager and Cinder CSI (add-ons).
    cloud_conf: str = ""

    def __repr__(self) -> str:  # never show credential material
        return "ClusterIdentity(***)"
