"""wait_for(), wait_deleted() and changed_within() against the real management cluster, changes
made from another thread the way a controller makes them: through the API. Where the real CAPI
controller makes them (conditions False with its reasons, deletion), it is the one waited for."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import changed_within, condition_is, wait_deleted, wait_for
from scs_kaas.polling import wait_until
from tests.support.objects import cluster_manifest

CAPI = "cluster.x-k8s.io/v1beta2"


@pytest.fixture
def controller(kubeconfig_file: Path) -> Iterator[KubeClient]:
    """A second client, as Cluster API's controllers would hold."""
    client = KubeClient.from_file(kubeconfig_file)
    yield client
    client.close()


def make_cluster(kube: KubeClient, namespace: str, paused: bool) -> dict[str, Any]:
    manifest = cluster_manifest(namespace, "demo", paused)
    apply(kube, [manifest])
    return manifest


@pytest.fixture
def cluster(kube: KubeClient, namespace: str) -> dict[str, Any]:
    """Cluster demo, paused: the real CAPI controller then only records that (condition Paused)
    and leaves the status to the test, which writes it as the controller would. (Nodes never
    join here, so Available would never become True by itself.)"""
    manifest = make_cluster(kube, namespace, paused=True)
    found = wait_for(kube, CAPI, "Cluster", "demo", namespace, condition_is("Paused"), 30)
    assert found is not None
    return manifest


def condition(type_: str, status: str, reason: str, message: str = "") -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def set_conditions(client: KubeClient, namespace: str, *conditions: dict[str, Any]) -> None:
    """Set conditions through the status subresource as CAPI's patch helper does: by type,
    keeping the others (Paused), on the resourceVersion read (a conflict is read again)."""
    resource = client.resource(CAPI, "Cluster")
    for _ in range(10):
        live = resource.get(name="demo", namespace=namespace).to_dict()
        kept = [
            c
            for c in (live.get("status") or {}).get("conditions") or []
            if c["type"] not in {n["type"] for n in conditions}
        ]
        try:
            resource.status.patch(
                body={
                    "metadata": {"resourceVersion": live["metadata"]["resourceVersion"]},
                    "status": {"conditions": [*kept, *conditions]},
                },
                name="demo",
                namespace=namespace,
                content_type="application/merge-patch+json",
            )
        except ApiException as error:
            if error.status == 409:
                continue
            raise
        return
    raise AssertionError("the Cluster's status kept changing under the test")


def in_thread(action: Any) -> threading.Thread:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


def test_returns_when_another_writer_sets_the_condition(
    kube: KubeClient, controller: KubeClient, cluster: dict[str, Any], namespace: str
) -> None:
    events: list[str] = []
    writers: list[threading.Thread] = []

    def on_event(kind: str, obj: Any) -> None:
        events.append(kind)
        if len(events) == 1:  # the wait has read the object: now the controller acts
            writers.append(
                in_thread(
                    lambda: set_conditions(
                        controller, namespace, condition("Available", "True", "Available")
                    )
                )
            )

    # without seeing the change, the wait would end in the timeout's ClusterError
    found = wait_for(
        kube, CAPI, "Cluster", "demo", namespace, condition_is("Available"), 30, on_event
    )
    assert found is not None
    (available,) = [c for c in found["status"]["conditions"] if c["type"] == "Available"]
    assert available["status"] == "True"
    assert events == ["ADDED", "MODIFIED"]
    writers[0].join(timeout=5)


def test_returns_at_once_when_the_condition_already_holds(
    kube: KubeClient, cluster: dict[str, Any], namespace: str
) -> None:
    set_conditions(kube, namespace, condition("Available", "True", "Available"))
    events: list[str] = []
    found = wait_for(
        kube,
        CAPI,
        "Cluster",
        "demo",
        namespace,
        condition_is("Available"),
        10,
        lambda kind, _: events.append(kind),
    )
    assert found is not None and events == ["ADDED"]  # the first read, no watch event


