"""`rollout_restart`: the pod templates of matching workloads get kubectl's restartedAt.

On the real management cluster, in namespaces of each test's own. No Deployment or DaemonSet
controller runs there (kube-controller-manager runs namespace deletion and garbage collection
only), so nothing but the test touches the workloads.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.rollout import RESTARTED_AT, Restarted, rolled_out, rollout_restart
from tests.support.admission import refusing

AT = datetime.datetime(2026, 11, 24, 12, 0, 0, tzinfo=datetime.UTC)


def workload(kind: str, namespace: str, name: str, labels: dict[str, str]) -> dict[str, Any]:
    """A Deployment or DaemonSet as a chart makes it: labels on the object and on its pods."""
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels, "annotations": {"checksum/config": "abc"}},
                "spec": {"containers": [{"name": "main", "image": "example:1"}]},
            },
        },
    }


@pytest.fixture
def other(kube: KubeClient) -> Iterator[str]:
    """A second namespace of this test's own."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    apply(kube, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}])
    yield name
    kube.resource("v1", "Namespace").delete(name=name)


def template_annotations(kube: KubeClient, kind: str, namespace: str) -> dict[str, dict[str, str]]:
    listed = kube.resource("apps/v1", kind).get(namespace=namespace).to_dict()
    return {
        obj["metadata"]["name"]: obj["spec"]["template"]["metadata"].get("annotations") or {}
        for obj in listed["items"]
    }


def test_matching_workloads_restart_and_nothing_else_changes(
    kube: KubeClient, namespace: str, other: str
) -> None:
    mine = {"app": "web", "release": "one"}
    apply(
        kube,
        [
            workload("Deployment", namespace, "web", mine),
            workload("DaemonSet", namespace, "agent", mine),
            workload("Deployment", namespace, "other-release", {"app": "web", "release": "two"}),
            workload("Deployment", other, "web", mine),
        ],
    )
    restarted = rollout_restart(kube, namespace, "app=web,release=one", at=AT)
    assert restarted == [
        Restarted("Deployment", namespace, "web"),
        Restarted("DaemonSet", namespace, "agent"),
    ]
    stamp = "2026-11-24T12:00:00Z"
    deployments = template_annotations(kube, "Deployment", namespace)
    assert deployments["web"] == {"checksum/config": "abc", RESTARTED_AT: stamp}
    assert RESTARTED_AT not in deployments["other-release"]
    assert template_annotations(kube, "DaemonSet", namespace)["agent"][RESTARTED_AT] == stamp
    assert RESTARTED_AT not in template_annotations(kube, "Deployment", other)["web"]


def test_a_second_restart_writes_a_new_time(kube: KubeClient, namespace: str) -> None:
    apply(kube, [workload("Deployment", namespace, "web", {"app": "web"})])
    rollout_restart(kube, namespace, "app=web", at=AT)
    later = AT + datetime.timedelta(minutes=5)
    rollout_restart(kube, namespace, "app=web", at=later)
    assert (
        template_annotations(kube, "Deployment", namespace)["web"][RESTARTED_AT]
        == "2026-11-24T12:05:00Z"
    )


def test_no_match_restarts_nothing(kube: KubeClient, namespace: str) -> None:
    apply(kube, [workload("Deployment", namespace, "web", {"app": "web"})])
    assert rollout_restart(kube, namespace, "app=absent") == []


def test_a_refused_patch_names_the_workload_and_what_was_done(
    kube: KubeClient, namespace: str
) -> None:
    apply(
        kube,
        [
            workload("Deployment", namespace, "a", {"app": "x"}),
            workload("Deployment", namespace, "b", {"app": "x"}),
        ],
    )
    expected = rf"Deployment {namespace}/b failed: HTTP 403.*Deployment {namespace}/a"
    with (
        refusing(kube, "apps/v1", "Deployment", namespace, "b", ["UPDATE"]) as refusal,
        pytest.raises(ClusterError, match=expected) as caught,
    ):
        rollout_restart(kube, namespace, "app=x", at=AT)
    assert refusal.policy in str(caught.value)  # the server's reason, from our policy
    annotations = template_annotations(kube, "Deployment", namespace)
    assert RESTARTED_AT in annotations["a"] and RESTARTED_AT not in annotations["b"]


@pytest.mark.parametrize(
    ("kind", "obj", "done"),
    [
        # the controller has not seen the restart yet
        ("Deployment", {"metadata": {"generation": 2}, "status": {"observedGeneration": 1}}, False),
        (
            "Deployment",
            {
                "metadata": {"generation": 2},
                "spec": {"replicas": 2},
                "status": {
                    "observedGeneration": 2,
                    "replicas": 3,  # an old pod is still there
                    "updatedReplicas": 2,
                    "availableReplicas": 2,
                },
            },
            False,
        ),
        (
            "Deployment",
            {
                "metadata": {"generation": 2},
                "spec": {"replicas": 2},
                "status": {
                    "observedGeneration": 2,
                    "replicas": 2,
                    "updatedReplicas": 2,
                    "availableReplicas": 2,
                },
            },
            True,
        ),
        (
            "DaemonSet",
            {
                "metadata": {"generation": 3},
                "status": {
                    "observedGeneration": 3,
                    "desiredNumberScheduled": 3,
                    "updatedNumberScheduled": 3,
                    "numberAvailable": 2,  # one node's new pod is not ready
                },
            },
            False,
        ),
        (
            "DaemonSet",
            {
                "metadata": {"generation": 3},
                "status": {
                    "observedGeneration": 3,
                    "desiredNumberScheduled": 3,
                    "updatedNumberScheduled": 3,
                    "numberAvailable": 3,
                },
            },
            True,
        ),
        (
            "StatefulSet",
            {
                "metadata": {"generation": 1},
                "spec": {"replicas": 1},
                "status": {"observedGeneration": 1, "updatedReplicas": 1, "readyReplicas": 1},
            },
            True,
        ),
        ("DaemonSet", None, False),
    ],
)
def test_rolled_out_decides_as_kubectl_rollout_status(
    kind: str, obj: dict[str, Any] | None, done: bool
) -> None:
    assert rolled_out(kind)(obj) is done
