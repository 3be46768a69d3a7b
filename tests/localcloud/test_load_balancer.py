"""Octavia: load balancer, listener, pool, health monitor and member; cascade delete."""

from __future__ import annotations

import pytest
from openstack.connection import Connection
from openstack.load_balancer.v2.load_balancer import LoadBalancer
from openstack.resource import Resource, wait_for_status

from tests.support.projects import LOCALCLOUD

pytestmark = LOCALCLOUD


def _wait_active(conn: Connection, balancer: LoadBalancer) -> LoadBalancer:
    """Every change puts the load balancer into PENDING_UPDATE until the worker is done."""
    active = conn.load_balancer.wait_for_load_balancer(
        balancer.id, status="ACTIVE", failures=["ERROR"], interval=1, wait=120
    )
    assert active is not None
    return active


def _active(conn: Connection, found: Resource) -> Resource:
    """Octavia marks the load balancer ACTIVE before its listeners, in another transaction
    (MarkLBAndListenersActiveInDB): a listener read right after the balancer's wait may still be
    PENDING_UPDATE."""
    return wait_for_status(
        conn.load_balancer,
        found,
        "ACTIVE",
        ["ERROR"],
        interval=0.2,
        wait=60,
        attribute="provisioning_status",
    )


@pytest.mark.parametrize("who", ["user", "app"])
def test_load_balancer_with_listener_pool_member_and_cascade_delete(
    who: str, request: pytest.FixtureRequest
) -> None:
    conn: Connection = request.getfixturevalue(who)
    net = conn.network.create_network(name="lb-net")
    subnet = conn.network.create_subnet(
        network_id=net.id, name="lb-subnet", ip_version=4, cidr="10.9.0.0/24"
    )
    lbs = conn.load_balancer
    balancer = lbs.create_load_balancer(
        name="k8s-clusterapi-cluster-default-foo-kubeapi", vip_subnet_id=subnet.id
    )
    balancer = _wait_active(conn, balancer)
    assert balancer.provider == "amphora"
    assert balancer.vip_subnet_id == subnet.id

    listener = lbs.create_listener(
        name="kubeapi-6443",
        loadbalancer_id=balancer.id,
        protocol="TCP",
        protocol_port=6443,
        allowed_cidrs=["10.0.0.0/8"],
    )
    _wait_active(conn, balancer)
    pool = lbs.create_pool(
        name="kubeapi-pool", listener_id=listener.id, protocol="TCP", lb_algorithm="ROUND_ROBIN"
    )
    _wait_active(conn, balancer)
    monitor = lbs.create_health_monitor(
        pool_id=pool.id, type="TCP", delay=10, timeout=5, max_retries=5
    )
    _wait_active(conn, balancer)
    member = lbs.create_member(
        pool, name="cp-0", address="10.9.0.10", protocol_port=6443, subnet_id=subnet.id
    )
    _wait_active(conn, balancer)

    read_listener = _active(conn, lbs.get_listener(listener.id))
    assert (read_listener.protocol, read_listener.protocol_port) == ("TCP", 6443)
    assert read_listener.allowed_cidrs == ["10.0.0.0/8"]
    read_pool = lbs.get_pool(pool.id)
    assert read_pool.lb_algorithm == "ROUND_ROBIN"
    assert [m["id"] for m in read_pool.members] == [member.id]
    read_member = _active(conn, lbs.get_member(member.id, pool))
    assert (read_member.address, read_member.protocol_port) == ("10.9.0.10", 6443)
    _active(conn, lbs.get_health_monitor(monitor.id))
    assert [b.id for b in lbs.load_balancers(name=balancer.name)] == [balancer.id]

    lbs.delete_load_balancer(balancer, cascade=True)
    lbs.wait_for_delete(balancer, interval=1, wait=120)
    assert lbs.find_load_balancer(balancer.id) is None
    assert lbs.find_listener(listener.id) is None
    assert lbs.find_pool(pool.id) is None
    conn.network.delete_network(net)
