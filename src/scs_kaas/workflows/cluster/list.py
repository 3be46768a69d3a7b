"""`kaas cluster list`: every cluster of the environment's prefix on the management cluster.

One row per Cluster labelled managed-by scs-kaas: desired Kubernetes version (the
KubeadmControlPlane's) and the versions its machines run (`status.versions`, which KCP and the
MachineDeployments aggregate from their machines), ready/desired machines of the control plane
and of each node group, the Cluster's phase and Available condition, and its age. Clusters of
other prefixes are left out unless asked for, and then marked.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scs_kaas import naming
from scs_kaas.kube.client import KubeClient
from scs_kaas.render.metadata import CLUSTER_API, CONTROLPLANE_API
from scs_kaas.render.node_groups import AUTOSCALER_MAX, AUTOSCALER_MIN
from scs_kaas.workflows.cluster.objects import (
    labels_of,
    list_objects,
    name_of,
    namespace_of,
    node_group_of,
    spec_of,
    status_of,
)


@dataclass(frozen=True)
class GroupCount:
    name: str
    ready: int
    desired: int | None
    autoscale: tuple[int, int] | None = None  # (min, max): the autoscaler sets `desired`


@dataclass(frozen=True)
class ClusterRow:
    name: str
    namespace: str
    prefix: str
    other_prefix: bool  # shown only with --all-prefixes
    version: str  # desired: the control plane's spec.version
    running: tuple[str, ...]  # what the machines run, oldest first
    control_plane: GroupCount
    node_groups: tuple[GroupCount, ...]
    phase: str
    available: str  # True, False, Unknown
    available_reason: str
    age_seconds: int


def condition(obj: Mapping[str, Any] | None, type_: str) -> dict[str, Any]:
    """The v1beta2 condition `type_` of `obj` ({} if there is none)."""
    for found in status_of(obj).get("conditions") or []:
        if found.get("type") == type_:
            return dict(found)
    return {}


def versions_of(obj: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The versions `status.versions` reports (KCP, MachineDeployment), oldest first."""
    return tuple(str(v.get("version")) for v in status_of(obj).get("versions") or [])


def age_seconds(obj: Mapping[str, Any], now: datetime.datetime) -> int:
    stamp = (obj.get("metadata") or {}).get("creationTimestamp")
    if not stamp:
        return 0
    created = datetime.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    return max(0, int((now - created).total_seconds()))


def autoscale_bounds(obj: Mapping[str, Any]) -> tuple[int, int] | None:
    """(min, max) of the cluster autoscaler's annotations on a MachineDeployment."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    low, high = annotations.get(AUTOSCALER_MIN), annotations.get(AUTOSCALER_MAX)
    if low is None or high is None:
        return None
    return int(low), int(high)


def _count(name: str, obj: Mapping[str, Any]) -> GroupCount:
    replicas = spec_of(obj).get("replicas")
    ready = int(status_of(obj).get("readyReplicas") or 0)
    desired = None if replicas is None else int(replicas)
    return GroupCount(name, ready, desired, autoscale_bounds(obj))


def cluster_row(
    cluster: Mapping[str, Any],
    control_plane: Mapping[str, Any] | None,
    deployments: Sequence[Mapping[str, Any]],
    prefix: str,
    now: datetime.datetime,
) -> ClusterRow:
    """One row from the objects already read (pure)."""
    own_prefix = labels_of(cluster).get(naming.LABEL_PREFIX, "")
    available = condition(cluster, "Available")
    running = versions_of(control_plane)
    for deployment in deployments:
        running += tuple(v for v in versions_of(deployment) if v not in running)
    return ClusterRow(
        name=name_of(cluster),
        namespace=namespace_of(cluster),
        prefix=own_prefix,
        other_prefix=own_prefix != prefix,
        version=str(spec_of(control_plane).get("version") or ""),
        running=tuple(sorted(running, key=version_key)),
        control_plane=_count("control-plane", control_plane or {}),
        node_groups=tuple(_count(node_group_of(d), d) for d in deployments),
        phase=str(status_of(cluster).get("phase") or ""),
        available=str(available.get("status") or "Unknown"),
        available_reason=str(available.get("reason") or ""),
        age_seconds=age_seconds(cluster, now),
    )


def version_key(version: str) -> tuple[int, ...]:
    """v1.34.1 -> (1, 34, 1); what is not a version sorts first."""
    try:
        return tuple(int(part) for part in version.lstrip("v").split("."))
    except ValueError:
        return (-1,)


def run(
    kube: KubeClient,
    prefix: str,
    all_prefixes: bool = False,
    now: datetime.datetime | None = None,
) -> list[ClusterRow]:
    """Read only: the clusters of `prefix` (or every scs-kaas cluster), by namespace and name."""
    now = now or datetime.datetime.now(tz=datetime.UTC)
    selector = f"{naming.LABEL_MANAGED_BY}={naming.MANAGED_BY}"
    if not all_prefixes:
        selector += f",{naming.LABEL_PREFIX}={prefix}"
    clusters = list_objects(kube, CLUSTER_API, "Cluster", None, selector)
    if not clusters:
        return []
    # One list per kind for all clusters rather than three requests per cluster.
    planes = {
        (namespace_of(p), name_of(p)): p
        for p in list_objects(kube, CONTROLPLANE_API, "KubeadmControlPlane", None, selector)
    }
    deployments = list_objects(kube, CLUSTER_API, "MachineDeployment", None, selector)
    rows = []
    for cluster in clusters:
        namespace, name = namespace_of(cluster), name_of(cluster)
        plane_name = (spec_of(cluster).get("controlPlaneRef") or {}).get("name", "")
        mine = [
            d
            for d in deployments
            if namespace_of(d) == namespace and labels_of(d).get(naming.LABEL_CLUSTER_NAME) == name
        ]
        rows.append(cluster_row(cluster, planes.get((namespace, plane_name)), mine, prefix, now))
    return rows
