"""`rollout_restart`: the pod templates of matching workloads get kubectl's restartedAt."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.rollout import RESTARTED_AT, Restarted, rollout_restart
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
