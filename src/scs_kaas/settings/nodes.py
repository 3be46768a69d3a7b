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
    OpenStackName,
    Seconds,
)
from scs_kaas.settings.kubeadm import NodeKubeadm

ServerGroupPolicy = Literal["none", "anti-affinity", "soft-anti-affinity"]


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

    size_gib: GiB | None = None
    type: str | None = None
    availability_zone: str | None = None


class HealthCheck(StrictModel):
    """MachineHealthCheck: replace machines whose node is not Ready in time."""

    enabled: bool = True
    node_startup_timeout_seconds: Seconds = 1800
    unhealthy_timeout_seconds: Seconds = 300
    max_unhealthy: Annotated[int | str, AfterValidator(_percent_or_count)] = "100%"


class Taint(StrictModel):
    key: LabelKey
    value: LabelValue = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class MachineSettings(StrictModel):
    """What a control-plane machine and a node-group machine have in common."""

    flavor: OpenStackName
    image: OpenStackName | None = Field(
        default=None, description="image name; default: the cluster's node image for its version"
    )
    root_volume: RootVolume = RootVolume()
    server_group: ServerGroupPolicy = Field(
        default="none", description="spread machines over hypervisors"
    )
    server_metadata: dict[str, str] = Field(default_factory=dict)
    kubeadm: NodeKubeadm = NodeKubeadm()
    node_drain_timeout_seconds: Seconds = 300


class NodeGroupDefaults(MachineSettings):
    """Defaults every node group starts from; a group's own keys win."""

    flavor: OpenStackName = "SCS-2V-4"
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    failure_domain: str | None = Field(default=None, description="availability zone")
    health_check: HealthCheck = HealthCheck()
    gpu: bool = Field(default=False, description="runs GPU workloads (NVIDIA GPU operator)")


class NodeGroup(NodeGroupDefaults):
    name: NodeGroupName
    count: Annotated[int, Field(ge=0, le=1000)] = 3
    autoscale_min: Annotated[int, Field(ge=0, le=1000)] | None = None
    autoscale_max: Annotated[int, Field(ge=1, le=1000)] | None = None

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
    flavor: OpenStackName = "SCS-2V-4-20s"
    count: Annotated[int, Field(ge=1, le=7), AfterValidator(_odd)] = 1
    failure_domains: list[str] = Field(
        default_factory=list, description="availability zones to spread the control plane over"
    )
    health_check: HealthCheck = HealthCheck(max_unhealthy=1)
