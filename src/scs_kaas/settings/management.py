"""The management host on OpenStack and the node image source."""

from __future__ import annotations

from pydantic import Field

from scs_kaas.settings.base import StrictModel
from scs_kaas.settings.fields import Cidr, GiB, OpenStackName


class ManagementSettings(StrictModel):
    flavor: OpenStackName = "SCS-2V-4"
    image: OpenStackName = "Ubuntu 24.04"
    cidr: Cidr = "10.0.0.0/24"
    allowed_cidrs: list[Cidr] = Field(
        default_factory=lambda: ["0.0.0.0/0"], description="may reach SSH and ICMP"
    )
    ssh_username: str = Field(
        default="ubuntu",
        pattern=r"^[a-z_][a-z0-9_-]{0,31}$",
        description="the image's default user (a Linux user name)",
    )
    root_volume_gib: GiB = Field(default=30, description="used when the flavor has no disk")
    kubeconfig: str | None = Field(
        default=None, description="use this existing management cluster instead of a host"
    )
    kaas_requirement: str | None = Field(
        default=None,
        description="what pip installs on the host; default scs-kaas==<this version>",
    )


class ImageSettings(StrictModel):
    """Where node images come from and how they are registered."""

    name_template: str = Field(
        default="ubuntu-capi-image-{version}", description="{version} is e.g. v1.34.1"
    )
    url_template: str = Field(
        default=(
            "https://swift.services.a.regiocloud.tech/swift/v1/"
            "AUTH_b182637428444b9aa302bb8d5a5a418c/openstack-k8s-capi-images/"
            "ubuntu-2404-kube-{minor}/ubuntu-2404-kube-{version}.qcow2"
        ),
        description="{version} is e.g. v1.34.1, {minor} e.g. v1.34",
    )
    raw: bool = Field(default=True, description="convert qcow2 to raw before upload (Ceph)")
    os_version: str = "24.04"
    extra_properties: dict[str, str] = Field(default_factory=dict)
    default_root_volume_gib: GiB = Field(
        default=25, description="root volume for machines whose flavor has no disk"
    )
