"""CAPO v0.14.7's OpenStackCluster reconcileDelete, request by request, in its order."""

from __future__ import annotations

from tests.localcloud.capo_api import Api, Json, query
from tests.localcloud.capo_cluster import (
    WAIT_S,
    ClusterSpec,
    ClusterStatus,
    security_group_by_name,
    wait_floating_ip,
)
from tests.support.waits import eventually


def floating_ip_by_address(api: Api, address: str) -> Json | None:
    listed = api.network("GET", query("/floatingips", floating_ip_address=address))
    return api.one_or_none(listed, "floatingips")


def delete_load_balancer(api: Api, spec: ClusterSpec) -> bool:
    """loadbalancer.DeleteLoadBalancer; true while CAPO would requeue (the LB still exists)."""
    lbs = api.lb("GET", query("/lbaas/loadbalancers", name=spec.lb_name))
    lb = api.one_or_none(lbs, "loadbalancers")
    if lb is None:
        return False
    if lb["provisioning_status"] == "PENDING_DELETE":
        return True
    if lb["vip_port_id"]:
        by_port = api.network("GET", query("/floatingips", port_id=lb["vip_port_id"]))
        fip = api.one_or_none(by_port, "floatingips")
        if fip is not None and fip["floating_ip_address"]:
            address = fip["floating_ip_address"]
            # DisassociateFloatingIP: gophercloud leaves the nil port_id out, the body is empty
            found = floating_ip_by_address(api, address)
            if found is not None:
                api.network("PUT", f"/floatingips/{found['id']}", {"floatingip": {}})
                wait_floating_ip(api, found["id"], "DOWN")
            found = floating_ip_by_address(api, address)
            if found is not None:
                api.network("DELETE", f"/floatingips/{found['id']}")
    api.lb("DELETE", f"/lbaas/loadbalancers/{lb['id']}?cascade=true", expect=(204, 404))
    return True


def delete_router(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    """networking.DeleteRouter (the router's ID is in the status)."""
    response = api.conn.network.request(f"/routers/{status.router_id}", "GET", raise_exc=False)
    if response.status_code == 404:
        return
    subnets = api.network("GET", query("/subnets", name=spec.network_name))
    subnet = api.one_or_none(subnets, "subnets")
    if subnet is not None:
        path = f"/routers/{status.router_id}/remove_router_interface"
        api.network("PUT", path, {"subnet_id": subnet["id"]}, expect=(200, 404))
    api.network("DELETE", f"/routers/{status.router_id}")


def delete_cluster_ports(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    """networking.DeleteClusterPorts: only ports named after the OpenStackCluster."""
    ports = api.network("GET", query("/ports", network_id=status.network_id))["ports"]
    legacy_bastion = f"{spec.namespace}-{spec.name}"
    for port in ports:
        if port["name"].startswith((spec.name, legacy_bastion)):
            api.network("DELETE", f"/ports/{port['id']}", expect=(204, 404))


def delete_network(api: Api, spec: ClusterSpec) -> None:
    networks = api.network("GET", query("/networks", name=spec.network_name))
    network = api.one_or_none(networks, "networks")
    if network is not None:
        api.network("DELETE", f"/networks/{network['id']}")


def delete_cluster(api: Api, spec: ClusterSpec, status: ClusterStatus) -> None:
    """OpenStackClusterReconciler.reconcileDelete, requeued until the LB is gone."""
    eventually(
        lambda: delete_load_balancer(api, spec),
        lambda requeue: not requeue,
        WAIT_S,
        "the API load balancer to be deleted",
    )
    delete_router(api, spec, status)
    delete_cluster_ports(api, spec, status)
    delete_network(api, spec)
    for suffix in ("controlplane", "worker", "bastion"):
        group = security_group_by_name(api, spec.group_name(suffix))
        if group is not None:
            api.network("DELETE", f"/security-groups/{group['id']}")
