"""`kaas cluster delete`: one workload cluster, then what CAPI leaves, then its credential.

Order (issues 5, 12): first what OCCM and Cinder CSI made in the cloud (cluster/release.py: else
their load balancer keeps CAPO from deleting the network, and the deletion hangs); then the
Cluster is deleted and waited for until it is gone (CAPI's finalizers delete its machines, load
balancer and network in the cloud); then the objects scs-kaas applied for it that CAPI does not
garbage-collect (add-ons, their carrier Secrets, the identity Secret) are pruned; then the sweep
(cluster/sweep.py) deletes whatever of the cluster is still in the cloud and, last, the
application credential, which CAPO needs until then. Each step is verified. A re-run after an
interruption continues where the last one stopped: a missing Cluster is no error.

Only what the tool can prove it owns is touched: a Cluster without our managed-by, prefix and
cluster-name labels is refused, pruning goes through `prune`'s label checks, and credentials
through their name and description (`owned_app_credentials`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openstack.connection import Connection

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import PRUNABLE, ObjectRef, owned_objects, prune
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_deleted
from scs_kaas.openstack.app_credentials import CredentialOwner, owned_app_credentials
from scs_kaas.openstack.leftovers import ClusterOwner
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.workflows import defaults
from scs_kaas.workflows.cluster.release import Released, release_cloud_provider_resources
from scs_kaas.workflows.cluster.server_groups import delete_recorded_server_groups, server_groups_of
from scs_kaas.workflows.cluster.sweep import sweep_cluster
from scs_kaas.workflows.cluster.target import ClusterTarget, namespace_note, owned_cluster
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

DEFAULT_TIMEOUT = defaults.CLUSTER_DELETE_TIMEOUT

# Every kind the renderer makes for a cluster besides its Namespace and the Cluster itself, users
# before what they use. CAPI deletes most of them with the Cluster (owner references); the rest,
# add-ons and their Secrets, stay unless pruned. tests/workflows/test_cluster_delete.py checks
# this list against a render.
LEFT_BEHIND: tuple[tuple[str, str], ...] = (
    ("cluster.x-k8s.io/v1beta2", "MachineHealthCheck"),
    ("cluster.x-k8s.io/v1beta2", "MachineDeployment"),
    ("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane"),
    ("infrastructure.cluster.x-k8s.io/v1beta2", "OpenStackCluster"),
    ("infrastructure.cluster.x-k8s.io/v1beta2", "OpenStackMachineTemplate"),
    ("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfigTemplate"),
    *PRUNABLE,
)


@dataclass(frozen=True)
class ClusterDeletePlan:
    """What a deletion would remove (read only)."""

    cluster: str
    namespace: str
    cluster_found: bool
    objects: tuple[str, ...]
    credential_ids: tuple[str, ...]


@dataclass(frozen=True)
class ClusterDeleteResult:
    """What a deletion removed; all of it verified gone."""

    cluster: str
    namespace: str
    cluster_deleted: bool
    objects: tuple[str, ...]
    credential_ids: tuple[str, ...]
    seconds: float
    notes: tuple[str, ...] = field(default=())
    cloud_provider: str = "none there"  # how OCCM's and CSI's resources went (Released.how)
    swept: dict[str, list[str]] = field(default_factory=dict)  # left by CAPI, then deleted


def labelled_objects(kube: KubeClient, target: ClusterTarget) -> list[ObjectRef]:
    """What scs-kaas applied for the cluster (our labels), besides the Cluster, still there."""
    return [
        ref for _, ref, _ in owned_objects(kube, target.namespace, target.selector, LEFT_BEHIND)
    ]


def plan(conn: Connection, kube: KubeClient, target: ClusterTarget) -> ClusterDeletePlan:
    """Read only: the Cluster (ownership checked), its labelled objects and its credentials."""
    cluster = owned_cluster(kube, target)
    objects = tuple(str(ref) for ref in labelled_objects(kube, target))
    owned = owned_app_credentials(conn, CredentialOwner(target.prefix, target.name))
    return ClusterDeletePlan(
        target.name, target.namespace, cluster is not None, objects, tuple(c.id for c in owned)
    )


def run(
    conn: Connection,
    kube: KubeClient,
    target: ClusterTarget,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = quiet,
    owner: ClusterOwner | None = None,
    keep_volumes: bool = False,
) -> ClusterDeleteResult:
    """OCCM's and CSI's resources, the Cluster (waited for), what is left of what we applied,
    what is left in the cloud, the credential last; each verified gone.

    `owner` (default: no server groups) names what the sweep looks for; the CLI makes it from
    the settings (`cluster_sweep.cluster_owner`)."""
    started = time.monotonic()
    deadline = started + timeout
    owner = owner or ClusterOwner(target.prefix, target.name)
    cluster = owned_cluster(kube, target)
    released = Released("none there")
    if cluster is None:
        progress(StepEvent("cluster", "skipped", f"Cluster {target} is gone already"))
    else:
        # also on a re-run while the Cluster is being deleted: CAPO may be stuck on them
        released = release_cloud_provider_resources(
            conn, kube, target.namespace, owner, keep_volumes, _left(deadline), progress
        )
        _delete_and_wait(kube, target, cluster, deadline, progress)
        delete_cluster_server_groups(conn, cluster, progress)
    objects = _prune_left(kube, target, deadline, progress)
    swept = sweep_cluster(conn, owner, keep_volumes, _left(deadline), progress)
    if owned_app_credentials(conn, CredentialOwner(target.prefix, target.name)):
        raise ClusterError(f"the application credential of {target} is still there")
    notes = [namespace_note(target)] + ([released.note] if released.note else [])
    return ClusterDeleteResult(
        target.name,
        target.namespace,
        cluster is not None,
        tuple(str(ref) for ref in objects),
        tuple(swept.credential_ids),
        round(time.monotonic() - started, 3),
        tuple(notes),
        released.how,
        swept.deleted,
    )


def _delete_and_wait(
    kube: KubeClient,
    target: ClusterTarget,
    cluster: Mapping[str, Any],
    deadline: float,
    progress: Progress,
) -> None:
    progress(StepEvent("cluster", "start", f"Cluster {target}: CAPI deletes its machines"))
    metadata = cluster["metadata"]
    kube.delete(
        CLUSTER_API,
        "Cluster",
        target.name,
        target.namespace,
        # the Cluster proven ours above, not one re-created under its name since
        uid=str(metadata["uid"]),
        # as kubectl does: CAPI's own controllers delete the descendants in their order
        propagation="Background",
    )

    def report(kind: str, obj: Mapping[str, Any]) -> None:
        phase = (obj.get("status") or {}).get("phase")
        if kind != "DELETED" and phase:
            progress(StepEvent("cluster", "start", f"Cluster {target}: {phase}"))

    wait_deleted(
        kube, CLUSTER_API, "Cluster", target.name, target.namespace, _left(deadline), report
    )
    progress(StepEvent("cluster", "deleted", f"Cluster {target}"))


def delete_cluster_server_groups(
    conn: Connection, cluster: Mapping[str, Any], progress: Progress
) -> None:
    """The Nova server groups the (now deleted) Cluster recorded: CAPI does not know them."""
    delete_recorded_server_groups(conn, server_groups_of(cluster), progress)


def _prune_left(
    kube: KubeClient, target: ClusterTarget, deadline: float, progress: Progress
) -> list[ObjectRef]:
    progress(StepEvent("objects", "start", f"what scs-kaas applied in {target.namespace}"))
    deleted = prune(kube, target.namespace, target.selector, keep=(), kinds=LEFT_BEHIND)
    # Waited for in the version the server serves (CAPO v0.14 has no v1beta2), as listed.
    served = {
        kind: kube.served_version(api_version, kind)
        for api_version, kind in LEFT_BEHIND
        if any(ref.kind == kind for ref in deleted)
    }
    for ref in deleted:
        # A finalizer (e.g. CAPI's on a MachineDeployment being garbage-collected) may hold it.
        wait_deleted(kube, served[ref.kind], ref.kind, ref.name, ref.namespace, _left(deadline))
    left = labelled_objects(kube, target)
    if left:
        raise ClusterError(
            f"still there after pruning (changed meanwhile?): {', '.join(map(str, left))}; "
            "run the deletion again"
        )
    detail = f"{len(deleted)} object(s) in {target.namespace}"
    progress(StepEvent("objects", "deleted" if deleted else "skipped", detail))
    return deleted


def _left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic())
