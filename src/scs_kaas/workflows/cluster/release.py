"""Before a Cluster is deleted: what OCCM and Cinder CSI made for it in the cloud goes first.

A Service of type LoadBalancer gets a load balancer whose VIP port sits on the cluster network;
while it is there CAPO cannot delete the network and the Cluster's deletion never ends (CAPO
issue #842). CAPI deletes the machines first, so OCCM and CSI would no longer run to clean up.
So, while the workload cluster still answers, its Services of type LoadBalancer and (unless
volumes are kept) its PersistentVolumeClaims are deleted, and OCCM and CSI are given time to
remove what they made (watched in the cloud, by the proofs of openstack/leftovers.py). When the
workload cluster does not answer, or they do not finish in time, those cloud resources are
deleted directly. Either way nothing of OCCM's or CSI's is left for CAPO to trip over.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from openstack.connection import Connection

from scs_kaas.errors import KaasError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.kubeconfig import read_admin_kubeconfig, secret_name
from scs_kaas.openstack import sweep
from scs_kaas.openstack.leftovers import ClusterOwner, Leftover
from scs_kaas.workflows.cluster.sweep import find
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

RELEASE_TIMEOUT = 300.0  # for OCCM and CSI to remove what they made
POLL_INTERVAL = 2.0
CONNECT_TIMEOUT = (10.0, 30.0)
CLOUD_PROVIDER_SOURCES = ("occm", "csi")


@dataclass(frozen=True)
class Released:
    """How the cloud-provider resources went: by "the workload cluster", "directly", or "none
    there"; the Services and claims deleted in the workload cluster; what was deleted directly."""

    how: str
    workload_objects: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    note: str = ""


def cloud_provider_leftovers(
    conn: Connection, owner: ClusterOwner, keep_volumes: bool
) -> list[Leftover]:
    leftovers, _ = find(conn, owner, keep_volumes)
    return [item for item in leftovers if item.source in CLOUD_PROVIDER_SOURCES]


def release_cloud_provider_resources(
    conn: Connection,
    management: KubeClient,
    namespace: str,
    owner: ClusterOwner,
    keep_volumes: bool,
    timeout: float,
    progress: Progress = quiet,
) -> Released:
    """Have OCCM and CSI delete their cloud resources, else delete them; verified gone."""
    left = cloud_provider_leftovers(conn, owner, keep_volumes)
    if not left:
        progress(StepEvent("cloud-provider", "skipped", "no OCCM or CSI resources in the cloud"))
        return Released("none there")
    progress(StepEvent("cloud-provider", "start", f"{len(left)} OCCM/CSI resource(s)"))
    deadline = time.monotonic() + timeout
    note = ""
    objects: list[str] = []
    try:
        objects = _delete_in_workload(management, namespace, owner.cluster, keep_volumes)
    except KaasError as error:
        note = f"the workload cluster does not answer ({error}); deleted directly"
    if objects:
        wait_until = min(deadline, time.monotonic() + RELEASE_TIMEOUT)
        while time.monotonic() < wait_until:
            if not cloud_provider_leftovers(conn, owner, keep_volumes):
                detail = f"removed by OCCM/CSI after deleting {len(objects)} object(s)"
                progress(StepEvent("cloud-provider", "deleted", detail))
                return Released("the workload cluster", objects)
            time.sleep(POLL_INTERVAL)
        note = "OCCM/CSI did not remove their resources in time; deleted directly"
    elif not note:
        note = "no Service of type LoadBalancer or claim in the workload cluster; deleted directly"
    left = cloud_provider_leftovers(conn, owner, keep_volumes)

    def report(kind: str, phase: str, detail: str) -> None:
        progress(StepEvent(kind, phase, detail))

    sweep.sweep(conn, left, max(1.0, deadline - time.monotonic()), report)
    progress(StepEvent("cloud-provider", "deleted", note))
    return Released("directly", objects, [str(item) for item in left], note)


def _delete_in_workload(
    management: KubeClient, namespace: str, cluster: str, keep_volumes: bool
) -> list[str]:
    """Delete the Services of type LoadBalancer and the claims; their names (ns/name)."""
    kubeconfig = read_admin_kubeconfig(management, namespace, cluster)
    origin = f"the admin kubeconfig of {cluster} (Secret {namespace}/{secret_name(cluster)})"
    with KubeClient.from_text(
        kubeconfig.get_secret_value(), timeout=CONNECT_TIMEOUT, origin=origin
    ) as workload:
        kinds = ["Service"] if keep_volumes else ["Service", "PersistentVolumeClaim"]
        deleted = []
        for kind in kinds:
            for item in workload.list("v1", kind):
                if kind == "Service" and (item.get("spec") or {}).get("type") != "LoadBalancer":
                    continue
                metadata = item["metadata"]
                workload.delete("v1", kind, metadata["name"], metadata["namespace"])
                deleted.append(f"{kind} {metadata['namespace']}/{metadata['name']}")
        return deleted
