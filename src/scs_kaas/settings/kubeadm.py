"""kubeadm customisation: extra arguments, files and commands, cluster-wide and per node role."""

from __future__ import annotations

import re
from typing import Annotated

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

    path: Annotated[str, AfterValidator(_absolute)] = Field(
        description="absolute path on the node, e.g. /etc/example.conf"
    )
    content: str = Field(description="the file's content")
    permissions: Annotated[str, AfterValidator(_mode)] = Field(
        default="0644", description="octal file mode, e.g. 0644"
    )
    owner: str = Field(default="root:root", description="owner of the file, user:group")


ExtraArgs = dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")], str]


class NodeKubeadm(StrictModel):
    """What can be added for one role (control plane or a node group)."""

    kubelet_extra_args: ExtraArgs = Field(
        default_factory=dict,
        description="kubelet flags: name (without --) -> value, over the tool's own",
    )
    files: list[NodeFile] = Field(
        default_factory=list, description="files written on the node before kubeadm runs"
    )
    pre_commands: list[str] = Field(
        default_factory=list, description="shell commands run before kubeadm"
    )
    post_commands: list[str] = Field(
        default_factory=list, description="shell commands run after kubeadm"
    )


class ClusterKubeadm(NodeKubeadm):
    """Cluster-wide kubeadm settings; kubelet args, files and commands apply to every node."""

    api_server_extra_args: ExtraArgs = Field(
        default_factory=dict, description="kube-apiserver flags: name (without --) -> value"
    )
    controller_manager_extra_args: ExtraArgs = Field(
        default_factory=dict,
        description="kube-controller-manager flags: name (without --) -> value",
    )
    scheduler_extra_args: ExtraArgs = Field(
        default_factory=dict, description="kube-scheduler flags: name (without --) -> value"
    )
    # Tuned for clouds without local SSDs, where etcd leader elections broke R1 clusters (#146).
    etcd_extra_args: ExtraArgs = Field(
        default_factory=lambda: {"heartbeat-interval": "250", "election-timeout": "2500"},
        description="etcd flags: name (without --) -> value; the default's longer heartbeat and "
        "election timeout (ms) suit disks slower than local SSDs",
    )
    image_repository: str = Field(
        default="registry.k8s.io",
        description="registry of the control-plane images (kubeadm imageRepository)",
    )
