"""What the tool's defaults expect to find in a cloud: external network, SCS flavors, image."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.localcloud.commands import run_logged

EXTERNAL_NETWORK = "public"
EXTERNAL_CIDR = "172.24.4.0/24"
IMAGE_NAME = "Ubuntu 24.04"


@dataclass(frozen=True)
class Flavor:
    name: str
    vcpus: int
    ram_mib: int
    disk_gib: int


# SCS flavor names: SCS-<n>V-<GiB RAM>[-<GiB disk>[s]]; without a disk part the flavor is
# diskless (disk 0) and servers boot from a volume. SCS-2V-4 and SCS-2V-8 are diskless here,
# so both the "root disk" and the "boot from volume" paths of the tool can be tried.
SCS_FLAVORS = (
    Flavor("SCS-1V-4-10", 1, 4096, 10),
    Flavor("SCS-2V-4", 2, 4096, 0),
    Flavor("SCS-2V-4-20s", 2, 4096, 20),
    Flavor("SCS-2V-8", 2, 8192, 0),
    Flavor("SCS-4V-8-50", 4, 8192, 50),
)


def ensure_external_network(admin: Connection) -> str:
    """The flat external network `public` with a subnet for routers' gateways and floating IPs."""
    network = admin.network.find_network(EXTERNAL_NETWORK)
    if network is None:
        network = admin.network.create_network(
            name=EXTERNAL_NETWORK,
            is_router_external=True,
            provider_network_type="flat",
            provider_physical_network="public",
        )
    if not list(admin.network.subnets(network_id=network.id)):
        admin.network.create_subnet(
            network_id=network.id,
            name=f"{EXTERNAL_NETWORK}-subnet",
            ip_version=4,
            cidr=EXTERNAL_CIDR,
            gateway_ip="172.24.4.1",
            # no DHCP agent exists; routers and floating IPs get their addresses from IPAM
            enable_dhcp=False,
        )
    return str(network.id)


def ensure_flavors(admin: Connection) -> None:
    for flavor in SCS_FLAVORS:
        if admin.compute.find_flavor(flavor.name) is None:
            admin.compute.create_flavor(
                name=flavor.name,
                vcpus=flavor.vcpus,
                ram=flavor.ram_mib,
                disk=flavor.disk_gib,
                is_public=True,
            )


def make_qcow2(path: Path, log: Path, size: str = "1G") -> Path:
    """A real (empty) qcow2: Glance checks that uploaded data matches the disk format."""
    path.unlink(missing_ok=True)
    run_logged(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], log)
    return path


def ensure_image(admin: Connection, scratch: Path, log: Path) -> str:
    """A public `Ubuntu 24.04` image (an empty qcow2) that every project can boot from."""
    existing = admin.image.find_image(IMAGE_NAME)
    if existing is not None and existing.status == "active":
        return str(existing.id)
    if existing is not None:
        admin.image.delete_image(existing.id)
    data = make_qcow2(scratch / "ubuntu-24.04.qcow2", log).read_bytes()
    image = admin.image.create_image(
        name=IMAGE_NAME,
        data=data,
        disk_format="qcow2",
        container_format="bare",
        visibility="public",
        os_distro="ubuntu",
        os_version="24.04",
        os_type="linux",
        wait=True,
        timeout=120,
    )
    # the object create_image returns may predate the upload's end: read the status back
    image = admin.image.wait_for_status(
        admin.image.get_image(image.id), status="active", failures=["killed"], interval=1, wait=120
    )
    if image.status != "active":
        raise CloudError(f"image {IMAGE_NAME!r} is {image.status}, not active")
    return str(image.id)
