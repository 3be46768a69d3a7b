"""`kaas check smoke` over real API servers: the workload cluster found through the management
cluster; in it the real kube-controller-manager (PV binder, pv- and pvc-protection, Deployment,
ReplicaSet, namespace and garbage-collector controllers), the real kube-scheduler, and kwok as
the kubelets of two fake nodes (tests/support/fake_nodes.py); a thread plays Cinder CSI's
provisioner (tests/checks/workload.py). So a run passes prepare, deploy, volume and pod.

No OCCM runs, so the Service never gets a load balancer's address and `load-balancer` is the
last step a run reaches. Nothing after it can run here: `http` and `ingress` need real traffic
through an Octavia amphora to a real container, `write`, `reschedule` and `read` exec into the
container (kwok runs none), and `snapshot` needs a CSI snapshotter. What is shown: each step's
exit code, the cleanup after a failure and after an interruption at each step a run reaches,
and a run killed hard being cleaned up by the next one first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from scs_kaas.checks.smoke_steps import EXIT_CODES, INTERRUPTED, ORDER, Step
from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for, wait_for_selected
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.render import smoke
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.check import smoke as check_smoke
from scs_kaas.workflows.check.smoke import SmokeOptions
from scs_kaas.workflows.check.steps import Skipped, run_steps
from scs_kaas.workflows.check.target import WorkloadAccess, workload_access
from scs_kaas.workflows.progress import StepEvent
from tests.checks import workload as helpers

FAST = SmokeOptions(timeout=10, cleanup_timeout=60)


def test_each_failing_step_exits_with_its_code_and_the_cleanup_runs() -> None:
    for failing in ORDER[:-1]:
        ran: list[str] = []

        def step(name: Step, failing: Step = failing, ran: list[str] = ran) -> str:
            ran.append(name)
            if name == failing:
                raise ClusterError(f"{name} broke")
            return "fine"

        steps = [(s, lambda s=s: step(s)) for s in ORDER[:-1]]
        report = run_steps(steps, lambda: step(Step.cleanup))
        assert report.exit_code == EXIT_CODES[failing]
        assert report.failed_step == failing and report.error == f"{failing} broke"
        assert ran[-1] == Step.cleanup and ran[-2] == failing
        assert [o.status for o in report.steps][-2:] == ["failed", "passed"]


def test_skips_interruptions_a_failed_cleanup_and_keep() -> None:
    def skip() -> str:
        raise Skipped("no IngressClass")

    def interrupt() -> str:
        raise KeyboardInterrupt

    def broken_cleanup() -> str:
        raise ClusterError("namespace still terminating")

    good = run_steps([(Step.prepare, lambda: "ok"), (Step.ingress, skip)], lambda: "removed")
    assert good.exit_code == 0 and [o.status for o in good.steps] == ["passed", "skipped", "passed"]
    stopped = run_steps([(Step.prepare, interrupt), (Step.deploy, lambda: "x")], lambda: "removed")
    assert stopped.exit_code == INTERRUPTED
    assert [o.step for o in stopped.steps] == [Step.prepare, Step.cleanup]
    dirty = run_steps([(Step.prepare, lambda: "ok")], broken_cleanup)
    assert dirty.exit_code == EXIT_CODES[Step.cleanup]
    first = run_steps([(Step.pod, broken_cleanup)], broken_cleanup)
    assert first.exit_code == EXIT_CODES[Step.pod]  # the first failure names the code
    kept = run_steps([(Step.prepare, lambda: "ok")], None)
    assert kept.exit_code == 0 and kept.steps[-1].status == "kept"


@pytest.fixture
def cluster(
    kube: KubeClient,
    namespace: str,
    workload_with_nodes: ManagementCluster,
    workload_with_nodes_kube: KubeClient,
) -> Iterator[WorkloadAccess]:
    """A registered workload cluster with a default StorageClass and its provisioner."""
    workload = workload_with_nodes_kube
    name = f"c{uuid.uuid4().hex[:6]}"
    access = helpers.registered(kube, namespace, name, workload_with_nodes, "team")
    apply(workload, [helpers.storage_class()])
    with helpers.provisioner(workload):
        yield access
        assert helpers.leftovers(workload) == []
    workload.resource("storage.k8s.io/v1", "StorageClass").delete(name=helpers.STORAGE_CLASS)


def test_the_cluster_is_found_by_its_prefix_and_namespace(
    kube: KubeClient, cluster: WorkloadAccess
) -> None:
    target = cluster.target
    settings = Settings(prefix="team", namespace=target.namespace)
    found = workload_access(kube, settings, target.name)
    assert found.target == target
    assert "current-context" in found.kubeconfig.get_secret_value()
    with pytest.raises(ClusterError, match="there is no Cluster"):
        workload_access(kube, settings, "absent")
    with pytest.raises(ClusterError):  # another prefix's cluster is not this environment's
        workload_access(kube, Settings(prefix="other", namespace=target.namespace), target.name)


def test_a_run_stops_where_the_cluster_cannot_go_on_and_removes_everything(
    cluster: WorkloadAccess, workload_with_nodes_kube: KubeClient
) -> None:
    """The claim is bound, the pod Ready on a fake node; no OCCM gives the Service an address:
    `load-balancer`'s code, and the cleanup waited until the namespace and the volume were gone."""
    events: list[StepEvent] = []
    report = check_smoke.run(cluster, FAST, events.append)
    assert report.exit_code == EXIT_CODES[Step.load_balancer], report
    passed = [o.step for o in report.steps if o.status == "passed"]
    assert passed == [Step.prepare, Step.deploy, Step.volume, Step.pod, Step.cleanup]
    assert "claim bound to pvc-" in report.steps[2].detail
    assert "Ready on node kwok-node-" in report.steps[3].detail
    waited = "timed out after 10s waiting for the expected state of Service kaas-check-smoke/"
    assert waited in (report.error or ""), report.error
    removed = report.steps[-1].detail
    assert "removed Namespace kaas-check-smoke, PersistentVolume pvc-" in removed
    assert [e.phase for e in events if e.step == Step.load_balancer] == ["start", "failed"]
    assert helpers.leftovers(workload_with_nodes_kube) == []


