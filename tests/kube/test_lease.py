"""The cluster commands' Lease against the real kube-apiserver: taken, renewed, refused to a
second holder, waited for, taken over once expired, released; and the create's namespace."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.lease import lease_held
from scs_kaas.localcloud.waiting import wait_until
from scs_kaas.workflows.cluster.lock import cluster_lock
from scs_kaas.workflows.cluster.target import ClusterTarget
from tests.support.management import release

LEASE = "scs-kaas-demo"


def _lease(kube: KubeClient, namespace: str, name: str = LEASE) -> Any:
    """The Lease, or None."""
    try:
        return k8s.CoordinationV1Api(kube._api).read_namespaced_lease(name, namespace)
    except ApiException as error:
        if error.status == 404:
            return None
        raise


def _quiet(text: str) -> None:
    del text


def _foreign_lease(
    kube: KubeClient, namespace: str, holder: str, renewed: datetime, duration: int
) -> None:
    """A Lease written by another process (or one that died)."""
    stamp = renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body: Any = {  # the API takes the JSON form as it is
        "metadata": {"name": LEASE, "namespace": namespace},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": duration,
            "acquireTime": stamp,
            "renewTime": stamp,
            "leaseTransitions": 0,
        },
    }
    k8s.CoordinationV1Api(kube._api).create_namespaced_lease(namespace, body)


def test_taken_renewed_and_released(kube: KubeClient, namespace: str) -> None:
    with lease_held(kube, namespace, LEASE, "first", 0, _quiet, duration=3) as lock:
        lease = _lease(kube, namespace)
        assert lease is not None
        assert (lease.spec.holder_identity, lease.spec.lease_duration_seconds) == ("first", 3)
        first_renewal = lease.spec.renew_time
        # renewed every third of the duration while the command works
        wait_until(
            lambda: _lease(kube, namespace).spec.renew_time > first_renewal,
            10,
            "the lease to be renewed",
            interval=0.2,
        )
        assert lock.lost is None
    assert _lease(kube, namespace) is None


def test_a_second_holder_is_refused_while_the_first_renews(
    kube: KubeClient, namespace: str
) -> None:
    said: list[str] = []
    with lease_held(kube, namespace, LEASE, "kaas cluster create demo (pid 1 on a)", 0, _quiet, 2):
        with (
            pytest.raises(ClusterError) as refused,
            lease_held(kube, namespace, LEASE, "second", 0, said.append, 2),
        ):
            pytest.fail("the lease was taken twice")
        message = str(refused.value)
        assert message.startswith(
            f"kaas cluster create demo (pid 1 on a) (lease {namespace}/{LEASE}, renewed "
        )
        assert "nothing was changed" in message and "--lock-timeout" in message
        assert said == []  # refused at once
        # longer than the lease's duration: renewals keep it from looking expired
        with (
            pytest.raises(ClusterError, match="is running; nothing was changed"),
            lease_held(kube, namespace, LEASE, "second", 5, said.append, 2, interval=0.2),
        ):
            pytest.fail("a renewed lease was taken over")
        assert len(said) == 1 and said[0].startswith("waiting for kaas cluster create demo")
        assert _lease(kube, namespace).spec.holder_identity.startswith("kaas cluster create")


def test_a_waiting_holder_gets_the_lease_once_the_first_lets_go(
    kube: KubeClient, namespace: str
) -> None:
    waiting, done = threading.Event(), threading.Event()

    def first() -> None:
        with lease_held(kube, namespace, LEASE, "first", 0, _quiet):
            holding.set()
            waiting.wait(timeout=30)
        done.set()

    holding = threading.Event()
    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(timeout=30)

    def say(text: str) -> None:
        assert text.startswith(f"waiting for first (lease {namespace}/{LEASE}")
        waiting.set()

    with lease_held(kube, namespace, LEASE, "second", 30, say, interval=0.2):
        assert done.is_set() and waiting.is_set()
        assert _lease(kube, namespace).spec.holder_identity == "second"
    thread.join(timeout=30)


def test_an_expired_lease_is_taken_over(kube: KubeClient, namespace: str) -> None:
    # not renewed by its (dead) holder: taken once it has not changed for its duration
    _foreign_lease(kube, namespace, "dead (pid 9 on b)", datetime.now(UTC), duration=1)
    said: list[str] = []
    with lease_held(kube, namespace, LEASE, "next", 30, said.append, interval=0.2):
        lease = _lease(kube, namespace)
        assert lease is not None
        assert (lease.spec.holder_identity, lease.spec.lease_transitions) == ("next", 1)
    assert len(said) == 1 and said[0].startswith("waiting for dead (pid 9 on b)")


def test_a_lease_renewed_long_ago_is_taken_over_at_once(kube: KubeClient, namespace: str) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    _foreign_lease(kube, namespace, "crashed", long_ago, duration=60)
    with lease_held(kube, namespace, LEASE, "next", 0, _quiet):
        assert _lease(kube, namespace).spec.holder_identity == "next"


def test_a_lease_taken_by_another_meanwhile_is_reported_and_left_alone(
    kube: KubeClient, namespace: str
) -> None:
    said: list[str] = []
    api = k8s.CoordinationV1Api(kube._api)
    with lease_held(kube, namespace, LEASE, "slow", 0, said.append, duration=3) as lock:
        api.patch_namespaced_lease(LEASE, namespace, {"spec": {"holderIdentity": "thief"}})
        wait_until(lambda: lock.lost is not None, 15, "the renewal to notice", interval=0.2)
    assert said == [
        f"warning: the lease {namespace}/{LEASE} was lost while this ran (it is now held by "
        "thief): another run may have changed the cluster meanwhile; run this command again"
    ]
    assert _lease(kube, namespace).spec.holder_identity == "thief"


@pytest.fixture
def cluster_namespace(kube: KubeClient) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    release(kube, name)


def test_a_create_makes_the_namespace_the_others_lock_nothing_without_one(
    kube: KubeClient, cluster_namespace: str
) -> None:
    target = ClusterTarget("team", cluster_namespace, "demo")
    namespaces = kube.resource("v1", "Namespace")
    with cluster_lock(kube, target, "delete", 0, _quiet):
        assert not namespaces.get(field_selector=f"metadata.name={cluster_namespace}").items
    with cluster_lock(kube, target, "create", 0, _quiet, make_namespace=True):
        labels = namespaces.get(name=cluster_namespace).metadata.labels
        assert labels["kaas.scs.community/prefix"] == "team"
        assert labels["cluster.x-k8s.io/cluster-name"] == "demo"
        holder = _lease(kube, cluster_namespace).spec.holder_identity
        assert holder.startswith("kaas cluster create demo (pid ")
        with (
            pytest.raises(ClusterError, match=r"^kaas cluster create demo \(pid "),
            cluster_lock(kube, target, "scale", 0, _quiet),
        ):
            pytest.fail("the cluster was locked twice")
    assert _lease(kube, cluster_namespace) is None
