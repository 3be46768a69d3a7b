"""Machines: the control plane, node groups and what they share."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from scs_kaas.settings.base import StrictModel
from scs_kaas.settings.fields import (
    GiB,
    LabelKey,
    LabelValue,
    NodeGroupName,
    NodeLabelKey,
    OpenStackName,
    Seconds,
)
from scs_kaas.settings.kubeadm import NodeKubeadm

ServerGroupPolicy = Literal["none", "anti-affinity", "soft-anti-affinity"]
FLAVOR = "Nova flavor of the machines, name or ID"


def _percent_or_count(value: int | str) -> int | str:
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must be a count >= 0 or a percentage such as 40%")
        return value
    if value.endswith("%") and value[:-1].isdigit() and int(value[:-1]) <= 100:
        return value
    raise ValueError("must be a count >= 0 or a percentage from 0% to 100%")


class RootVolume(StrictModel):
    """Boot from a Cinder volume. `size_gib: null` means the flavor's own disk."""

    size_gib: GiB | None = Field(
        default=None,
        description="boot from a Cinder volume of this many GiB (1-65536); null: the flavor's "
        "disk, or image.default_root_volume_gib for a flavor without one",
    )
    type: str | None = Field(
        default=None, description="Cinder volume type of the root volume; default: the cloud's"
    )
    availability_zone: str | None = Field(
        default=None,
        description="Cinder availability zone of the root volume; default: the cloud's",
    )


class HealthCheck(StrictModel):
    """MachineHealthCheck: replace machines whose node is not Ready in time."""

    enabled: bool = Field(default=True, description="a MachineHealthCheck for these machines")
    node_startup_timeout_seconds: Seconds = Field(
        default=1800,
        description="seconds (1-86400) a new machine has for its node to join, else it is replaced",
    )
    unhealthy_timeout_seconds: Seconds = Field(
        default=300,
        description="seconds (1-86400) a node may stay not Ready (False or Unknown) before its "
        "machine is replaced",
    )
    max_unhealthy: Annotated[int | str, AfterValidator(_percent_or_count)] = Field(
        default="100%",
        description="replace machines only while at most this many are unhealthy: a count "
        "(0 or more) or a percentage (0% to 100%)",
    )


class Taint(StrictModel):
    """A taint the node registers with."""

    key: LabelKey = Field(description="taint key, in the form of a label key: [prefix/]name")
    value: LabelValue = Field(
        default="", description="taint value, in the form of a label value; may be empty"
    )
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(
        default="NoSchedule", description="what the taint does to pods that do not tolerate it"
    )


class MachineSettings(StrictModel):
    """What a control-plane machine and a node-group machine have in common."""

    flavor: OpenStackName = Field(description=FLAVOR)
    image: OpenStackName | None = Field(
        default=None,
        description="Glance image, name or ID; default: the cluster's node image for its "
        "version (image.name_template)",
    )
    root_volume: RootVolume = Field(
        default=RootVolume(), description="the root disk as a Cinder volume instead of the flavor's"
    )
    server_group: ServerGroupPolicy = Field(
        default="none",
        description="Nova server group policy of these machines: none, anti-affinity (each on "
        "another hypervisor; Nova refuses a server it cannot place so) or soft-anti-affinity "
        "(where possible)",
    )
    server_metadata: dict[str, str] = Field(
        default_factory=dict, description="Nova metadata (key -> value) on each server"
    )
    kubeadm: NodeKubeadm = Field(
        default=NodeKubeadm(),
        description="kubeadm additions for these machines: kubelet flags, files, commands",
    )
    node_drain_timeout_seconds: Seconds = Field(
        default=300,
        description="seconds (1-86400) to drain a node before its machine is deleted anyway",
    )


class NodeGroupDefaults(MachineSettings):
    """Defaults every node group starts from; a group's own keys win."""

    flavor: OpenStackName = Field(default="SCS-2V-4", description=FLAVOR)
    labels: dict[NodeLabelKey, LabelValue] = Field(
        default_factory=dict,
        description="node labels (key -> value) the kubelet sets when it registers; keys in "
        "kubernetes.io and k8s.io only as the kubelet allows",
    )
    taints: list[Taint] = Field(default_factory=list, description="taints the nodes register with")
    failure_domain: str | None = Field(
        default=None,
        description="availability zone of the group's machines; default: availability_zone",
    )
    health_check: HealthCheck = Field(
        default=HealthCheck(), description="the MachineHealthCheck of the group's machines"
    )
    gpu: bool = Field(default=False, description="runs GPU workloads (NVIDIA GPU operator)")


class NodeGroup(NodeGroupDefaults):
    """Worker machines alike: one MachineDeployment `<cluster>-<name>`."""

    name: NodeGroupName = Field(
        description="node group name: 1-20 of a-z, 0-9 and '-', starting with a letter"
    )
    count: Annotated[int, Field(ge=0, le=1000)] = Field(
        default=3, description="number of machines (0-1000); not used when autoscaled"
    )
    autoscale_min: Annotated[int, Field(ge=0, le=1000)] | None = Field(
        default=None,
        description="autoscaling: fewest machines (0-1000); set together with autoscale_max",
    )
    autoscale_max: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        default=None,
        description="autoscaling: most machines (1-1000); the cluster autoscaler then sets the "
        "count",
    )

    @model_validator(mode="after")
    def _autoscale_bounds(self) -> Self:
        if (self.autoscale_min is None) != (self.autoscale_max is None):
            raise ValueError("autoscale_min and autoscale_max must be set together")
        if (
            self.autoscale_min is not None
            and self.autoscale_max is not None
            and self.autoscale_min > self.autoscale_max
        ):
            raise ValueError("autoscale_min must be <= autoscale_max")
        return self

    @property
    def autoscaled(self) -> bool:
        return self.autoscale_max is not None


def _odd(count: int) -> int:
    if count % 2 == 0:
        raise ValueError("must be odd (1, 3, 5, 7) so etcd keeps a quorum")
    return count


class ControlPlane(MachineSettings):
    """The control-plane machines: one KubeadmControlPlane."""

    flavor: OpenStackName = Field(default="SCS-2V-4-20s", description=FLAVOR)
    count: Annotated[int, Field(ge=1, le=7), AfterValidator(_odd)] = Field(
        default=1,
        description="number of machines: 1, 3, 5 or 7 (odd, for etcd's quorum); more than one "
        "needs api_server.load_balancer",
    )
    failure_domains: list[str] = Field(
        default_factory=list,
        description="availability zones to spread the control plane over; default: "
        "availability_zone",
    )
    health_check: HealthCheck = Field(
        default=HealthCheck(max_unhealthy=1),
        description="the MachineHealthCheck of the control plane; with one machine it only "
        "replaces a first machine that never becomes a node",
    )
    certificates_expiry_days: Annotated[int, Field(ge=7, le=300)] | None = Field(
        default=30,
        description=(
            "roll the control plane this many days (7-300) before its certificates (one year) "
            "expire; null: never"
        ),
    )
