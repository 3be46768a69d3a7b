"""What the renderer needs to know that only the cloud can tell; offline defaults are safe."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CloudFacts:
    """Facts resolved from the cloud before rendering (by `openstack.resolve`)."""

    external_network_id: str | None = None
    # Flavor name -> root disk in GiB (0 = diskless). Flavors missing here are judged by their
    # SCS name (`SCS-2V-4` has no disk, `SCS-2V-4-20s` has 20 GiB).
    flavor_disks_gib: Mapping[str, int] = field(default_factory=dict)
    # Extra CIDRs that must reach the API when access is restricted: the management host's
    # floating IP and the cluster router's SNAT address.
    api_access_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterIdentity:
    """The credential documents CAPO needs, built in memory from the cluster's app credential."""

    clouds_yaml: str
    cacert: str = ""
    # The cloud.conf for the cloud controller manager and Cinder CSI (add-ons).
    cloud_conf: str = ""

    def __repr__(self) -> str:  # never show credential material
        return "ClusterIdentity(***)"