REACHED = ORDER[: ORDER.index(Step.load_balancer) + 1]


@pytest.mark.parametrize("step", REACHED)
def test_an_interruption_at_each_step_still_removes_everything(
    step: Step, cluster: WorkloadAccess, workload_with_nodes_kube: KubeClient
) -> None:
    """Ctrl-C as the step starts: every step before it passed (so its objects, the bound
    volume, the Ready pod exist), and the cleanup removes all of it."""

    def interrupt_at(event: StepEvent) -> None:
        if event.step == step and event.phase == "start":
            raise KeyboardInterrupt

    report = check_smoke.run(cluster, FAST, interrupt_at)
    assert report.exit_code == INTERRUPTED
    assert [o.step for o in report.steps] == [*ORDER[: ORDER.index(step) + 1], Step.cleanup]
    assert [o.status for o in report.steps[:-2]] == ["passed"] * ORDER.index(step)
    assert report.steps[-1].status == "passed", report.steps[-1]
    if step in (Step.pod, Step.load_balancer):  # the claim was bound: its volume went too
        assert "PersistentVolume pvc-" in report.steps[-1].detail
    assert helpers.leftovers(workload_with_nodes_kube) == []


def test_keep_leaves_it_and_the_next_run_removes_it_first(
    cluster: WorkloadAccess, workload_with_nodes_kube: KubeClient
) -> None:
    kept = check_smoke.run(cluster, SmokeOptions(timeout=10, keep=True))
    assert kept.exit_code == EXIT_CODES[Step.load_balancer]
    assert helpers.leftovers(workload_with_nodes_kube) != []
    again = check_smoke.run(cluster, FAST)
    first = again.steps[0].detail
    assert "removed what an earlier run left: Namespace kaas-check-smoke" in first
    assert "PersistentVolume pvc-" in first
    assert again.exit_code == EXIT_CODES[Step.load_balancer]


def test_a_namespace_of_that_name_that_is_not_the_checks_is_left_alone(
    cluster: WorkloadAccess, workload_with_nodes_kube: KubeClient
) -> None:
    workload_kube = workload_with_nodes_kube
    foreign = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": smoke.NAMESPACE}}
    apply(workload_kube, [foreign])
    try:
        report = check_smoke.run(cluster, FAST)
        assert report.exit_code == EXIT_CODES[Step.prepare]
        assert "is not the smoke check's" in (report.error or "")
        assert wait_for(workload_kube, "v1", "Namespace", smoke.NAMESPACE, None, bool, 5)
    finally:
        workload_kube.resource("v1", "Namespace").delete(name=smoke.NAMESPACE)
        wait_for(workload_kube, "v1", "Namespace", smoke.NAMESPACE, None, lambda o: o is None, 120)


def test_a_run_killed_hard_is_cleaned_up_by_the_next_one(
    cluster: WorkloadAccess,
    kube: KubeClient,
    management: ManagementCluster,
    workload_with_nodes_kube: KubeClient,
    tmp_path: Path,
) -> None:
    """`kaas check smoke` as a process, SIGKILLed once its pod is Ready (it then waits for the
    load balancer): nothing of its own cleanup runs; the next `kaas check smoke` removes it
    first."""
    workload = workload_with_nodes_kube
    target = cluster.target
    (tmp_path / "environment.yaml").write_text(f"prefix: team\nnamespace: {target.namespace}\n")
    argv = [sys.executable, "-m", "scs_kaas", "check", "smoke", target.name, "--env", str(tmp_path)]
    argv += ["--kubeconfig", str(management.kubeconfig)]
    env = {**os.environ, "KAAS_STATE_DIR": str(tmp_path / "state")}
    process = subprocess.Popen([*argv, "--timeout", "300"], env=env, stderr=subprocess.PIPE)
    try:
        wait_for_selected(
            workload,
            "v1",
            "Pod",
            smoke.NAMESPACE,
            f"app.kubernetes.io/name={smoke.APP}",
            lambda pods: any(_ready(pod) for pod in pods),
            120,
            "the smoke check's Ready pod",
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert helpers.leftovers(workload) != []  # the kill left it all
    done = subprocess.run(
        [*argv, "--timeout", "10", "--cleanup-timeout", "60", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_CODES[Step.load_balancer], done.stderr
    assert "removed what an earlier run left" in done.stdout


def _ready(pod: Mapping[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
