"""A workload cluster for the restart after a rotation: a real, plain API server (the session's
`workload_apiserver`) holding what the charts and the ClusterResourceSet put there, and the
ClusterResourceSet controller played by a thread (it would apply to a cluster whose nodes
joined; none do here). No Deployment or DaemonSet controller runs on that API server: a thread
plays their part of a rollout too, writing the status through the status subresource.

The workloads carry the labels cloud-provider-openstack's charts give them (see
scs_kaas.workflows.cluster.restart_cloud_conf_readers) with our release names, plus look-alikes of
another release and another namespace that a restart must not touch.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import yaml
from kubernetes.client.exceptions import ApiException

from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.kubeconfig import secret_name
from scs_kaas.kube.rollout import RESTARTED_AT
from scs_kaas.kube.secrets import apply_secret
from scs_kaas.kube.wait import wait_for
from scs_kaas.workflows.cluster.restart_cloud_conf_readers import names_credential

OCCM = ("DaemonSet", "kube-system", "openstack-cloud-controller-manager")
CSI_CONTROLLER = ("Deployment", "kube-system", "openstack-cinder-csi-controllerplugin")
CSI_NODE = ("DaemonSet", "kube-system", "openstack-cinder-csi-nodeplugin")
READERS = (OCCM, CSI_CONTROLLER, CSI_NODE)
# Same chart, another release; and our release's labels in another namespace.
OTHER_RELEASE = ("Deployment", "kube-system", "other-cinder-csi-controllerplugin")
OTHER_NAMESPACE = ("Deployment", "elsewhere", "openstack-cinder-csi-controllerplugin")
BYSTANDERS = (OTHER_RELEASE, OTHER_NAMESPACE)

_CSI = {"app": "openstack-cinder-csi", "release": "cinder-csi"}
# Object labels as the charts render them (chart, heritage and version labels left out).
_LABELS = {
    OCCM: {
        "app.kubernetes.io/name": "openstack-cloud-controller-manager",
        "app.kubernetes.io/instance": "openstack-ccm",
    },
    CSI_CONTROLLER: {**_CSI, "component": "controllerplugin"},
    CSI_NODE: {**_CSI, "component": "nodeplugin"},
    OTHER_RELEASE: {**_CSI, "release": "other", "component": "controllerplugin"},
    OTHER_NAMESPACE: {**_CSI, "component": "controllerplugin"},
}
# Pod labels (the charts' matchLabels) of the CCM, which its DaemonSet object does not carry.
_OCCM_POD = {"component": "controllermanager", "app": OCCM[2], "release": "openstack-ccm"}


def cloud_conf_secret(cloud_conf: str) -> dict[str, Any]:
    """`kube-system/cloud-config` as the cloud-config add-on renders it."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "cloud-config", "namespace": "kube-system"},
        "type": "Opaque",
        "data": {"cloud.conf": base64.b64encode(cloud_conf.encode()).decode()},
    }


def seed(workload: KubeClient) -> None:
    """Namespaces and the chart workloads (no cloud-config Secret: see `cloud_conf_secret`)."""
    apply(
        workload,
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            for name in ("kube-system", "elsewhere")
        ],
    )
    apply(workload, [_workload(ref) for ref in (*READERS, *BYSTANDERS)])


def unseed(workload: KubeClient) -> None:
    """Remove what `seed` and the tests put there: the workload API server is the session's."""
    for kind, namespace, name in (*READERS, *BYSTANDERS, ("Secret", "kube-system", "cloud-config")):
        api_version = "v1" if kind == "Secret" else "apps/v1"
        with contextlib.suppress(ApiException):
            workload.resource(api_version, kind).delete(name=name, namespace=namespace)


def _workload(ref: tuple[str, str, str]) -> dict[str, Any]:
    kind, namespace, name = ref
    pod = _OCCM_POD if ref == OCCM else _LABELS[ref]
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": _LABELS[ref]},
        "spec": {
            "selector": {"matchLabels": pod},
            "template": {
                "metadata": {"labels": pod},
                "spec": {"containers": [{"name": "main", "image": "example:1"}]},
            },
        },
    }


def restarted_at(workload: KubeClient, ref: tuple[str, str, str]) -> str | None:
    kind, namespace, name = ref
    stored = workload.resource("apps/v1", kind).get(name=name, namespace=namespace).to_dict()
    annotations = stored["spec"]["template"]["metadata"].get("annotations") or {}
    value = annotations.get(RESTARTED_AT)
    return None if value is None else str(value)


def register(
    management: KubeClient,
    namespace: str,
    cluster: str,
    kubeconfig: Mapping[str, Any],
) -> None:
    """The `<cluster>-kubeconfig` Secret Cluster API writes, holding `kubeconfig` (the workload
    cluster's admin kubeconfig)."""
    apply_secret(
        management, namespace, secret_name(cluster), {"value": yaml.safe_dump(dict(kubeconfig))}
    )


def carrier_manifests(carrier: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The objects inside a resource-set carrier Secret (as stored: base64 data)."""
    found = []
    for encoded in (carrier.get("data") or {}).values():
        found += [d for d in yaml.safe_load_all(base64.b64decode(encoded)) if d]
    return found


def _cloud_conf(carrier: Mapping[str, Any]) -> str:
    for doc in carrier_manifests(carrier):
        if doc.get("kind") == "Secret":
            return base64.b64decode(doc["data"]["cloud.conf"]).decode()
    return ""


@contextlib.contextmanager
def crs_controller(
    management: KubeClient,
    workload: KubeClient,
    namespace: str,
    carrier: str,
    stale_credential: str,
    timeout: float = 60.0,
    roll_out: bool = True,
) -> Iterator[Future[None]]:
    """What the ClusterResourceSet does on a change: once the management carrier Secret no
    longer names `stale_credential`, its manifests are applied to the workload cluster. Then,
    with `roll_out`, the workload controllers finish the rollout of the restarted readers.

    A watch, no sleeping; the future fails if that change does not come within `timeout`.
    """

    def changed(obj: Mapping[str, Any] | None) -> bool:
        return obj is not None and not names_credential(_cloud_conf(obj), stale_credential)

    def reconcile() -> None:
        found = wait_for(management, "v1", "Secret", carrier, namespace, changed, timeout)
        assert found is not None
        apply(workload, carrier_manifests(found))
        if roll_out:
            for ref in READERS:
                finish_rollout(workload, ref, timeout)

    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(reconcile)


def finish_rollout(workload: KubeClient, ref: tuple[str, str, str], timeout: float) -> None:
    """The Deployment or DaemonSet controller: once the workload was restarted, its new pods
    run and are available (two nodes; one controller replica)."""
    kind, namespace, name = ref

    def restarted(obj: Mapping[str, Any] | None) -> bool:
        template = ((obj or {}).get("spec") or {}).get("template") or {}
        return RESTARTED_AT in ((template.get("metadata") or {}).get("annotations") or {})

    found = wait_for(workload, "apps/v1", kind, name, namespace, restarted, timeout)
    assert found is not None
    generation = found["metadata"]["generation"]
    status: dict[str, Any] = {"observedGeneration": generation}
    if kind == "DaemonSet":
        status |= {
            "currentNumberScheduled": 2,
            "desiredNumberScheduled": 2,
            "numberMisscheduled": 0,
            "numberReady": 2,
            "updatedNumberScheduled": 2,
            "numberAvailable": 2,
        }
    else:  # the API server validates status too: available <= ready <= replicas
        status |= {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}
    workload.resource("apps/v1", kind).status.patch(
        body={"status": status},
        name=name,
        namespace=namespace,
        content_type="application/merge-patch+json",
    )
