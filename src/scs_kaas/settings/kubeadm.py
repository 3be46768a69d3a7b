"""kubeadm customisation: extra arguments, files and commands, cluster-wide and per node role."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from scs_kaas.settings.base import StrictModel

_MODE = re.compile(r"^0?[0-7]{3}$")


def _absolute(path: str) -> str:
    if not path.startswith("/") or "\n" in path:
        raise ValueError("must be an absolute path on the node, e.g. /etc/example.conf")
    return path


def _mode(value: str) -> str:
    if not _MODE.fullmatch(value):
        raise ValueError("must be an octal file mode such as 0644")
    return value


class NodeFile(StrictModel):
    """A file written on the node before kubeadm runs."""

    path: Annotated[str, AfterValidator(_absolute)]
    content: str
    permissions: Annotated[str, AfterValidator(_mode)] = "0644"
    owner: str = "root:root"


ExtraArgs = dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")], str]


class NodeKubeadm(StrictModel):
    """What can be added for one role (control plane or a node group)."""

    kubelet_extra_args: ExtraArgs = Field(default_factory=dict, description="kubelet flags")
    files: list[NodeFile] = Field(default_factory=list)
    pre_commands: list[str] = Field(default_factory=list, description="run before kubeadm")
    post_commands: list[str] = Field(default_factory=list, description="run after kubeadm")


class ClusterKubeadm(NodeKubeadm):
    """Cluster-wide kubeadm settings; kubelet args, files and commands apply to every node."""

    api_server_extra_args: ExtraArgs = Field(default_factory=dict)
    controller_manager_extra_args: ExtraArgs = Field(default_factory=dict)
    scheduler_extra_args: ExtraArgs = Field(default_factory=dict)
    # Tuned for clouds without local SSDs, where etcd leader elections broke R1 clusters (#146).
    etcd_extra_args: ExtraArgs = Field(
        default_factory=lambda: {"heartbeat-interval": "250", "election-timeout": "2500"}
    )
    image_repository: str = "registry.k8s.io"
    cgroup_driver: Literal["systemd"] = "systemd"
