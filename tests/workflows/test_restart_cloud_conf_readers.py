"""Restarting OpenStack CCM and Cinder CSI in a workload cluster (the session's plain API server,
see tests/support/workload_cluster.py) after the ClusterResourceSet brought the new cloud.conf;
every failure a warning, never an exception. The management side is the real management
cluster, in a namespace of each test's own."""

from __future__ import annotations

import base64
import contextlib
import socket
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import yaml

from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.secrets import apply_secret
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.render.addons.objects import RESOURCE_SET_SECRET_TYPE
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.restart_cloud_conf_readers import (
    RestartStatus,
    manual_commands,
    restart_cloud_conf_readers,
)
from tests.support.workload_cluster import (
    BYSTANDERS,
    READERS,
    cloud_conf_secret,
    crs_controller,
    finish_rollout,
    register,
    restarted_at,
    seed,
    unseed,
)

CLUSTER = "demo"
CARRIER = f"{CLUSTER}-cloud-config-manifests"
SETTINGS = Settings(cloud="nowhere", prefix="t")


def conf(credential_id: str) -> str:
    return f'[Global]\napplication-credential-id="{credential_id}"\n'


@pytest.fixture
def workload_config(workload_apiserver: ManagementCluster) -> dict[str, Any]:
    """The workload cluster's admin kubeconfig, as CAPI's Secret holds it."""
    loaded: dict[str, Any] = yaml.safe_load(workload_apiserver.kubeconfig.read_text())
    return loaded


@pytest.fixture
def bare(workload_kube: KubeClient) -> Iterator[KubeClient]:
    """The workload API server, left as each test found it."""
    yield workload_kube
    unseed(workload_kube)


@pytest.fixture
def workload(bare: KubeClient) -> KubeClient:
    seed(bare)
    apply(bare, [cloud_conf_secret(conf("old"))])  # what the CRS put there at creation
    return bare


@pytest.fixture
def management(kube: KubeClient) -> KubeClient:
    return kube


@pytest.fixture
def settings(namespace: str) -> Settings:
    """The cluster's objects in this test's namespace of the management cluster."""
    return SETTINGS.model_copy(update={"namespace": namespace})


def put_carrier(management: KubeClient, namespace: str, credential_id: str) -> None:
    text = yaml.safe_dump(cloud_conf_secret(conf(credential_id)))
    apply_secret(
        management, namespace, CARRIER, {"cloud-config.yaml": text}, type_=RESOURCE_SET_SECRET_TYPE
    )


def nothing_restarted(workload: KubeClient) -> bool:
    return all(restarted_at(workload, ref) is None for ref in (*READERS, *BYSTANDERS))


def test_readers_restart_once_the_crs_brought_the_new_credential(
    management: KubeClient,
    workload: KubeClient,
    workload_config: dict[str, Any],
    namespace: str,
    settings: Settings,
) -> None:
    register(management, namespace, CLUSTER, workload_config)
    put_carrier(management, namespace, "old")
    with crs_controller(management, workload, namespace, CARRIER, "old") as controller:
        put_carrier(management, namespace, "new")  # what the rotation does in the management
        outcome = restart_cloud_conf_readers(management, settings, CLUSTER, "new", timeout=30)
    controller.result(timeout=30)
    assert outcome.status is RestartStatus.restarted, outcome.warning
    assert outcome.warning is None and outcome.manual == ()
    assert sorted(outcome.restarted) == sorted(f"{k} {ns}/{n}" for k, ns, n in READERS)
    for ref in READERS:
        assert restarted_at(workload, ref) is not None, ref
    for ref in BYSTANDERS:
        assert restarted_at(workload, ref) is None, ref


def test_no_restart_before_the_new_cloud_conf_arrives(
    management: KubeClient,
    workload: KubeClient,
    workload_config: dict[str, Any],
    namespace: str,
    settings: Settings,
) -> None:
    register(management, namespace, CLUSTER, workload_config)
    outcome = restart_cloud_conf_readers(management, settings, CLUSTER, "new", timeout=1)
    assert outcome.status is RestartStatus.not_restarted
    assert outcome.warning is not None
    assert "did not bring the new credential to Secret kube-system/cloud-config" in outcome.warning
    assert "rotation itself is complete" in outcome.warning
    assert outcome.manual == manual_commands(settings, CLUSTER)
    assert nothing_restarted(workload)


