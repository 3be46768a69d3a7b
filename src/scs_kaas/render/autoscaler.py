"""The cluster-autoscaler of a cluster with autoscaled node groups: one per cluster, in its
namespace of the management cluster, with the Cluster API provider.

It watches the cluster's MachineDeployments there (in-cluster credentials, as
`--clusterapi-cloud-config-authoritative` says) and the workload cluster's nodes and pods through
the `<cluster>-kubeconfig` Secret CAPI writes; it sets the replicas of every MachineDeployment
carrying the min/max-size annotations (`render.node_groups`), which the render leaves out.
Without it CAPI's webhook sets an annotated group to its minimum and nothing ever scales.
The image follows the cluster's Kubernetes minor, as upstream supports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from scs_kaas.render.addons.objects import ADDON_LABEL
from scs_kaas.render.metadata import manifest
from scs_kaas.settings.model import Settings

NAME = "cluster-autoscaler"
IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
# Checked 2026-12-01 against upstream's release notes (kubernetes/autoscaler).
IMAGE_BY_MINOR: Mapping[str, str] = MappingProxyType(
    {"1.32": "v1.32.7", "1.33": "v1.33.5", "1.34": "v1.34.5", "1.35": "v1.35.1", "1.36": "v1.36.1"}
)
KUBECONFIG_DIR = "/etc/kubernetes/workload"
CAPI_GROUP = "cluster.x-k8s.io"


def object_name(cluster: str) -> str:
    return f"{cluster}-autoscaler"


def image(kubernetes_version: str) -> str:
    """The autoscaler of the cluster's minor, else the newest one not newer than it."""
    minor = tuple(int(p) for p in kubernetes_version.lstrip("v").split(".")[:2])
    known = sorted(IMAGE_BY_MINOR, key=lambda m: tuple(int(p) for p in m.split(".")))
    older = [m for m in known if tuple(int(p) for p in m.split(".")) <= minor]
    line = older[-1] if older else known[0]
    return f"{IMAGE}:{IMAGE_BY_MINOR[line]}"


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "apiGroups": [CAPI_GROUP],
            "resources": ["machinedeployments", "machinesets", "machines", "machinepools"],
            "verbs": ["get", "list", "watch", "update", "patch"],
        },
        {
            "apiGroups": [CAPI_GROUP],
            "resources": ["machinedeployments/scale", "machinepools/scale"],
            "verbs": ["get", "update", "patch"],
        },
        # the machine templates, for the size of a group scaled to zero
        {
            "apiGroups": ["infrastructure.cluster.x-k8s.io"],
            "resources": ["*"],
            "verbs": ["get", "list", "watch"],
        },
    ]


def _container(cluster: str, namespace: str, settings: Settings) -> dict[str, Any]:
    return {
        "name": NAME,
        "image": image(settings.kubernetes_version),
        "command": ["/cluster-autoscaler"],
        "args": [
            "--cloud-provider=clusterapi",
            f"--kubeconfig={KUBECONFIG_DIR}/value",
            "--clusterapi-cloud-config-authoritative",
            f"--node-group-auto-discovery=clusterapi:namespace={namespace},clusterName={cluster}",
            "--expander=least-waste,random",
            "--cordon-node-before-terminating=true",
            "--skip-nodes-with-local-storage=false",
            "--v=2",
        ],
        "volumeMounts": [{"name": "kubeconfig", "mountPath": KUBECONFIG_DIR, "readOnly": True}],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def render_autoscaler(
    cluster: str, settings: Settings, labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    """ServiceAccount, Role, RoleBinding and Deployment; none without an autoscaled group."""
    if not any(group.autoscaled for group in settings.node_groups):
        return []
    namespace = settings.namespace_for(cluster)
    name = object_name(cluster)
    # ADDON_LABEL: a create prunes them once no group autoscales, a delete with the cluster.
    own = {**labels, ADDON_LABEL: NAME}
    selector = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/instance": name}
    account = manifest("v1", "ServiceAccount", name, namespace, own)
    role = manifest("rbac.authorization.k8s.io/v1", "Role", name, namespace, own, rules=_rules())
    binding = manifest(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        name,
        namespace,
        own,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        subjects=[{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
    )
    pod_spec = {
        "serviceAccountName": name,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65532},
        "containers": [_container(cluster, namespace, settings)],
        # written by CAPI once the control plane is up: the pod waits for it
        "volumes": [{"name": "kubeconfig", "secret": {"secretName": f"{cluster}-kubeconfig"}}],
    }
    deployment = manifest(
        "apps/v1",
        "Deployment",
        name,
        namespace,
        own,
        {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": {**selector, **own}}, "spec": pod_spec},
        },
    )
    return [account, role, binding, deployment]
