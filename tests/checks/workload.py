"""A workload cluster for the checks: the session's plain API server (`workload_apiserver`,
with the real kube-controller-manager: namespace, PV binder, Deployment and ReplicaSet
controllers) registered in the management cluster the way `kaas cluster create` leaves it (a
Cluster with this prefix's labels, the `<cluster>-kubeconfig` Secret).

No kubelet, scheduler, CSI provisioner or OCCM runs there, and of kube-controller-manager only
the namespace, garbage-collector and service-account controllers: no Deployment controller makes
the app's pod, so no run gets past the `pod` step here. A thread plays the volume binder,
pvc-protection and the provisioner's deletion (see `storage_controllers`)."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from kubernetes import watch
from kubernetes.client.exceptions import ApiException
from pydantic import SecretStr

from scs_kaas import naming
from scs_kaas.errors import KaasError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.localmgmt.programs import go_command, go_env
from scs_kaas.render import smoke
from scs_kaas.workflows.check_target import WorkloadAccess
from scs_kaas.workflows.cluster_delete import ClusterTarget
from tests.kube.objects import cluster_manifest
from tests.workflows.workload_cluster import register

STORAGE_CLASS = "kaas-test-default"
PROVISIONER = "no-provisioner.kaas.test"
# external-snapshotter's client module carries the snapshot CRDs (config/crd); the newest one
# the Go module proxy serves here (the snapshot-controller chart installs v8.3's, same schema).
SNAPSHOTTER = "github.com/kubernetes-csi/external-snapshotter/client/v8@v8.6.0"


def registered(
    kube: KubeClient, namespace: str, cluster: str, workload: ManagementCluster, prefix: str
) -> WorkloadAccess:
    labels = {
        naming.LABEL_MANAGED_BY: naming.MANAGED_BY,
        naming.LABEL_PREFIX: prefix,
        naming.LABEL_CLUSTER_NAME: cluster,
    }
    apply(kube, [cluster_manifest(namespace, cluster, paused=True, labels=labels)])
    kubeconfig = yaml.safe_load(workload.kubeconfig.read_text(encoding="utf-8"))
    register(kube, namespace, cluster, kubeconfig)
    return WorkloadAccess(
        ClusterTarget(prefix, namespace, cluster), SecretStr(yaml.safe_dump(kubeconfig))
    )


def storage_class() -> dict[str, Any]:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": PROVISIONER,
        "volumeBindingMode": "Immediate",
        "reclaimPolicy": "Delete",
    }


def volume(name: str) -> dict[str, Any]:
    """A volume as the provisioner makes it for a claim."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": smoke.VOLUME_SIZE},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": STORAGE_CLASS,
            "persistentVolumeReclaimPolicy": "Delete",
            "csi": {"driver": PROVISIONER, "volumeHandle": uuid.uuid4().hex},
        },
    }


@contextlib.contextmanager
def storage_controllers(workload: KubeClient) -> Iterator[None]:
    """The parts of kube-controller-manager the local one does not run (it runs the namespace,
    garbage-collector and service-account controllers only), and of the CSI provisioner: a new
    claim gets a volume (`pvc-<uid>`, as the provisioner names it) and is bound to it; pvc- and
    pv-protection let a deleted claim and its volume go (no pod uses them: none runs), and the
    provisioner deletes that volume."""
    stop = threading.Event()
    claims = workload.resource("v1", "PersistentVolumeClaim")
    volumes = workload.resource("v1", "PersistentVolume")

    def reconcile(claim: dict[str, Any]) -> None:
        metadata = claim["metadata"]
        if metadata.get("deletionTimestamp"):
            claims.patch(
                name=metadata["name"],
                namespace=metadata["namespace"],
                body={"metadata": {"finalizers": None}},
                content_type="application/merge-patch+json",
            )
            for pv in volumes.get().items:
                ref = pv.spec.claimRef
                if ref is not None and ref.uid == metadata["uid"]:
                    volumes.delete(name=pv.metadata.name)
                    volumes.patch(  # pv-protection: no claim uses it now
                        name=pv.metadata.name,
                        body={"metadata": {"finalizers": None}},
                        content_type="application/merge-patch+json",
                    )
            return
        if (claim.get("status") or {}).get("phase") == "Bound":
            return
        ref = {"kind": "PersistentVolumeClaim", "name": metadata["name"]}
        ref |= {"namespace": metadata["namespace"], "uid": metadata["uid"]}
        made = volume(f"pvc-{metadata['uid']}")
        made["spec"]["claimRef"] = ref
        apply(workload, [made], "test-provisioner")
        volume_name = made["metadata"]["name"]
        volumes.status.patch(
            name=volume_name,
            body={"status": {"phase": "Bound"}},
            content_type="application/merge-patch+json",
        )
        claims.patch(
            name=metadata["name"],
            namespace=metadata["namespace"],
            body={"spec": {"volumeName": volume_name}},
            content_type="application/merge-patch+json",
        )
        claims.status.patch(
            name=metadata["name"],
            namespace=metadata["namespace"],
            body={"status": {"phase": "Bound", "capacity": {"storage": smoke.VOLUME_SIZE}}},
            content_type="application/merge-patch+json",
        )

    def run() -> None:
        while not stop.is_set():
            watcher = watch.Watch()  # type: ignore[no-untyped-call]
            stream = watcher.stream(  # type: ignore[no-untyped-call]
                claims.get, namespace=smoke.NAMESPACE, serialize=False, timeout_seconds=2
            )
            for event in stream:
                if event["type"] in ("ADDED", "MODIFIED"):
                    # a race with the check (an object gone, a conflict): the next event retries
                    with contextlib.suppress(ApiException, KaasError):
                        reconcile(event["raw_object"])
                if stop.is_set():
                    break

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def snapshot_crds() -> list[dict[str, Any]]:
    """The VolumeSnapshot CRDs, from the module cache (`go mod download`)."""
    import json
    import subprocess

    done = subprocess.run(
        [go_command(), "mod", "download", "-json", SNAPSHOTTER],
        env=go_env(),
        capture_output=True,
        text=True,
        check=True,
        cwd=Path("/"),
    )
    folder = Path(json.loads(done.stdout)["Dir"]) / "config" / "crd"
    return [
        yaml.safe_load((folder / f"snapshot.storage.k8s.io_{name}.yaml").read_text())
        for name in ("volumesnapshotclasses", "volumesnapshotcontents", "volumesnapshots")
    ]


def leftovers(workload: KubeClient) -> list[str]:
    """Everything of the smoke check's still in the cluster."""
    found = [
        f"Namespace {item.metadata.name} {item.status.phase} {item.status.conditions}"
        for item in workload.resource("v1", "Namespace").get(label_selector=smoke.SELECTOR).items
    ]
    for pv in workload.resource("v1", "PersistentVolume").get().items:
        if ((pv.spec.claimRef or {}) and pv.spec.claimRef.namespace) == smoke.NAMESPACE:
            found.append(f"PersistentVolume {pv.metadata.name}")
    return found
