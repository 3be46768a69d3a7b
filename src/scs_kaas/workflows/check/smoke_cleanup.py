"""Removing what the smoke check made, found by its labels only, and waiting until the cloud
has let go: the Service's load balancer (OCCM removes the Service's finalizer
`service.kubernetes.io/load-balancer-cleanup` only once Octavia deleted it, so the namespace
is gone only then), the volume (a PersistentVolume of reclaim policy Delete disappears once
Cinder CSI deleted the volume) and a snapshot's content. Used after a run, and before one, for
what an interrupted or killed run left."""

from __future__ import annotations

from typing import Any

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_deleted
from scs_kaas.render import smoke

SNAPSHOT_API = "snapshot.storage.k8s.io/v1"


def check_namespace_is_ours(workload: KubeClient) -> None:
    """A namespace of the check's name that lacks its labels is somebody else's: refuse."""
    found = workload.get("v1", "Namespace", smoke.NAMESPACE)
    if found is None:
        return
    labels = (found.get("metadata") or {}).get("labels") or {}
    if any(labels.get(key) != value for key, value in smoke.LABELS.items()):
        raise ClusterError(
            f"namespace {smoke.NAMESPACE} exists without the labels {smoke.SELECTOR}: it is not"
            " the smoke check's, so the check neither uses nor deletes it; delete or rename it"
        )


def remove(workload: KubeClient, timeout: float) -> list[str]:
    """Delete the check's namespaces, wait until they, the volumes and the snapshot contents
    of their claims are gone; what was removed, as "Kind name"."""
    removed = []
    # Listed first as well: a volume deleted before its namespace is gone is removed all the same.
    before = _bound_to_the_namespace(workload)
    namespaces = workload.list("v1", "Namespace", label_selector=smoke.SELECTOR)
    for item in namespaces:
        workload.delete("v1", "Namespace", item["metadata"]["name"])
    for item in namespaces:
        name = item["metadata"]["name"]
        wait_deleted(workload, "v1", "Namespace", name, None, timeout)
        removed.append(f"Namespace {name}")
    seen = {(kind, _name(item)) for kind, _, item in before}
    later = [e for e in _bound_to_the_namespace(workload) if (e[0], _name(e[2])) not in seen]
    for kind, api_version, item in before + later:
        name = item["metadata"]["name"]
        if _kept_by_policy(item):
            raise ClusterError(
                f"{kind} {name} of the check's namespace is kept by its reclaim/deletion"
                " policy Retain: delete it and its cloud resource by hand"
            )
        wait_deleted(workload, api_version, kind, name, None, timeout)
        removed.append(f"{kind} {name}")
    return removed


def _name(item: dict[str, Any]) -> str:
    return str(item["metadata"]["name"])


def _bound_to_the_namespace(workload: KubeClient) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, apiVersion, object) of the volumes and snapshot contents of the check's claims."""
    return [
        (kind, api_version, item)
        for kind, api_version, owner in (
            ("PersistentVolume", "v1", ("claimRef", "namespace")),
            ("VolumeSnapshotContent", SNAPSHOT_API, ("volumeSnapshotRef", "namespace")),
        )
        for item in _of_namespace(workload, api_version, kind, owner)
    ]


def _of_namespace(
    workload: KubeClient, api_version: str, kind: str, owner: tuple[str, str]
) -> list[dict[str, Any]]:
    """Cluster-wide objects bound to something in the check's namespace (they carry no label:
    the provisioner and the snapshot controller make them)."""
    if not workload.serves(api_version, kind):
        return []  # no snapshot CRDs: no snapshot contents
    ref_key, namespace_key = owner
    return [
        item
        for item in workload.list(api_version, kind)
        if ((item.get("spec") or {}).get(ref_key) or {}).get(namespace_key) == smoke.NAMESPACE
    ]


def _kept_by_policy(item: dict[str, Any]) -> bool:
    spec = item.get("spec") or {}
    return "Retain" in (spec.get("persistentVolumeReclaimPolicy"), spec.get("deletionPolicy"))
