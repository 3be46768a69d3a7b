"""A local management cluster: etcd, kube-apiserver and the real Cluster API controllers, built
from their Go modules and run as processes on 127.0.0.1, pointed at the local cloud.

It backs `kaas devcloud` and the tests of everything scs-kaas does on Kubernetes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scs_kaas.localmgmt.cluster import ManagementCluster
    from scs_kaas.localmgmt.ports import Ports as MgmtPorts

__all__ = ["ManagementCluster", "MgmtPorts"]


def __getattr__(name: str) -> object:
    """`ManagementCluster` and `MgmtPorts` on first use: importing a light module of this package
    (as `kaas --help` does for the ports' defaults) must not import the Kubernetes client."""
    if name == "ManagementCluster":
        from scs_kaas.localmgmt.cluster import ManagementCluster

        return ManagementCluster
    if name == "MgmtPorts":
        from scs_kaas.localmgmt.ports import Ports

        return Ports
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
