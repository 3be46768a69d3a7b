"""One MachineDeployment, KubeadmConfigTemplate, OpenStackMachineTemplate and health check per
node group. Both templates are named after a hash of their spec, so changing a flavor, an image, a
volume or a kubeadm setting rolls the group, and an unchanged group renders byte-identically."""

from __future__ import annotations

from typing import Any

from scs_kaas import naming
from scs_kaas.render import kubeadm
from scs_kaas.render.compact import compact
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.hashing import spec_digest
from scs_kaas.render.health import machine_health_check
from scs_kaas.render.machines import machine_spec, machine_template
from scs_kaas.render.metadata import (
    BOOTSTRAP_API,
    BOOTSTRAP_GROUP,
    CLUSTER_API,
    INFRA_GROUP,
    manifest,
    ref,
)
from scs_kaas.settings.model import Settings
from scs_kaas.settings.nodes import NodeGroup

LABEL_DEPLOYMENT = "cluster.x-k8s.io/deployment-name"
# Cluster API copies node-role.kubernetes.io/* labels from a Machine to its Node; the kubelet may
# not set them itself (the NodeRestriction admission plugin and its own flag check refuse it).
WORKER_ROLE = "node-role.kubernetes.io/worker"
AUTOSCALER_MIN = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"


def _bootstrap_spec(settings: Settings, group: NodeGroup, cacert: str) -> dict[str, Any]:
    role = group.kubeadm
    labels = ",".join(f"{k}={v}" for k, v in sorted(group.labels.items()))
    kubelet_args = kubeadm.kubelet_args(settings, role)
    if labels:
        kubelet_args.append({"node-labels": labels})
    spec = {
        "joinConfiguration": {
            "nodeRegistration": kubeadm.node_registration(kubelet_args, group.taints)
        },
        "files": kubeadm.node_files(settings, cacert, role),
        "preKubeadmCommands": kubeadm.pre_commands(settings, cacert, role),
        "postKubeadmCommands": kubeadm.post_commands(settings, role),
    }
    return dict(compact(spec))


def _machine_deployment(
    cluster: str,
    settings: Settings,
    group: NodeGroup,
    labels: dict[str, str],
    bootstrap_name: str,
    template_name: str,
) -> dict[str, Any]:
    name = naming.node_group(cluster, group.name)
    selector = {naming.LABEL_CLUSTER_NAME: cluster, LABEL_DEPLOYMENT: name}
    template_spec: dict[str, Any] = {
        "clusterName": cluster,
        "version": settings.kubernetes_version,
        "bootstrap": {"configRef": ref(BOOTSTRAP_GROUP, "KubeadmConfigTemplate", bootstrap_name)},
        "infrastructureRef": ref(INFRA_GROUP, "OpenStackMachineTemplate", template_name),
        "deletion": {"nodeDrainTimeoutSeconds": group.node_drain_timeout_seconds},
    }
    failure_domain = group.failure_domain or settings.availability_zone
    if failure_domain:
        template_spec["failureDomain"] = failure_domain
    spec: dict[str, Any] = {
        "clusterName": cluster,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {
                "labels": {
                    **selector,
                    naming.LABEL_NODE_GROUP: group.name,
                    # CAPI copies node.cluster.x-k8s.io labels onto the Node (GPU operator).
                    naming.LABEL_NODE_GROUP_ON_NODE: group.name,
                    WORKER_ROLE: "",
                }
            },
            "spec": template_spec,
        },
        "rollout": {
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            }
        },
    }
    document = manifest(
        CLUSTER_API,
        "MachineDeployment",
        name,
        settings.namespace_for(cluster),
        {**labels, naming.LABEL_NODE_GROUP: group.name},
        spec,
    )
    if group.autoscale_min is not None and group.autoscale_max is not None:
        # The cluster autoscaler owns the replica count; leaving it out keeps apply from fighting.
        document["metadata"]["annotations"] = {
            AUTOSCALER_MIN: str(group.autoscale_min),
            AUTOSCALER_MAX: str(group.autoscale_max),
        }
    else:
        spec["replicas"] = group.count
    return document


def render_node_group(
    cluster: str,
    settings: Settings,
    group: NodeGroup,
    facts: CloudFacts,
    cacert: str,
    labels: dict[str, str],
) -> list[dict[str, Any]]:
    namespace = settings.namespace_for(cluster)
    base = naming.node_group(cluster, group.name)
    group_labels = {**labels, naming.LABEL_NODE_GROUP: group.name}
    bootstrap = _bootstrap_spec(settings, group, cacert)
    bootstrap_template = manifest(
        BOOTSTRAP_API,
        "KubeadmConfigTemplate",
        naming.hashed(base, spec_digest(bootstrap)),
        namespace,
        group_labels,
        {"template": {"spec": bootstrap}},
    )
    infra_template = machine_template(
        base, namespace, group_labels, machine_spec(settings, cluster, group.name, group, facts)
    )
    documents = [
        bootstrap_template,
        infra_template,
        _machine_deployment(
            cluster,
            settings,
            group,
            labels,
            bootstrap_template["metadata"]["name"],
            infra_template["metadata"]["name"],
        ),
    ]
    if group.health_check.enabled:
        selector = {naming.LABEL_CLUSTER_NAME: cluster, LABEL_DEPLOYMENT: base}
        documents.append(
            machine_health_check(
                base, namespace, cluster, group_labels, selector, group.health_check
            )
        )
    return documents
