"""What the management cluster holds of one workload cluster, read in one go (read only).

The day-2 commands (list, status, scale, upgrade, template garbage collection) all look at the
same objects: the Cluster, its KubeadmControlPlane, MachineDeployments, MachineSets, Machines
and CAPO's OpenStackCluster and OpenStackMachines. CAPI's kinds are read in v1beta2; CAPO's in
whichever version the management cluster serves (v1beta1 for CAPO v0.14): reads do not depend on
the version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scs_kaas import naming
from scs_kaas.kube.client import KubeClient
from scs_kaas.render.metadata import CLUSTER_API, CONTROLPLANE_API, INFRA_API

Object = dict[str, Any]


def list_objects(
    kube: KubeClient,
    api_version: str,
    kind: str,
    namespace: str | None = None,
    selector: str | None = None,
) -> list[Object]:
    """Every `kind` in `namespace` (None: all namespaces) matching `selector`, sorted by name."""
    where = f" in {namespace}" if namespace else ""
    items = kube.list(
        api_version,
        kind,
        namespace,
        label_selector=selector,
        any_version=True,
        action=f"listing {kind}{where}",
    )
    return sorted(items, key=lambda o: (namespace_of(o), name_of(o)))


def name_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace", ""))


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def status_of(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict((obj or {}).get("status") or {})


def spec_of(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict((obj or {}).get("spec") or {})


def is_control_plane(obj: Mapping[str, Any]) -> bool:
    return "cluster.x-k8s.io/control-plane" in labels_of(obj)


@dataclass(frozen=True)
class ClusterObjects:
    """One cluster's objects as the management cluster holds them now."""

    cluster: Object
    control_plane: Object | None  # the KubeadmControlPlane
    infrastructure: Object | None  # the OpenStackCluster
    machine_deployments: tuple[Object, ...]
    machine_sets: tuple[Object, ...]
    machines: tuple[Object, ...]
    openstack_machines: tuple[Object, ...]

    @property
    def name(self) -> str:
        return name_of(self.cluster)

    @property
    def namespace(self) -> str:
        return namespace_of(self.cluster)

    def machines_of(self, deployment: str | None) -> list[Object]:
        """The control plane's machines (None) or those of MachineDeployment `deployment`."""
        if deployment is None:
            return [m for m in self.machines if is_control_plane(m)]
        return [
            m
            for m in self.machines
            if labels_of(m).get("cluster.x-k8s.io/deployment-name") == deployment
        ]

    def infrastructure_machine(self, machine: Mapping[str, Any]) -> Object | None:
        wanted = (spec_of(machine).get("infrastructureRef") or {}).get("name")
        return next((o for o in self.openstack_machines if name_of(o) == wanted), None)


def read_cluster_objects(kube: KubeClient, cluster: Mapping[str, Any]) -> ClusterObjects:
    """The objects of the (already read) Cluster `cluster`, from its namespace."""
    namespace, name = namespace_of(cluster), name_of(cluster)
    selector = f"{naming.LABEL_CLUSTER_NAME}={name}"
    plane_ref = spec_of(cluster).get("controlPlaneRef") or {}
    plane = None
    if plane_ref.get("name"):
        planes = list_objects(kube, CONTROLPLANE_API, "KubeadmControlPlane", namespace)
        plane = next((p for p in planes if name_of(p) == plane_ref["name"]), None)
    infra_ref = spec_of(cluster).get("infrastructureRef") or {}
    infra = None
    if infra_ref.get("name"):
        found = list_objects(kube, INFRA_API, "OpenStackCluster", namespace)
        infra = next((o for o in found if name_of(o) == infra_ref["name"]), None)
    return ClusterObjects(
        cluster=dict(cluster),
        control_plane=plane,
        infrastructure=infra,
        machine_deployments=tuple(
            list_objects(kube, CLUSTER_API, "MachineDeployment", namespace, selector)
        ),
        machine_sets=tuple(list_objects(kube, CLUSTER_API, "MachineSet", namespace, selector)),
        machines=tuple(list_objects(kube, CLUSTER_API, "Machine", namespace, selector)),
        openstack_machines=tuple(
            list_objects(kube, INFRA_API, "OpenStackMachine", namespace, selector)
        ),
    )


def node_group_of(deployment: Mapping[str, Any]) -> str:
    """The settings' name of a MachineDeployment's node group (its label, else its name)."""
    return labels_of(deployment).get(naming.LABEL_NODE_GROUP) or name_of(deployment)


def observed_current(obj: Mapping[str, Any]) -> bool:
    """The controller has seen the object's current spec: `status.observedGeneration`, or,
    where the controller leaves that unset (KCP while the workload cluster does not answer),
    the observedGeneration of every condition it wrote."""
    generation = (obj.get("metadata") or {}).get("generation")
    status = status_of(obj)
    if status.get("observedGeneration") is not None:
        return bool(status["observedGeneration"] == generation)
    observed = [c.get("observedGeneration") for c in status.get("conditions") or []]
    return bool(observed) and all(o == generation for o in observed)
