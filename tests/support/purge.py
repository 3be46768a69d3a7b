"""Delete what a test left in its project, so a reused local cloud does not fill up."""

from __future__ import annotations

import contextlib

from openstack.connection import Connection
from openstack.exceptions import SDKException

from scs_kaas.localcloud.waiting import wait_until


def purge_project(conn: Connection, timeout: float = 120) -> None:
    """Delete the project's servers, load balancers, volumes, network resources and images.

    Best effort in dependency order: a failure here must not hide the test's own result.
    """
    project_id = conn.current_project_id
    for server in list(conn.compute.servers()):
        with contextlib.suppress(SDKException):
            conn.compute.delete_server(server)
    for balancer in list(conn.load_balancer.load_balancers(project_id=project_id)):
        with contextlib.suppress(SDKException):
            conn.load_balancer.delete_load_balancer(balancer, cascade=True)
    wait_until(lambda: not list(conn.compute.servers()), timeout, "servers to go")
    for snapshot in list(conn.block_storage.snapshots()):
        with contextlib.suppress(SDKException):
            conn.block_storage.delete_snapshot(snapshot.id)
    wait_until(lambda: not list(conn.block_storage.snapshots()), timeout, "snapshots to go")
    for volume in list(conn.block_storage.volumes()):
        # no force: Cinder's force-delete is for admins only, a member's is refused (403)
        with contextlib.suppress(SDKException):
            conn.block_storage.delete_volume(volume.id)
    network = conn.network
    for ip in list(network.ips(project_id=project_id)):
        with contextlib.suppress(SDKException):
            network.delete_ip(ip)
    for router in list(network.routers(project_id=project_id)):
        for port in network.ports(device_id=router.id, device_owner="network:router_interface"):
            with contextlib.suppress(SDKException):
                network.remove_interface_from_router(router, port=port.id)
        with contextlib.suppress(SDKException):
            network.delete_router(router)
    wait_until(
        lambda: not list(conn.load_balancer.load_balancers(project_id=project_id)),
        timeout,
        "load balancers to go",
    )
    for port in list(network.ports(project_id=project_id)):
        with contextlib.suppress(SDKException):
            network.delete_port(port)
    for net in list(network.networks(project_id=project_id)):
        with contextlib.suppress(SDKException):
            network.delete_network(net)
    for group in list(network.security_groups(project_id=project_id)):
        if group.name != "default":
            with contextlib.suppress(SDKException):
                network.delete_security_group(group)
    for image in list(conn.image.images(owner=project_id)):
        with contextlib.suppress(SDKException):
            conn.image.delete_image(image.id)
    for keypair in list(conn.compute.keypairs()):
        with contextlib.suppress(SDKException):
            conn.compute.delete_keypair(keypair)
    wait_until(lambda: not list(conn.block_storage.volumes()), timeout, "volumes to go")
