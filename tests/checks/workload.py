"""A workload cluster for the smoke check: the session's workload API server with nodes
(`workload_with_nodes`: the real kube-controller-manager's namespace, garbage-collector, PV
binder, pv- and pvc-protection, Deployment and ReplicaSet controllers; the real kube-scheduler;
kwok playing the kubelets of two fake nodes, see tests/support/fake_nodes.py), registered in the
management cluster the way `kaas cluster create` leaves it (a Cluster with this prefix's labels,
the `<cluster>-kubeconfig` Secret).

A thread plays Cinder CSI's provisioner (see `provisioner`). No OCCM runs: a Service of type
LoadBalancer never gets an address, so no smoke run gets past the `load-balancer` step here.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
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
from scs_kaas.workflows.check.target import WorkloadAccess
from scs_kaas.workflows.cluster.target import ClusterTarget
from tests.support.objects import cluster_manifest
from tests.support.workload_cluster import register

STORAGE_CLASS = "kaas-test-default"
PROVISIONER = "no-provisioner.kaas.test"
PROVISIONER_ANNOTATION = "volume.kubernetes.io/storage-provisioner"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
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
def provisioner(workload: KubeClient) -> Iterator[None]:
    """The one part of a workload cluster's storage no real program plays here: Cinder CSI's
    provisioner, which cannot run without the cloud and a kubelet. The real PV binder marks a
    claim of the test StorageClass for it (`volume.kubernetes.io/storage-provisioner`); this
    makes the claim's volume (`pvc-<uid>`, as csi-provisioner names it) and deletes a volume of
    reclaim policy Delete once the binder released it. Binding, pvc- and pv-protection are
    kube-controller-manager's own (tests/support/fake_nodes.py: WORKLOAD_CONTROLLERS). (kwok's own
    `volume/fast` stages would make volumes too, but they also play the binder.)"""
    stop = threading.Event()
    claims = workload.resource("v1", "PersistentVolumeClaim")
    volumes = workload.resource("v1", "PersistentVolume")

    def provision(claim: dict[str, Any]) -> None:
        metadata, spec = claim["metadata"], claim.get("spec") or {}
        wanted = (metadata.get("annotations") or {}).get(PROVISIONER_ANNOTATION) == PROVISIONER
        if not wanted or metadata.get("deletionTimestamp") or spec.get("volumeName"):
            return
        made = volume(f"pvc-{metadata['uid']}")
        made["metadata"]["annotations"] = {PROVISIONED_BY: PROVISIONER}
        made["spec"]["claimRef"] = {
            "kind": "PersistentVolumeClaim",
            "namespace": metadata["namespace"],
            "name": metadata["name"],
            "uid": metadata["uid"],
        }
        apply(workload, [made], "test-provisioner")

    def delete(pv: dict[str, Any]) -> None:
        metadata, spec = pv["metadata"], pv.get("spec") or {}
        ours = (metadata.get("annotations") or {}).get(PROVISIONED_BY) == PROVISIONER
        released = (pv.get("status") or {}).get("phase") == "Released"
        if ours and released and spec.get("persistentVolumeReclaimPolicy") == "Delete":
            volumes.delete(name=metadata["name"])

    def follow(resource: Any, reconcile: Callable[[dict[str, Any]], None]) -> None:
        while not stop.is_set():
            watcher = watch.Watch()  # type: ignore[no-untyped-call]
            stream = watcher.stream(  # type: ignore[no-untyped-call]
                resource.get, serialize=False, timeout_seconds=2
            )
            for event in stream:
                if event["type"] in ("ADDED", "MODIFIED"):
                    # a race with the controllers (an object gone, a conflict): the next event
                    # or the next watch's ADDED retries
                    with contextlib.suppress(ApiException, KaasError):
                        reconcile(event["raw_object"])
                if stop.is_set():
                    break

    threads = [
        threading.Thread(target=follow, args=(claims, provision), daemon=True),
        threading.Thread(target=follow, args=(volumes, delete), daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
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
