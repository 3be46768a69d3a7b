"""The smoke check's objects in a workload cluster (`kaas check smoke`): a web app whose pod
keeps its data on a volume of the default StorageClass, behind a Service of type LoadBalancer
and, when the cluster has an ingress controller, an Ingress; a VolumeSnapshot of the volume when
a VolumeSnapshotClass exists.

Everything lives in one namespace of the check's own and carries the check's labels, so that a
cleanup, also one by a later run after an interruption, finds exactly what the check made.
The app is agnhost's `serve-hostname`: it answers any GET with the pod's name and nothing else
(agnhost's netexec would also execute commands sent to it, through a public load balancer).
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scs_kaas import naming, versions

NAMESPACE = "kaas-check-smoke"
APP = "kaas-smoke"
CLAIM = "kaas-smoke-data"
SNAPSHOT = "kaas-smoke"
CONTAINER = "app"
DATA_DIR = "/data"
DATA_FILE = f"{DATA_DIR}/kaas-smoke-check"
APP_PORT = 8080
SERVICE_PORT = 80
# The Ingress's host: a name under .invalid (RFC 2606) never resolves, so the check sends it as
# the Host header to the controller's address and nothing else can answer for it.
INGRESS_HOST = "smoke.kaas.invalid"
CHECK_LABEL = "kaas.scs.community/check"
LABELS = {naming.LABEL_MANAGED_BY: naming.MANAGED_BY, CHECK_LABEL: "smoke"}
SELECTOR = ",".join(f"{key}={value}" for key, value in LABELS.items())
POD_LABELS = {**LABELS, "app.kubernetes.io/name": APP}
RUN_AS = 65534  # nobody: the pod passes the restricted Pod Security Standard
VOLUME_SIZE = "1Gi"


@dataclass(frozen=True)
class SmokeSpec:
    """What the cluster offers, found by the check: an IngressClass and a VolumeSnapshotClass."""

    ingress_class: str | None = None
    snapshot_class: str | None = None
    image: str = versions.AGNHOST_IMAGE


def _metadata(name: str, namespaced: bool = True) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": dict(LABELS)}
    if namespaced:
        metadata["namespace"] = NAMESPACE
    return metadata


def namespace() -> dict[str, Any]:
    metadata = _metadata(NAMESPACE, namespaced=False)
    metadata["labels"] |= {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
    }
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def claim() -> dict[str, Any]:
    # No storageClassName: the API server's DefaultStorageClass admission fills in the default.
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(CLAIM),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": VOLUME_SIZE}},
        },
    }


def _container(image: str) -> dict[str, Any]:
    return {
        "name": CONTAINER,
        "image": image,
        "args": ["serve-hostname", "--http", f"--port={APP_PORT}"],
        "ports": [{"name": "http", "containerPort": APP_PORT}],
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 2},
        "volumeMounts": [{"name": "data", "mountPath": DATA_DIR}],
        "resources": {
            "requests": {"cpu": "10m", "memory": "16Mi"},
            "limits": {"memory": "64Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
    }


def deployment(image: str = versions.AGNHOST_IMAGE) -> dict[str, Any]:
    pod_spec = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        # The volume is the group's: nobody may write to it.
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationGracePeriodSeconds": 5,
        "containers": [_container(image)],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": CLAIM}}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(APP),
        "spec": {
            "replicas": 1,
            # A ReadWriteOnce volume: the old pod lets go before the new one starts.
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {"app.kubernetes.io/name": APP}},
            "template": {"metadata": {"labels": dict(POD_LABELS)}, "spec": pod_spec},
        },
    }


def service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(APP),
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app.kubernetes.io/name": APP},
            "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http"}],
        },
    }


def ingress(ingress_class: str) -> dict[str, Any]:
    backend = {"service": {"name": APP, "port": {"number": SERVICE_PORT}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _metadata(APP),
        "spec": {
            "ingressClassName": ingress_class,
            "rules": [
                {
                    "host": INGRESS_HOST,
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                }
            ],
        },
    }


def volume_snapshot(snapshot_class: str) -> dict[str, Any]:
    return {
        "apiVersion": "snapshot.storage.k8s.io/v1",
        "kind": "VolumeSnapshot",
        "metadata": _metadata(SNAPSHOT),
        "spec": {
            "volumeSnapshotClassName": snapshot_class,
            "source": {"persistentVolumeClaimName": CLAIM},
        },
    }


def app_objects(spec: SmokeSpec) -> list[dict[str, Any]]:
    """What the deploy step applies, namespace first."""
    objects = [namespace(), claim(), deployment(spec.image), service()]
    if spec.ingress_class:
        objects.append(ingress(spec.ingress_class))
    return objects


def all_objects(spec: SmokeSpec) -> list[dict[str, Any]]:
    """Every object the check may create."""
    objects = app_objects(spec)
    if spec.snapshot_class:
        objects.append(volume_snapshot(spec.snapshot_class))
    return objects
