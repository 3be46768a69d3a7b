"""The KubeadmControlPlane, its machine template and its health check."""

from __future__ import annotations

from typing import Any

from scs_kaas import naming
from scs_kaas.render import kubeadm
from scs_kaas.render.compact import compact
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.health import machine_health_check
from scs_kaas.render.machines import machine_spec, machine_template
from scs_kaas.render.metadata import CONTROLPLANE_API, INFRA_GROUP, manifest, ref
from scs_kaas.settings.model import Settings

ROLE = "control-plane"
LABEL_CONTROL_PLANE = "cluster.x-k8s.io/control-plane"


def _kubeadm_config_spec(settings: Settings, cacert: str) -> dict[str, Any]:
    cluster_kubeadm = settings.kubeadm
    role = settings.control_plane.kubeadm
    registration = kubeadm.node_registration(kubeadm.kubelet_args(settings, role))
    init: dict[str, Any] = {"nodeRegistration": registration}
    join: dict[str, Any] = {"nodeRegistration": registration}
    port = settings.api_server.port
    if port != kubeadm.DEFAULT_API_PORT:
        # CAPO's load balancer forwards to the same port it listens on, so every API server
        # must bind it; kubeadm binds 6443 unless told otherwise. Left out at 6443, so the
        # control plane of an existing cluster is not rolled for an unchanged setting.
        endpoint = {"localAPIEndpoint": {"bindPort": port}}
        init.update(endpoint)
        join["controlPlane"] = endpoint
    addons = settings.addons
    if addons.cni == "cilium" and addons.cilium_kube_proxy_replacement:
        init["skipPhases"] = ["addon/kube-proxy"]  # Cilium takes over kube-proxy's job
    spec = {
        "clusterConfiguration": {
            "imageRepository": cluster_kubeadm.image_repository,
            "apiServer": {"extraArgs": kubeadm.arg_list(cluster_kubeadm.api_server_extra_args)},
            "controllerManager": {
                "extraArgs": kubeadm.arg_list(
                    kubeadm.CLOUD_PROVIDER_EXTERNAL, cluster_kubeadm.controller_manager_extra_args
                )
            },
            "scheduler": {"extraArgs": kubeadm.arg_list(cluster_kubeadm.scheduler_extra_args)},
            "etcd": {"local": {"extraArgs": kubeadm.arg_list(cluster_kubeadm.etcd_extra_args)}},
        },
        "initConfiguration": init,
        "joinConfiguration": join,
        "files": kubeadm.node_files(settings, cacert, role),
        "preKubeadmCommands": kubeadm.pre_commands(settings, cacert, role),
        "postKubeadmCommands": kubeadm.post_commands(settings, role),
    }
    return dict(compact(spec))


def _rollout(certificates_expiry_days: int | None) -> dict[str, Any]:
    rollout: dict[str, Any] = {
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}
    }
    if certificates_expiry_days is not None:
        # kubeadm's certificates last a year and are renewed only by an upgrade; KCP replaces
        # the machines whose certificates expire within this many days.
        rollout["before"] = {"certificatesExpiryDays": certificates_expiry_days}
    return rollout


def render_control_plane(
    cluster: str, settings: Settings, facts: CloudFacts, cacert: str, labels: dict[str, str]
) -> list[dict[str, Any]]:
    namespace = settings.namespace_for(cluster)
    plane = settings.control_plane
    name = naming.control_plane(cluster)
    template = machine_template(
        name, namespace, labels, machine_spec(settings, cluster, ROLE, plane, facts)
    )
    spec: dict[str, Any] = {
        "replicas": plane.count,
        "version": settings.kubernetes_version,
        "machineTemplate": {
            "spec": {
                "infrastructureRef": ref(
                    INFRA_GROUP, "OpenStackMachineTemplate", template["metadata"]["name"]
                ),
                "deletion": {"nodeDrainTimeoutSeconds": plane.node_drain_timeout_seconds},
            }
        },
        "kubeadmConfigSpec": _kubeadm_config_spec(settings, cacert),
        "rollout": _rollout(plane.certificates_expiry_days),
        # Stop replacing control-plane machines in a loop when something else is wrong.
        "remediation": {
            "maxRetry": 3,
            "retryPeriodSeconds": 1200,
            "minHealthyPeriodSeconds": 3600,
        },
    }
    documents = [
        manifest(CONTROLPLANE_API, "KubeadmControlPlane", name, namespace, labels, spec),
        template,
    ]
    if plane.health_check.enabled:
        # With one replica KCP remediates only while the control plane initialises (a first
        # machine that never becomes a node is replaced); once initialised it does not remove
        # its only machine, so the check then just reports. From three replicas it replaces.
        selector = {naming.LABEL_CLUSTER_NAME: cluster, LABEL_CONTROL_PLANE: ""}
        documents.append(
            machine_health_check(name, namespace, cluster, labels, selector, plane.health_check)
        )
    return documents
