"""`kaas check conformance` driving the real hydrophone v0.8.0 (built from its Go module) against
the session's plain API server: no node runs its pod, so each run ends when hydrophone gives up
waiting for it (`--startup-timeout`). What it made, seen the moment it exited (namespace,
ServiceAccount, RBAC, the pod with the mode's focus and skip), is gone after kaas's cleanup."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s

from scs_kaas.checks.conformance_modes import MODES, ModeName
from scs_kaas.checks.runner_objects import POD, SERVICE_ACCOUNT, RunnerObjects
from scs_kaas.kube.client import KubeClient
from scs_kaas.localmgmt import ManagementCluster, programs
from scs_kaas.workflows.check import conformance as check_conformance
from scs_kaas.workflows.check.conformance import ConformanceOptions, RunnerMissing, find_runner
from scs_kaas.workflows.progress import StepEvent
from tests.checks import workload as helpers


@pytest.fixture(scope="session")
def hydrophone() -> Path:
    return programs.build(programs.TOOLS)["hydrophone"]


def _env(pod: dict[str, Any]) -> dict[str, str]:
    container = pod["spec"]["containers"][0]
    return {e["name"]: e.get("value", "") for e in container["env"]}


@pytest.mark.parametrize("mode", list(ModeName))
def test_hydrophone_runs_each_mode_and_kaas_removes_what_it_made(
    mode: ModeName,
    hydrophone: Path,
    kube: KubeClient,
    namespace: str,
    workload_apiserver: ManagementCluster,
    workload_kube: KubeClient,
    tmp_path: Path,
) -> None:
    access = helpers.registered(
        kube, namespace, f"c{uuid.uuid4().hex[:6]}", workload_apiserver, "p"
    )
    objects = RunnerObjects(check_conformance.NAMESPACE)
    seen: dict[str, Any] = {}

    def look(event: StepEvent) -> None:
        if event.step == "runner" and event.phase == "exited":
            core = workload_kube.resource("v1", "Pod")
            seen["pod"] = core.get(name=POD, namespace=objects.namespace).to_dict()
            seen["sa"] = workload_kube.resource("v1", "ServiceAccount").get(
                name=SERVICE_ACCOUNT, namespace=objects.namespace
            )
            rbac = "rbac.authorization.k8s.io/v1"
            seen["role"] = workload_kube.resource(rbac, "ClusterRole").get(
                name=objects.cluster_role
            )
            seen["binding"] = workload_kube.resource(rbac, "ClusterRoleBinding").get(
                name=objects.cluster_role_binding
            )

    options = ConformanceOptions(tmp_path / "results", hydrophone, startup_timeout=3)
    report = check_conformance.run(access, MODES[mode], options, look)
    pod = seen["pod"]
    assert pod["spec"]["serviceAccountName"] == SERVICE_ACCOUNT
    version = k8s.VersionApi(workload_kube._api).get_code().git_version
    image = pod["spec"]["containers"][0]["image"]
    assert image == f"registry.k8s.io/conformance:{version}"
    assert _env(pod)["E2E_FOCUS"] == MODES[mode].focus
    assert _env(pod)["E2E_SKIP"] == MODES[mode].skip
    assert seen["binding"].subjects[0].namespace == objects.namespace
    # hydrophone gave up on the pod: no results, a failed check, and nothing left behind
    assert report.exit_code == 1 and report.results is None
    assert "no results" in (report.problem or "")
    assert (tmp_path / "results" / "hydrophone.log").is_file()
    assert set(report.removed) >= {
        f"Namespace {objects.namespace}",
        f"ClusterRole {objects.cluster_role}",
        f"ClusterRoleBinding {objects.cluster_role_binding}",
    }
    names = [n.metadata.name for n in workload_kube.resource("v1", "Namespace").get().items]
    assert objects.namespace not in names


def test_without_hydrophone_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RunnerMissing, match=r"go install sigs.k8s.io/hydrophone@v0\.8\.0"):
        find_runner(None)
    with pytest.raises(RunnerMissing, match="not an executable file"):
        find_runner(tmp_path / "nothing")
