"""The management host on OpenStack and the node image source."""

from __future__ import annotations

from pydantic import Field

from scs_kaas.settings.base import StrictModel
from scs_kaas.settings.fields import Cidr, GiB, OpenStackName


class ManagementSettings(StrictModel):
    """The management host: a VM with kind and Cluster API (`kaas mgmt create`)."""

    flavor: OpenStackName = Field(
        default="SCS-2V-4", description="Nova flavor of the management host, name or ID"
    )
    image: OpenStackName = Field(
        default="Ubuntu 24.04", description="Glance image of the management host, name or ID"
    )
    cidr: Cidr = Field(
        default="10.0.0.0/24",
        description="subnet of the management host's network: IPv4, from /8 to /29",
    )
    allowed_cidrs: list[Cidr] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        description="CIDRs that may reach the management host's SSH and ICMP",
    )
    ssh_username: str = Field(
        default="ubuntu",
        pattern=r"^[a-z_][a-z0-9_-]{0,31}$",
        description="the image's default user (a Linux user name)",
    )
    root_volume_gib: GiB = Field(
        default=30,
        description="root volume of the management host in GiB (1-65536) when its flavor has "
        "no disk",
    )
    kubeconfig: str | None = Field(
        default=None,
        description="kubeconfig file of an existing management cluster, used instead of a "
        "host: the cluster commands talk to it, `kaas mgmt create` refuses to make a host",
    )
    kaas_requirement: str | None = Field(
        default=None,
        description="what pip installs on the host; default scs-kaas==<this version>",
    )


class ImageSettings(StrictModel):
    """Where node images come from and how they are registered."""

    name_template: str = Field(
        default="ubuntu-capi-image-{version}",
        description="Glance name of the node image; {version} is the Kubernetes version, e.g. "
        "v1.34.1",
    )
    url_template: str = Field(
        default=(
            "https://swift.services.a.regiocloud.tech/swift/v1/"
            "AUTH_b182637428444b9aa302bb8d5a5a418c/openstack-k8s-capi-images/"
            "ubuntu-2404-kube-{minor}/ubuntu-2404-kube-{version}.qcow2"
        ),
        description="where `kaas image ensure` downloads the node image (qcow2; its checksum "
        "file is the URL + .CHECKSUM); {version} is e.g. v1.34.1, {minor} e.g. v1.34",
    )
    raw: bool = Field(
        default=True, description="convert the qcow2 image to raw before the upload (for Ceph)"
    )
    os_version: str = Field(
        default="24.04",
        description="the os_version property of uploaded node images (SCS image metadata)",
    )
    extra_properties: dict[str, str] = Field(
        default_factory=dict,
        description="more Glance properties (key -> value) of uploaded node images; not "
        "managed_by, kaas_prefix or kubernetes_version (the tool's)",
    )
    default_root_volume_gib: GiB = Field(
        default=25,
        description="root volume in GiB (1-65536) of machines whose flavor has no disk, unless "
        "root_volume.size_gib",
    )
