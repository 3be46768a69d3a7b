"""wait_for() and wait_deleted() against the emulated API server, changes made from another thread
the way a controller makes them: through the API."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import condition_is, wait_deleted, wait_for

CAPI = "cluster.x-k8s.io/v1beta2"


@pytest.fixture
def controller(kubeconfig_file: Path) -> Iterator[KubeClient]:
    """A second client, as Cluster API's controllers would hold."""
    client = KubeClient.from_file(kubeconfig_file)
    yield client
    client.close()


@pytest.fixture
def cluster(kube: KubeClient) -> dict[str, Any]:
    manifests = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}},
        {
            "apiVersion": CAPI,
            "kind": "Cluster",
            "metadata": {"name": "demo", "namespace": "demo"},
            "spec": {"paused": False},
        },
    ]
    apply(kube, manifests)
    return manifests[1]


def condition(type_: str, status: str, reason: str, message: str = "") -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def set_conditions(client: KubeClient, *conditions: dict[str, Any]) -> None:
    resource = client.resource(CAPI, "Cluster")
    client.dynamic.patch(
        resource.status,
        body={"status": {"conditions": list(conditions)}},
        name="demo",
        namespace="demo",
        content_type="application/merge-patch+json",
    )


def in_thread(action: Any) -> threading.Thread:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


def test_returns_when_another_writer_sets_the_condition(
    kube: KubeClient, controller: KubeClient, cluster: dict[str, Any]
) -> None:
    events: list[str] = []
    writers: list[threading.Thread] = []

    def on_event(kind: str, obj: Any) -> None:
        events.append(kind)
        if len(events) == 1:  # the wait has read the object: now the controller acts
            writers.append(
                in_thread(
                    lambda: set_conditions(controller, condition("Available", "True", "Available"))
                )
            )

    started = time.monotonic()
    found = wait_for(kube, CAPI, "Cluster", "demo", "demo", condition_is("Available"), 10, on_event)
    assert time.monotonic() - started < 5
    assert found is not None
    assert found["status"]["conditions"][0]["status"] == "True"
    assert events == ["ADDED", "MODIFIED"]
    writers[0].join(timeout=5)


def test_returns_at_once_when_the_condition_already_holds(
    kube: KubeClient, cluster: dict[str, Any]
) -> None:
    set_conditions(kube, condition("Available", "True", "Available"))
    started = time.monotonic()
    assert wait_for(kube, CAPI, "Cluster", "demo", "demo", condition_is("Available"), 10)
    assert time.monotonic() - started < 1


def test_times_out_naming_the_object_and_the_last_condition(
    kube: KubeClient, cluster: dict[str, Any]
) -> None:
    set_conditions(
        kube,
        condition("Available", "False", "WaitingForControlPlane", "0 of 1 control plane ready"),
    )
    started = time.monotonic()
    with pytest.raises(ClusterError) as caught:
        wait_for(kube, CAPI, "Cluster", "demo", "demo", condition_is("Available"), 2)
    elapsed = time.monotonic() - started
    assert 2 <= elapsed < 4
    message = str(caught.value)
    assert "condition Available=True of Cluster demo/demo" in message
    assert "Available=False reason WaitingForControlPlane: 0 of 1 control plane ready" in message


def test_a_condition_of_an_older_generation_does_not_count(
    kube: KubeClient, cluster: dict[str, Any]
) -> None:
    stale = condition("Available", "True", "Available") | {"observedGeneration": 1}
    apply(kube, [cluster | {"spec": {"paused": True}}])  # generation 2
    set_conditions(kube, stale)
    with pytest.raises(ClusterError, match="last condition: Available=True"):
        wait_for(kube, CAPI, "Cluster", "demo", "demo", condition_is("Available"), 1)


def test_wait_deleted_follows_a_deletion_by_another_client(
    kube: KubeClient, controller: KubeClient, cluster: dict[str, Any]
) -> None:
    resource = controller.resource(CAPI, "Cluster")
    seen: list[str] = []

    def on_event(kind: str, obj: Any) -> None:
        seen.append(kind)
        if kind == "ADDED":
            in_thread(lambda: controller.dynamic.delete(resource, name="demo", namespace="demo"))

    wait_deleted(kube, CAPI, "Cluster", "demo", "demo", 10, on_event)
    assert seen == ["ADDED", "DELETED"]


def test_wait_deleted_returns_at_once_for_an_absent_object(kube: KubeClient) -> None:
    started = time.monotonic()
    wait_deleted(kube, "v1", "Namespace", "never-made", None, 10)
    assert time.monotonic() - started < 1


def test_waiting_for_an_object_that_never_appears_says_so(kube: KubeClient) -> None:
    with pytest.raises(ClusterError, match=r"of Namespace never-made \(it does not exist\)"):
        wait_for(kube, "v1", "Namespace", "never-made", None, lambda obj: obj is not None, 1)
