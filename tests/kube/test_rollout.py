"""`rollout_restart`: the pod templates of matching workloads get kubectl's restartedAt."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.rollout import RESTARTED_AT, Restarted, rolled_out, rollout_restart
from tests.kube.conftest import Emulator

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


def namespaces(*names: str) -> list[dict[str, Any]]:
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in names]


def template_annotations(server: Emulator, kind: str, namespace: str) -> dict[str, dict[str, str]]:
    stored = server.stored("apps/v1", kind, namespace)
    return {
        name: obj["spec"]["template"]["metadata"].get("annotations") or {}
        for name, obj in stored.items()
    }


def test_matching_workloads_restart_and_nothing_else_changes(
    emulator: Emulator, kube: KubeClient
) -> None:
    mine = {"app": "web", "release": "one"}
    apply(kube, namespaces("apps", "elsewhere"))
    apply(
        kube,
        [
            workload("Deployment", "apps", "web", mine),
            workload("DaemonSet", "apps", "agent", mine),
            workload("Deployment", "apps", "other-release", {"app": "web", "release": "two"}),
            workload("Deployment", "elsewhere", "web", mine),
        ],
    )
    restarted = rollout_restart(kube, "apps", "app=web,release=one", at=AT)
    assert restarted == [
        Restarted("Deployment", "apps", "web"),
        Restarted("DaemonSet", "apps", "agent"),
    ]
    stamp = "2026-11-24T12:00:00Z"
    deployments = template_annotations(emulator, "Deployment", "apps")
    assert deployments["web"] == {"checksum/config": "abc", RESTARTED_AT: stamp}
    assert RESTARTED_AT not in deployments["other-release"]
    assert template_annotations(emulator, "DaemonSet", "apps")["agent"][RESTARTED_AT] == stamp
    assert RESTARTED_AT not in template_annotations(emulator, "Deployment", "elsewhere")["web"]


def test_a_second_restart_writes_a_new_time(emulator: Emulator, kube: KubeClient) -> None:
    apply(kube, namespaces("apps"))
    apply(kube, [workload("Deployment", "apps", "web", {"app": "web"})])
    rollout_restart(kube, "apps", "app=web", at=AT)
    later = AT + datetime.timedelta(minutes=5)
    rollout_restart(kube, "apps", "app=web", at=later)
    assert (
        template_annotations(emulator, "Deployment", "apps")["web"][RESTARTED_AT]
        == "2026-11-24T12:05:00Z"
    )


def test_no_match_restarts_nothing(kube: KubeClient) -> None:
    apply(kube, namespaces("apps"))
    apply(kube, [workload("Deployment", "apps", "web", {"app": "web"})])
    assert rollout_restart(kube, "apps", "app=absent") == []


def test_a_refused_patch_names_the_workload_and_what_was_done(
    emulator: Emulator, kube: KubeClient
) -> None:
    apply(kube, namespaces("apps"))
    apply(
        kube,
        [
            workload("Deployment", "apps", "a", {"app": "x"}),
            workload("Deployment", "apps", "b", {"app": "x"}),
        ],
    )
    emulator.refuse_writes("deployments", "apps", "b", status=403)
    with pytest.raises(
        ClusterError, match=r"Deployment apps/b failed: HTTP 403.*Deployment apps/a"
    ):
        rollout_restart(kube, "apps", "app=x", at=AT)


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
