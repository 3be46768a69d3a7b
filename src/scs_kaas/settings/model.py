"""The settings of one workload cluster in one environment: the single source of truth."""

from __future__ import annotations

import ipaddress
import itertools
from types import MappingProxyType
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, model_validator

from scs_kaas import naming
from scs_kaas.settings.addons import AddonsSettings
from scs_kaas.settings.base import StrictModel
from scs_kaas.settings.cidr_checks import network_fit_problems
from scs_kaas.settings.fields import KubernetesVersion, NamespaceName, OpenStackName, Prefix
from scs_kaas.settings.kubeadm import ClusterKubeadm
from scs_kaas.settings.management import ImageSettings, ManagementSettings
from scs_kaas.settings.merge import deep_merge
from scs_kaas.settings.network import ApiServerSettings, NetworkSettings
from scs_kaas.settings.nodes import ControlPlane, NodeGroup, NodeGroupDefaults
from scs_kaas.versions import DEFAULT_KUBERNETES_VERSION, KUBERNETES_PATCH_RELEASES

# R1 created one MachineDeployment `<cluster>-md-0` with 3 workers.
DEFAULT_NODE_GROUP = MappingProxyType({"name": "md-0", "count": 3})


class SettingValueError(ValueError):
    """Cross-field errors that know which setting each is about (pydantic keeps this in ctx)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{setting}: {message}" for setting, message in problems))


def _pem(value: str) -> str:
    if "-----BEGIN CERTIFICATE-----" not in value:
        raise ValueError("must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)")
    return value


def _mirror_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s):// URL of a registry mirror")
    return value


class Settings(StrictModel):
    """Every setting of a workload cluster, with R1's meaning and today's defaults."""

    prefix: Prefix = Field(
        default="capi",
        description="prefix of the environment's OpenStack names and tags (<prefix>-mgmt, ...) "
        "and cluster namespaces: 1-24 of a-z, 0-9 and '-', starting with a letter",
    )
    cloud: OpenStackName = Field(
        default="openstack", description="the entry of clouds.yaml to use ($OS_CLOUD sets it too)"
    )
    namespace: NamespaceName | None = Field(
        default=None,
        description="management-cluster namespace; default: <prefix>-<cluster> (a cluster made "
        "before keeps its namespace)",
    )
    kubernetes_version: KubernetesVersion = Field(
        default=DEFAULT_KUBERNETES_VERSION,
        description="Kubernetes version, 1.33 (the validated patch release) or v1.33.5; also "
        "picks the CNI, CCM and CSI charts. Minors: " + ", ".join(KUBERNETES_PATCH_RELEASES),
    )
    availability_zone: OpenStackName | None = Field(
        default=None,
        description="failure domain of the control plane (unless control_plane.failure_domains),"
        " the node groups (unless their own) and the management host",
    )
    external_network: OpenStackName | None = Field(
        default=None,
        description="the external network of routers and floating IPs, name or ID; default: "
        "the only external network",
    )
    ssh_key_name: OpenStackName | None = Field(
        default=None, description="Nova keypair for the nodes; default: <prefix>-keypair"
    )
    image: ImageSettings = Field(
        default=ImageSettings(),
        description="node images: Glance name, download URL, properties, default root volume",
    )
    network: NetworkSettings = Field(
        default=NetworkSettings(),
        description="the cluster's networks: CIDRs, MTU, resolvers, extra networks",
    )
    api_server: ApiServerSettings = Field(
        default=ApiServerSettings(),
        description="the Kubernetes API endpoint: load balancer, floating IP, port, who may "
        "reach it",
    )
    control_plane: ControlPlane = Field(
        default=ControlPlane(), description="the control-plane machines (KubeadmControlPlane)"
    )
    node_group_defaults: NodeGroupDefaults = Field(
        default=NodeGroupDefaults(),
        description="what every node group starts from; a group's own keys win",
    )
    node_groups: list[NodeGroup] = Field(
        default_factory=lambda: [NodeGroup.model_validate(DEFAULT_NODE_GROUP)],
        min_length=1,
        description="the worker node groups, one MachineDeployment each (at least one); "
        "default: md-0 with 3 machines",
    )
    kubeadm: ClusterKubeadm = Field(
        default=ClusterKubeadm(),
        description="kubeadm settings of the whole cluster: control-plane flags, and files, "
        "commands and kubelet flags of every node",
    )
    trusted_cas: dict[str, Annotated[str, AfterValidator(_pem)]] = Field(
        default_factory=dict,
        description="name -> PEM certificate, trusted on every node (update-ca-certificates)",
    )
    registry_mirrors: dict[str, list[Annotated[str, AfterValidator(_mirror_url)]]] = Field(
        default_factory=dict,
        description="registry (e.g. docker.io) -> http(s):// mirror URLs that containerd pulls "
        "from first",
    )
    extra_tags: list[str] = Field(
        default_factory=list,
        description="more OpenStack tags on everything CAPO creates: 1-60 characters, without "
        "',' or '/'",
    )
    addons: AddonsSettings = Field(
        default=AddonsSettings(),
        description="the add-ons installed into the cluster (`kaas addons list`)",
    )
    management: ManagementSettings = Field(
        default=ManagementSettings(),
        description="the management host (`kaas mgmt create`), or an existing management cluster",
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_node_group_defaults(cls, data: Any) -> Any:
        """Each node group starts from `node_group_defaults`; the group's own keys win."""
        if not isinstance(data, dict):
            return data
        defaults = data.get("node_group_defaults")
        groups = data.get("node_groups", [dict(DEFAULT_NODE_GROUP)])
        if not isinstance(defaults, dict) or not isinstance(groups, list):
            return data
        merged = [deep_merge(defaults, g) if isinstance(g, dict) else g for g in groups]
        return {**data, "node_groups": merged}

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        problems = [*self._node_group_name_problems(), *self._cidr_problems()]
        if self.control_plane.count > 1 and not self.api_server.load_balancer:
            problems.append(
                (
                    "control_plane.count",
                    f"{self.control_plane.count} control-plane machines need "
                    "api_server.load_balancer: true to share one API endpoint",
                )
            )
        for index, tag in enumerate(self.extra_tags):
            if not tag or "," in tag or "/" in tag or len(tag) > 60:
                problems.append(
                    (f"extra_tags[{index}]", f"{tag!r}: must be 1-60 characters without ',' or '/'")
                )
        if problems:
            raise SettingValueError(problems)
        return self

    def _node_group_name_problems(self) -> list[tuple[str, str]]:
        problems = []
        seen: set[str] = set()
        for index, group in enumerate(self.node_groups):
            if group.name in seen:
                problems.append(
                    (
                        f"node_groups[{index}].name",
                        f"duplicate node group name {group.name!r}; each name must be unique",
                    )
                )
            if group.name == "control-plane":
                problems.append(
                    (
                        f"node_groups[{index}].name",
                        "'control-plane' is reserved for the control plane; choose another name",
                    )
                )
            seen.add(group.name)
        return problems

    def _cidr_problems(self) -> list[tuple[str, str]]:
        problems = []
        named = {
            "network.node_cidr": self.network.node_cidr,
            "network.pod_cidr": self.network.pod_cidr,
            "network.service_cidr": self.network.service_cidr,
        }
        for (a, cidr_a), (b, cidr_b) in itertools.combinations(named.items(), 2):
            net_a, net_b = ipaddress.ip_network(cidr_a), ipaddress.ip_network(cidr_b)
            if net_a.version == net_b.version and net_a.overlaps(net_b):
                problems.append(
                    (
                        b,
                        f"{cidr_b} overlaps {a} {cidr_a}; "
                        "node, pod and service CIDRs must not overlap",
                    )
                )
        return [*problems, *network_fit_problems(self)]

    # Derived values, so no caller computes them twice.
    def namespace_for(self, cluster: str) -> str:
        return self.namespace or naming.cluster_namespace(self.prefix, cluster)

    @property
    def node_ssh_key(self) -> str:
        return self.ssh_key_name or naming.keypair(self.prefix)

    @property
    def node_image_name(self) -> str:
        return self.image.name_template.format(version=self.kubernetes_version)


def check_cluster_name(cluster: str, settings: Settings) -> None:
    """The cluster name must also fit every name derived from it (machine hostnames)."""
    longest = naming.longest_machine_name(cluster, [g.name for g in settings.node_groups])
    longest_group = max(len(g.name) for g in settings.node_groups)
    if len(longest) > naming.MAX_HOSTNAME:
        raise SettingValueError(
            [
                (
                    "cluster name",
                    f"{cluster!r} with node group names up to {longest_group} characters "
                    f"gives machine names of {len(longest)} characters; "
                    f"hostnames allow {naming.MAX_HOSTNAME}: "
                    "shorten the cluster or node group names",
                )
            ]
        )