def test_times_out_naming_the_object_and_the_last_condition(
    kube: KubeClient, namespace: str
) -> None:
    """Unpaused: the real CAPI controller says why the cluster is not Available."""
    make_cluster(kube, namespace, paused=False)

    def available_reported(obj: Mapping[str, Any] | None) -> bool:
        conditions = ((obj or {}).get("status") or {}).get("conditions") or []
        return any(c["type"] == "Available" and c["status"] == "False" for c in conditions)

    found = wait_for(kube, CAPI, "Cluster", "demo", namespace, available_reported, 30)
    assert found is not None
    (reported,) = [c for c in found["status"]["conditions"] if c["type"] == "Available"]
    started = time.monotonic()
    with pytest.raises(ClusterError) as caught:
        wait_for(kube, CAPI, "Cluster", "demo", namespace, condition_is("Available"), 2)
    elapsed = time.monotonic() - started
    assert 2 <= elapsed < 2 + 30  # waited its timeout, and not for ever
    message = str(caught.value)
    assert f"condition Available=True of Cluster {namespace}/demo" in message
    assert f"Available=False reason {reported['reason']}: " in message
    assert reported["message"].splitlines()[0][:60] in message


def test_a_condition_of_an_older_generation_does_not_count(
    kube: KubeClient, cluster: dict[str, Any], namespace: str
) -> None:
    stale = condition("Available", "True", "Available") | {"observedGeneration": 1}
    changed = {**cluster["spec"], "clusterNetwork": {"serviceDomain": "example.internal"}}
    apply(kube, [cluster | {"spec": changed}])
    live = kube.resource(CAPI, "Cluster").get(name="demo", namespace=namespace)
    assert live.metadata.generation == 2
    set_conditions(kube, namespace, stale)
    with pytest.raises(ClusterError, match="last condition: Available=True"):
        wait_for(kube, CAPI, "Cluster", "demo", namespace, condition_is("Available"), 1)


def test_wait_deleted_follows_a_deletion_by_another_client(
    kube: KubeClient, controller: KubeClient, namespace: str
) -> None:
    """Unpaused: CAPI's finalizer is on it, and the real controller removes it on deletion."""
    make_cluster(kube, namespace, paused=False)

    def finalized(obj: Mapping[str, Any] | None) -> bool:
        return bool(((obj or {}).get("metadata") or {}).get("finalizers"))

    assert wait_for(kube, CAPI, "Cluster", "demo", namespace, finalized, 30)
    resource = controller.resource(CAPI, "Cluster")
    seen: list[str] = []

    def on_event(kind: str, obj: Any) -> None:
        seen.append(kind)
        if kind == "ADDED":
            in_thread(lambda: resource.delete(name="demo", namespace=namespace))

    wait_deleted(kube, CAPI, "Cluster", "demo", namespace, 30, on_event)
    # the deletion marks it (MODIFIED); CAPI's controller removes its finalizer; then it is gone
    assert seen[0] == "ADDED" and seen[-1] == "DELETED"
    assert set(seen[1:-1]) <= {"MODIFIED"}


def test_wait_deleted_returns_at_once_for_an_absent_object(kube: KubeClient) -> None:
    """No event ever comes for an object that is not there: waiting for one would end in the
    timeout's ClusterError; the absence found by the first read is the answer."""
    seen: list[str] = []
    wait_deleted(kube, "v1", "Namespace", "never-made", None, 10, lambda k, _: seen.append(k))
    assert seen == []


def test_waiting_for_an_object_that_never_appears_says_so(kube: KubeClient) -> None:
    with pytest.raises(ClusterError, match=r"of Namespace never-made \(it does not exist\)"):
        wait_for(kube, "v1", "Namespace", "never-made", None, lambda obj: obj is not None, 1)


def test_changed_within_wakes_on_a_change_and_else_ends_after_its_time(
    kube: KubeClient, controller: KubeClient, namespace: str
) -> None:
    """What `kaas cluster status --watch` waits on between two redraws."""
    metadata = {"name": "watched", "namespace": namespace, "labels": {"kaas-test": "watched"}}
    apply(kube, [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}])
    # nothing it selects changes: it ends after its time
    assert changed_within(kube, "v1", "ConfigMap", namespace, "kaas-test=nobody", 1) is False

    woke: list[bool] = []
    selector = "kaas-test=watched"
    waiter = in_thread(
        lambda: woke.append(changed_within(kube, "v1", "ConfigMap", namespace, selector, 60))
    )
    touches = iter(range(1_000_000))

    def touched_and_woken() -> bool:
        # a change only counts once the wait has listed: touch until it wakes
        body = {"metadata": {"annotations": {"kaas-test-touch": str(next(touches))}}}
        controller.patch("v1", "ConfigMap", "watched", namespace, body)
        return not waiter.is_alive()

    wait_until(touched_and_woken, 30, "the watch to see the ConfigMap change")
    waiter.join()
    assert woke == [True]
