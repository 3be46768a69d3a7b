"""`kaas cluster delete`: one workload cluster, then what CAPI leaves, then its credential.

Order (issue 5): the Cluster is deleted and waited for until it is gone (CAPI's finalizers
delete its machines, load balancer and network in the cloud); then the objects scs-kaas applied
for it that CAPI does not garbage-collect (add-ons, their carrier Secrets, the identity Secret)
are pruned; only then is the application credential deleted, since CAPO needs it to delete the
cloud resources. Each step is verified. A re-run after an interruption continues where the last
one stopped: a missing Cluster is no error.

Only what the tool can prove it owns is touched: a Cluster without our managed-by, prefix and
cluster-name labels is refused, pruning goes through `prune`'s label checks, and credentials
through their name and description (`owned_app_credentials`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import PRUNABLE, ObjectRef, owned_objects, prune
from scs_kaas.kube.client import KubeClient, describe
from scs_kaas.kube.wait import wait_deleted
from scs_kaas.openstack.app_credentials import (
    CredentialOwner,
    delete_app_credentials,
    owned_app_credentials,
)
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.workflows.mgmt import Progress, StepEvent, quiet

DEFAULT_TIMEOUT = 1800.0

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
class ClusterTarget:
    """One workload cluster of an environment, where it lives in the management cluster."""

    prefix: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def selector(self) -> str:
        return f"{naming.LABEL_CLUSTER_NAME}={self.name},{naming.LABEL_PREFIX}={self.prefix}"


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


def namespace_note(target: ClusterTarget) -> str:
    return (
        f"namespace {target.namespace} is kept (it may hold objects scs-kaas did not make); "
        f"`kubectl delete namespace {target.namespace}` removes it and all in it"
    )


def owned_cluster(kube: KubeClient, target: ClusterTarget) -> dict[str, Any] | None:
    """The Cluster, or None if it is absent; a ClusterError if it is not this environment's."""
    resource = kube.resource(CLUSTER_API, "Cluster")
    try:
        found = kube.dynamic.get(
            resource, name=target.name, namespace=target.namespace, _request_timeout=kube.timeout
        ).to_dict()
    except ApiException as error:
        if error.status == 404:
            return None
        raise ClusterError(f"reading Cluster {target} failed: {describe(error)}") from None
    except urllib3.exceptions.HTTPError as error:
        raise ClusterError(f"reading Cluster {target} failed: {describe(error)}") from None
    check_owned(found, target)
    return dict(found)


def check_owned(cluster: Mapping[str, Any], target: ClusterTarget) -> None:
    labels = (cluster.get("metadata") or {}).get("labels") or {}
    wanted = {
        naming.LABEL_MANAGED_BY: naming.MANAGED_BY,
        naming.LABEL_PREFIX: target.prefix,
        naming.LABEL_CLUSTER_NAME: target.name,
    }
    wrong = [f"{k}={labels.get(k)!r}" for k, v in wanted.items() if labels.get(k) != v]
    if wrong:
        raise ClusterError(
            f"Cluster {target} is not one scs-kaas made for prefix {target.prefix!r} "
            f"(labels {', '.join(wrong)}); nothing was deleted. Check --set prefix=..., or "
            "delete it with kubectl if it is yours"
        )


def labelled_objects(kube: KubeClient, target: ClusterTarget) -> list[ObjectRef]:
    """What scs-kaas applied for the cluster (our labels), besides the Cluster, still there."""
    return [
        ref for _, ref, _ in owned_objects(kube, target.namespace, target.selector, LEFT_BEHIND)
    ]


def plan_cluster_delete(
    conn: Connection, kube: KubeClient, target: ClusterTarget
) -> ClusterDeletePlan:
    """Read only: the Cluster (ownership checked), its labelled objects and its credentials."""
    cluster = owned_cluster(kube, target)
    objects = tuple(str(ref) for ref in labelled_objects(kube, target))
    owned = owned_app_credentials(conn, CredentialOwner(target.prefix, target.name))
    return ClusterDeletePlan(
        target.name, target.namespace, cluster is not None, objects, tuple(c.id for c in owned)
    )


def delete_cluster(
    conn: Connection,
    kube: KubeClient,
    target: ClusterTarget,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = quiet,
) -> ClusterDeleteResult:
    """Delete the Cluster and wait, prune what is left, delete the credential; verify each."""
    started = time.monotonic()
    deadline = started + timeout
    cluster = owned_cluster(kube, target)
    if cluster is None:
        progress(StepEvent("cluster", "skipped", f"Cluster {target} is gone already"))
    else:
        _delete_and_wait(kube, target, cluster, deadline, progress)
    objects = _prune_left(kube, target, deadline, progress)
    owner = CredentialOwner(target.prefix, target.name)
    progress(StepEvent("app-credential", "start", owner.name))
    deleted_ids = delete_app_credentials(conn, owner)
    if owned_app_credentials(conn, owner):
        raise ClusterError(f"application credential {owner.name} is still there after deletion")
    shown = ", ".join(deleted_ids) or "none left"
    progress(StepEvent("app-credential", "deleted" if deleted_ids else "skipped", shown))
    return ClusterDeleteResult(
        target.name,
        target.namespace,
        cluster is not None,
        tuple(str(ref) for ref in objects),
        tuple(deleted_ids),
        round(time.monotonic() - started, 3),
        (namespace_note(target),),
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
    body = {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        # as kubectl does: CAPI's own controllers delete the descendants in their order
        "propagationPolicy": "Background",
        # the Cluster proven ours above, not one re-created under its name since
        "preconditions": {"uid": metadata["uid"]},
    }
    resource = kube.resource(CLUSTER_API, "Cluster")
    try:
        kube.dynamic.delete(
            resource,
            name=target.name,
            namespace=target.namespace,
            body=body,
            _request_timeout=kube.timeout,
        )
    except ApiException as error:
        if error.status != 404:
            raise ClusterError(f"deleting Cluster {target} failed: {describe(error)}") from None
    except urllib3.exceptions.HTTPError as error:
        raise ClusterError(f"deleting Cluster {target} failed: {describe(error)}") from None

    def report(kind: str, obj: Mapping[str, Any]) -> None:
        phase = (obj.get("status") or {}).get("phase")
        if kind != "DELETED" and phase:
            progress(StepEvent("cluster", "start", f"Cluster {target}: {phase}"))

    wait_deleted(
        kube, CLUSTER_API, "Cluster", target.name, target.namespace, _left(deadline), report
    )
    progress(StepEvent("cluster", "deleted", f"Cluster {target}"))


def _prune_left(
    kube: KubeClient, target: ClusterTarget, deadline: float, progress: Progress
) -> list[ObjectRef]:
    progress(StepEvent("objects", "start", f"what scs-kaas applied in {target.namespace}"))
    deleted = prune(kube, target.namespace, target.selector, keep=(), kinds=LEFT_BEHIND)
    by_kind = {kind: api_version for api_version, kind in LEFT_BEHIND}
    for ref in deleted:
        # A finalizer (e.g. CAPI's on a MachineDeployment being garbage-collected) may hold it.
        wait_deleted(kube, by_kind[ref.kind], ref.kind, ref.name, ref.namespace, _left(deadline))
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