def test_an_unreachable_workload_cluster_is_a_warning(
    management: KubeClient,
    workload: KubeClient,
    workload_config: dict[str, Any],
    namespace: str,
    settings: Settings,
) -> None:
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        (entry,) = workload_config["clusters"]
        server = {**entry["cluster"], "server": f"https://127.0.0.1:{port}"}
        elsewhere = {**workload_config, "clusters": [{**entry, "cluster": server}]}
        register(management, namespace, CLUSTER, elsewhere)
        outcome = restart_cloud_conf_readers(management, settings, CLUSTER, "new", timeout=5)
    assert outcome.status is RestartStatus.not_restarted
    assert outcome.warning is not None and "does not answer" in outcome.warning
    assert outcome.manual
    assert nothing_restarted(workload)


def test_a_missing_kubeconfig_secret_is_a_warning(
    management: KubeClient, settings: Settings
) -> None:
    outcome = restart_cloud_conf_readers(management, settings, CLUSTER, "new", timeout=5)
    assert outcome.status is RestartStatus.not_restarted
    assert outcome.warning is not None
    assert f"{CLUSTER}-kubeconfig does not exist" in outcome.warning


def test_readers_not_found_is_a_warning(
    management: KubeClient,
    bare: KubeClient,
    workload_config: dict[str, Any],
    namespace: str,
    settings: Settings,
) -> None:
    apply(bare, [cloud_conf_secret(conf("new"))])  # kube-system: every real cluster has it
    register(management, namespace, CLUSTER, workload_config)
    outcome = restart_cloud_conf_readers(management, settings, CLUSTER, "new", timeout=5)
    assert outcome.status is RestartStatus.not_restarted
    assert outcome.warning is not None and "no workload found" in outcome.warning


def test_the_secret_content_is_never_in_the_outcome(
    management: KubeClient,
    workload: KubeClient,
    workload_config: dict[str, Any],
    namespace: str,
    settings: Settings,
) -> None:
    register(management, namespace, CLUSTER, workload_config)
    secret_conf = conf("new") + 'application-credential-secret="s3cr3t-value"\n'
    apply(workload, [cloud_conf_secret(secret_conf)])
    with rollout_controller(workload) as controller:
        outcome = restart_cloud_conf_readers(management, settings, CLUSTER, "new", timeout=10)
    controller.result(timeout=10)
    assert outcome.status is RestartStatus.restarted
    assert "s3cr3t" not in repr(outcome)
    assert base64.b64encode(b"s3cr3t-value").decode() not in repr(outcome)


def test_a_rollout_that_does_not_finish_is_a_warning(
    management: KubeClient,
    workload: KubeClient,
    workload_config: dict[str, Any],
    namespace: str,
    settings: Settings,
) -> None:
    register(management, namespace, CLUSTER, workload_config)
    apply(workload, [cloud_conf_secret(conf("new"))])
    # no controller replaces the pods: the old credential would still be in use
    outcome = restart_cloud_conf_readers(management, settings, CLUSTER, "new", timeout=2)
    assert outcome.status is RestartStatus.rolling
    assert outcome.warning is not None
    assert "the rollout of DaemonSet kube-system/openstack-cloud-controller-manager" in (
        outcome.warning
    )
    assert "rotation itself is complete" in outcome.warning
    assert all(restarted_at(workload, ref) is not None for ref in READERS)


@contextlib.contextmanager
def rollout_controller(workload: KubeClient) -> Iterator[Future[None]]:
    """The workload controllers: each restarted reader's new pods come up."""

    def roll_out() -> None:
        for ref in READERS:
            finish_rollout(workload, ref, 10)

    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(roll_out)


def test_manual_commands_use_the_charts_labels() -> None:
    selector = (
        "app=openstack-cinder-csi,release=cinder-csi,component in (controllerplugin,nodeplugin)"
    )
    restart = "kubectl --kubeconfig demo.kubeconfig -n kube-system rollout restart"
    assert manual_commands(SETTINGS, CLUSTER) == (
        "(umask 077; kubectl -n t-demo get secret demo-kubeconfig -o jsonpath='{.data.value}' "
        "| base64 -d > demo.kubeconfig)",
        f"{restart} daemonset -l "
        "'app.kubernetes.io/name=openstack-cloud-controller-manager,"
        "app.kubernetes.io/instance=openstack-ccm'",
        f"{restart} deployment -l '{selector}'",
        f"{restart} daemonset -l '{selector}'",
    )
