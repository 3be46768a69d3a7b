"""Which Kubernetes upgrades are allowed: the version-skew guard of `kaas cluster upgrade`
(pure, but for `refuse_version_change`, which reads the live objects for `kaas cluster create`).

Kubernetes supports upgrading one minor at a time and never downgrading (kubeadm refuses both,
and the skew policy forbids kubelets newer than the API server). So the target must be no
older than any version the cluster wants or runs, and at most one minor newer than the oldest
of them; a longer way is named minor by minor. The target must also be one the pinned Cluster
API supports for workload clusters and one the OpenStack CCM and Cinder CSI are pinned for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scs_kaas import naming
from scs_kaas.errors import ClusterError, KaasError
from scs_kaas.kube.client import KubeClient
from scs_kaas.render.addons.pins import CINDER_CSI_BY_MINOR, OPENSTACK_CCM_BY_MINOR
from scs_kaas.render.metadata import CLUSTER_API, CONTROLPLANE_API
from scs_kaas.workflows.cluster.list import version_key, versions_of
from scs_kaas.workflows.cluster.objects import (
    ClusterObjects,
    list_objects,
    name_of,
    namespace_of,
    spec_of,
)

# Cluster API v1.14's workload-cluster range (docs/book/src/reference/versions.md of v1.14.2).
CAPI_WORKLOAD_MINORS = ("1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37")


class UpgradeRefused(KaasError):
    """An upgrade Kubernetes does not support: bad input, nothing was changed."""

    exit_code = 2


def minor_of(version: str) -> tuple[int, int]:
    major, minor = version_key(version)[:2]
    return major, minor


def _minor_text(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


def minor_path(start: tuple[int, int], end: tuple[int, int]) -> str:
    """1.33 -> 1.34 -> 1.35: every minor on the way, as the upgrades must go."""
    steps = [(start[0], m) for m in range(start[1], end[1] + 1)]
    return " -> ".join(_minor_text(s) for s in steps)


def check_upgrade(current: Iterable[str], target: str) -> None:
    """Refuse a downgrade and a skipped minor; `current` is every version the control plane
    and the node groups want or run."""
    known = sorted({v for v in current if v}, key=version_key)
    if not known:
        return
    oldest, newest = known[0], known[-1]
    if version_key(target) < version_key(newest):
        raise UpgradeRefused(
            f"{target} is older than {newest}, which the cluster already wants or runs: "
            "Kubernetes cannot be downgraded; nothing was changed"
        )
    start, end = minor_of(oldest), minor_of(target)
    if end[0] != start[0] or end[1] > start[1] + 1:
        raise UpgradeRefused(
            f"{target} skips a minor: the cluster runs {oldest}, and Kubernetes upgrades one "
            f"minor at a time: {minor_path(start, end)} (one `kaas cluster upgrade` each); "
            "nothing was changed"
        )


def check_supported(target: str) -> None:
    """The pinned Cluster API, CCM and Cinder CSI support the target's minor."""
    minor = _minor_text(minor_of(target))
    lacking = []
    if minor not in CAPI_WORKLOAD_MINORS:
        lacking.append(
            f"Cluster API v1.14 (workload clusters {CAPI_WORKLOAD_MINORS[0]}-"
            f"{CAPI_WORKLOAD_MINORS[-1]})"
        )
    for name, pins in (
        ("OpenStack CCM", OPENSTACK_CCM_BY_MINOR),
        ("Cinder CSI", CINDER_CSI_BY_MINOR),
    ):
        if minor not in pins:
            lacking.append(f"{name} (chart lines for {', '.join(pins)})")
    if lacking:
        raise UpgradeRefused(
            f"Kubernetes {minor} is not supported by the pinned {' and '.join(lacking)}; "
            "nothing was changed"
        )


def live_versions(objects: ClusterObjects) -> list[str]:
    """Every version the control plane and node groups want (spec) or run (status.versions)."""
    found: list[str] = []
    if objects.control_plane is not None:
        found.append(str(spec_of(objects.control_plane).get("version") or ""))
        found += versions_of(objects.control_plane)
    for deployment in objects.machine_deployments:
        template = spec_of(deployment).get("template") or {}
        found.append(str((template.get("spec") or {}).get("version") or ""))
        found += versions_of(deployment)
    return [v for v in found if v]


def refuse_version_change(kube: KubeClient, cluster: Mapping[str, Any], wanted: str) -> None:
    """For `kaas cluster create` on an existing cluster: a changed Kubernetes version goes
    through `kaas cluster upgrade` (guard and order), never one apply of everything."""
    # Only the control plane and the node groups: this runs on every create of a cluster.
    namespace, name = namespace_of(cluster), name_of(cluster)
    plane_name = (spec_of(cluster).get("controlPlaneRef") or {}).get("name")
    planes = list_objects(kube, CONTROLPLANE_API, "KubeadmControlPlane", namespace)
    selector = f"{naming.LABEL_CLUSTER_NAME}={name}"
    objects = ClusterObjects(
        cluster=dict(cluster),
        control_plane=next((p for p in planes if name_of(p) == plane_name), None),
        infrastructure=None,
        machine_deployments=tuple(
            list_objects(kube, CLUSTER_API, "MachineDeployment", namespace, selector)
        ),
        machine_sets=(),
        machines=(),
        openstack_machines=(),
    )
    versions = live_versions(objects)
    if not versions or all(v == wanted for v in versions):
        return
    where = f"{namespace_of(cluster)}/{name_of(cluster)}"
    raise ClusterError(
        f"Cluster {where} wants or runs {', '.join(sorted(set(versions), key=version_key))} "
        f"and the settings ask for {wanted}: `kaas cluster upgrade {name_of(cluster)} --to "
        f"{wanted}` upgrades the control plane, then the node groups, then the add-ons, "
        "each after the last is done; nothing was changed"
    )
