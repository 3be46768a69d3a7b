"""Names of everything the tool creates, from one module, so creation and cleanup never disagree."""

from __future__ import annotations

MANAGED_BY = "scs-kaas"

# Kubernetes label keys put on every rendered object.
LABEL_CLUSTER_NAME = "cluster.x-k8s.io/cluster-name"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_PREFIX = "kaas.scs.community/prefix"
LABEL_NODE_GROUP = "kaas.scs.community/node-group"
LABEL_MOVE = "clusterctl.cluster.x-k8s.io/move"
LABEL_NODE_GROUP_ON_NODE = "node.cluster.x-k8s.io/node-group"

# Longest name a Machine (and so the Nova server and the node's hostname) may get: a hostname is one
# DNS label. CAPI names machines `<KCP name>-<5 random>` and `<MachineSet name>-<5 random>`, where a
# MachineSet is `<MachineDeployment name>-<up to 10 characters>`.
MAX_HOSTNAME = 63

# On the Cluster: the name OCCM and Cinder CSI give its cloud resources, kept for its lifetime.
CLOUD_NAME_ANNOTATION = "kaas.scs.community/cloud-cluster-name"
_RANDOM_SUFFIX = 6
_MACHINESET_SUFFIX = 11


def ownership_tags(prefix: str, cluster: str | None = None) -> list[str]:
    """OpenStack tags that prove a resource belongs to this tool, environment and cluster.

    Nova rejects '/' and ',' in tags, so the values are joined with '='.
    """
    tags = [f"managed-by={MANAGED_BY}", f"prefix={prefix}"]
    if cluster is not None:
        tags.append(f"cluster={cluster}")
    return tags


def cluster_namespace(prefix: str, cluster: str) -> str:
    """The default management-cluster namespace: CAPO names the cluster's network, router and
    API load balancer after namespace and cluster, so the prefix keeps environments apart."""
    return f"{prefix}-{cluster}"


def cloud_cluster_name(prefix: str, cluster: str) -> str:
    """What OCCM (`cluster.name`, in load balancer names) and Cinder CSI (`clusterID`, on
    volumes) call a new cluster: unique per prefix in a project."""
    return f"{prefix}-{cluster}"


def control_plane(cluster: str) -> str:
    return f"{cluster}-control-plane"


def node_group(cluster: str, group: str) -> str:
    return f"{cluster}-{group}"


def hashed(name: str, digest: str) -> str:
    """Machine and bootstrap templates carry a short hash of their spec: a new spec, a new name."""
    return f"{name}-{digest[:8]}"


def identity_secret(cluster: str) -> str:
    return f"{cluster}-cloud-config"


def cluster_lease(cluster: str) -> str:
    """The Lease in the cluster's namespace that its changing commands hold (one at a time)."""
    return f"scs-kaas-{cluster}"


def app_credential(prefix: str, cluster: str) -> str:
    return f"{prefix}-{cluster}-appcred"


def keypair(prefix: str) -> str:
    return f"{prefix}-keypair"


def server_group(prefix: str, cluster: str, role: str) -> str:
    return f"{prefix}-{cluster}-{role}"


def node_image(kubernetes_version: str) -> str:
    return f"ubuntu-capi-image-{kubernetes_version}"


def capo_network(namespace: str, cluster: str) -> str:
    """The name CAPO gives the network, subnet and router it creates for a cluster."""
    return f"k8s-clusterapi-cluster-{namespace}-{cluster}"


def longest_machine_name(cluster: str, groups: list[str]) -> str:
    """The longest machine name CAPI can derive here, padded with its random suffixes."""
    candidates = [control_plane(cluster) + "x" * _RANDOM_SUFFIX]
    candidates += [
        node_group(cluster, g) + "x" * (_MACHINESET_SUFFIX + _RANDOM_SUFFIX) for g in groups
    ]
    return max(candidates, key=len)


def management_app_credential(prefix: str) -> str:
    """The management host's application credential (R1: `<prefix>-appcred`)."""
    return f"{prefix}-mgmt-appcred"


def app_credential_description(prefix: str, cluster: str | None) -> str:
    """The description that, with the name, proves an application credential is the tool's.

    Keystone has no tags on application credentials, so the description carries the ownership.
    """
    owner = f"cluster={cluster}" if cluster is not None else "role=management"
    return f"made by {MANAGED_BY} for prefix={prefix} {owner}; deleted with it"


def app_credential_generation(name: str, generation: int) -> str:
    """Keystone keeps names unique per user: a rotation's new credential gets `<name>-<n>`."""
    return name if generation == 1 else f"{name}-{generation}"


# The management host and what it needs, one name each (R1: `<prefix>-mgmtcluster`, `-net`, ...).
# Every one also carries `management_tags(prefix)`, so workload-cluster resources of the same
# prefix (tagged `cluster=<name>`) are never mistaken for them.
MANAGEMENT_ROLE_TAG = "role=management"


def management_tags(prefix: str) -> list[str]:
    return [*ownership_tags(prefix), MANAGEMENT_ROLE_TAG]


def mgmt_server(prefix: str) -> str:
    return f"{prefix}-mgmt"


def mgmt_security_group(prefix: str) -> str:
    return f"{prefix}-mgmt-sg"


def mgmt_network(prefix: str) -> str:
    return f"{prefix}-mgmt-net"


def mgmt_subnet(prefix: str) -> str:
    return f"{prefix}-mgmt-subnet"


def mgmt_router(prefix: str) -> str:
    return f"{prefix}-mgmt-router"


def mgmt_port(prefix: str) -> str:
    return f"{prefix}-mgmt-port"


def mgmt_floating_ip(prefix: str) -> str:
    """Floating IPs have no name: this goes into their description."""
    return f"{prefix}-mgmt-fip"


def mgmt_root_volume(prefix: str) -> str:
    return f"{prefix}-mgmt-root"


# What the OpenStack CCM and the Cinder CSI plugin are told the cluster is called (`--cluster-name`,
# `--cluster`): it goes into load balancer names (`kube_service_<name>_<namespace>_<service>`),
# floating IP and security group descriptions, and the volume metadata key below.
CSI_CLUSTER_METADATA = "cinder.csi.openstack.org/cluster"
OCCM_LOAD_BALANCER_PREFIX = "kube_service_"


def cloud_provider_cluster_names(prefix: str, cluster: str) -> tuple[str, str]:
    """The names OCCM and CSI may know `cluster` by: first the per-prefix-unique one, then the
    bare cluster name that clusters rendered before it carry (not unique across prefixes, so a
    resource named with it needs a second proof: see openstack/leftovers.py).

    The sweep only recognises; `workflows.cluster.names` chooses which one a cluster renders.
    """
    return (cloud_cluster_name(prefix, cluster), cluster)
