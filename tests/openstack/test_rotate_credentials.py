"""`kaas cluster rotate-credentials` against the local cloud and the real management cluster.

Each test makes a cluster of a name of its own (tests/openstack/workloads.py): the real CAPO
reconciles it against the test's project with the cluster's credential, and it is deleted
through CAPI afterwards. Refused writes come from an admission policy of the test's own
(tests/support/admission.py); the workload cluster, where CCM and Cinder CSI are restarted, is the
session's plain API server (tests/support/workload_cluster.py).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import watch
from openstack.connection import Connection

from scs_kaas.cli.app import run
from scs_kaas.errors import CloudError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import connect, identity
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster import rotate_credentials as cluster_rotate_credentials
from scs_kaas.workflows.cluster.restart_cloud_conf_readers import RestartStatus
from scs_kaas.workflows.cluster.rotate_credentials import carrier_cloud_conf
from scs_kaas.workflows.cluster.target import ClusterTarget
from tests.openstack.cloud_cli import debug_log_as_the_cli_writes_it
from tests.openstack.workloads import (
    DELETE_TIMEOUT,
    Clusters,
    capo_made,
    decoded,
    made_clusters,
    register,
    secret_values,
    stored_secret,
    unique,
    wait_infrastructure_ready,
)
from tests.support.admission import refusing
from tests.support.projects import LOCALCLOUD, Project
from tests.support.workload_cluster import (
    BYSTANDERS,
    READERS,
    carrier_manifests,
    crs_controller,
    restarted_at,
    seed,
    unseed,
)

pytestmark = LOCALCLOUD


@pytest.fixture
def cluster() -> str:
    """The cluster's name, and its namespace's: this test's own."""
    return unique("rot-")


@pytest.fixture
def made(project: Project, kube: KubeClient) -> Iterator[Clusters]:
    with made_clusters(project.user, kube) as clusters:
        yield clusters


def _settings(cluster: str, cloud: str = "localcloud") -> Settings:
    return Settings(cloud=cloud, prefix="t", namespace=cluster)  # all in namespace `cluster`


def _create(made: Clusters, settings: Settings, cluster: str) -> tuple[str, str]:
    """What `kaas cluster create` does for the identity: credential, render, apply."""
    credential = made.create(settings, cluster)
    return credential.id, credential.secret


def _identity(cluster: str) -> str:
    return f"{cluster}-cloud-config"


def _carrier(cluster: str) -> str:
    return f"{cluster}-cloud-config-manifests"


def _both(kube: KubeClient, cluster: str) -> tuple[dict[str, str], dict[str, str]]:
    """The identity Secret and the cloud-config carrier, decoded."""
    return (
        secret_values(kube, cluster, _identity(cluster)),
        secret_values(kube, cluster, _carrier(cluster)),
    )


def _login_from_identity_secret(kube: KubeClient, cluster: str) -> tuple[str, Connection]:
    """A Connection built from the clouds.yaml in the identity Secret, logged in."""
    clouds_yaml = secret_values(kube, cluster, _identity(cluster))["clouds.yaml"]
    (entry,) = yaml.safe_load(clouds_yaml)["clouds"].values()
    conn = connect(entry)
    conn.authorize()
    return str(entry["auth"]["application_credential_id"]), conn


def _credential_ids(user: Connection, project: Project) -> set[str]:
    found = identity(user).application_credentials(user=project.tenant.user_id)
    return {str(c.id) for c in found}


def _credential_id(clouds_yaml: str) -> str:
    (entry,) = yaml.safe_load(clouds_yaml)["clouds"].values()
    return str(entry["auth"]["application_credential_id"])


def test_rotation_puts_a_working_credential_in_place_and_deletes_the_old(
    project: Project,
    made: Clusters,
    kube: KubeClient,
    cluster: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """And CAPO works on with it: it built the cluster's network and load balancer with the
    old credential, and deletes them with the new one, the old being gone."""
    debug_log_as_the_cli_writes_it(caplog)
    settings = _settings(cluster)
    old_id, old_secret = _create(made, settings, cluster)
    wait_infrastructure_ready(kube, cluster, cluster)
    assert capo_made(project.user, cluster)
    # No restart: KCP's <cluster>-kubeconfig points at the load balancer, where no API server
    # ever answers (no node joins here); the restart would wait out its timeout.
    result = cluster_rotate_credentials.run(project.user, kube, settings, cluster, restart=False)
    held_id, conn = _login_from_identity_secret(kube, cluster)
    conn.close()
    assert held_id == result.credential_id != old_id
    assert result.deleted_ids == (old_id,)
    assert old_id not in _credential_ids(project.user, project)
    identity_data, carrier_data = _both(kube, cluster)
    assert f'application-credential-id="{held_id}"' in carrier_cloud_conf(carrier_data)
    (entry,) = yaml.safe_load(identity_data["clouds.yaml"])["clouds"].values()
    for secret in (old_secret, entry["auth"]["application_credential_secret"]):
        assert secret not in caplog.text
        assert secret not in repr(result)
    deleted = cluster_delete.run(
        project.user, kube, ClusterTarget("t", cluster, cluster), DELETE_TIMEOUT
    )
    assert deleted.cluster_deleted and deleted.credential_ids == (held_id,)
    assert capo_made(project.user, cluster) == []


def test_a_failed_apply_keeps_the_old_credential_in_force_and_in_use(
    project: Project,
    made: Clusters,
    kube: KubeClient,
    cluster: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Both Secrets refuse writes: they are read, every apply (and the restore) fails."""
    debug_log_as_the_cli_writes_it(caplog)
    settings = _settings(cluster)
    old_id, old_secret = _create(made, settings, cluster)
    before = _both(kube, cluster)
    with (
        refusing(kube, "v1", "Secret", cluster, _identity(cluster)) as refused,
        refusing(kube, "v1", "Secret", cluster, _carrier(cluster)),
        pytest.raises(CloudError, match="old credential stays in force") as failed,
    ):
        cluster_rotate_credentials.run(project.user, kube, settings, cluster)
    assert refused.denied(failed.value)  # the first write failed, on the identity Secret
    assert _credential_ids(project.user, project) == {project.credential.id, old_id}
    held_id, conn = _login_from_identity_secret(kube, cluster)
    conn.close()
    assert held_id == old_id
    assert _both(kube, cluster) == before
    assert old_secret not in caplog.text


def _versions(
    kube: KubeClient, namespace: str, name: str, since: str, until: str
) -> list[dict[str, str]]:
    """Every version the API server stored of Secret `namespace/name` after resourceVersion
    `since` up to `until`, oldest first, decoded: a watch from `since` replays them."""
    resource = kube.resource("v1", "Secret")
    watcher = watch.Watch()  # type: ignore[no-untyped-call]
    stream = watcher.stream(  # type: ignore[no-untyped-call]
        resource.get,
        namespace=namespace,
        field_selector=f"metadata.name={name}",
        resource_version=since,
        serialize=False,
        timeout_seconds=30,
    )
    found = []
    try:
        for event in stream:
            stored = event["raw_object"]
            found.append(decoded(stored.get("data")))
            if stored["metadata"]["resourceVersion"] == until:
                return found
    finally:
        stream.close()
    raise AssertionError(f"the watch of Secret {namespace}/{name} never reached version {until}")


def test_a_refused_second_secret_restores_the_first_and_deletes_the_new_credential(
    project: Project,
    made: Clusters,
    kube: KubeClient,
    cluster: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Half applied: the identity Secret holds the new credential when the carrier is refused."""
    debug_log_as_the_cli_writes_it(caplog)
    settings = _settings(cluster)
    old_id, old_secret = _create(made, settings, cluster)
    before = _both(kube, cluster)
    since = stored_secret(kube, cluster, _identity(cluster))["metadata"]["resourceVersion"]
    with (
        refusing(kube, "v1", "Secret", cluster, _carrier(cluster)) as refused,
        pytest.raises(CloudError, match="old credential stays in force") as failed,
    ):
        cluster_rotate_credentials.run(project.user, kube, settings, cluster, restart=False)
    assert refused.denied(failed.value)
    # The identity Secret was written with the new credential, then restored.
    until = stored_secret(kube, cluster, _identity(cluster))["metadata"]["resourceVersion"]
    assert until != since, "the identity Secret was never written"
    versions = _versions(kube, cluster, _identity(cluster), since, until)
    held = [_credential_id(v["clouds.yaml"]) for v in versions]
    new_ids = {i for i in held if i != old_id}
    assert len(new_ids) == 1 and held[-1] == old_id, "identity Secret not written, then restored"
    assert _both(kube, cluster) == before
    assert _credential_ids(project.user, project) == {project.credential.id, old_id}
    assert not new_ids & _credential_ids(project.user, project)  # the new one was deleted
    held_id, conn = _login_from_identity_secret(kube, cluster)  # the old one still logs in
    conn.close()
    assert held_id == old_id
    assert old_secret not in caplog.text


def test_an_unreachable_workload_cluster_leaves_the_rotation_done_with_a_warning(
    project: Project, made: Clusters, kube: KubeClient, cluster: str
) -> None:
    settings = _settings(cluster)
    old_id, _ = _create(made, settings, cluster)
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        server = f"http://127.0.0.1:{bound.getsockname()[1]}"
        kubeconfig = {
            "clusters": [{"name": "w", "cluster": {"server": server}}],
            "users": [{"name": "w", "user": {"token": "not-a-secret"}}],
            "contexts": [{"name": "w", "context": {"cluster": "w", "user": "w"}}],
            "current-context": "w",
        }
        register(kube, cluster, cluster, kubeconfig)
        result = cluster_rotate_credentials.run(
            project.user, kube, settings, cluster, restart_timeout=5
        )
    held_id, conn = _login_from_identity_secret(kube, cluster)
    conn.close()
    assert held_id == result.credential_id != old_id
    assert result.deleted_ids == (old_id,)
    assert result.restart.status is RestartStatus.not_restarted
    assert result.restart.warning is not None
    assert "does not answer" in result.restart.warning
    assert any("openstack-cinder-csi" in line for line in result.restart.manual)


@pytest.fixture
def workload(workload_apiserver: ManagementCluster) -> Iterator[KubeClient]:
    """The session's plain API server as the workload cluster, left as the test found it."""
    with KubeClient.from_file(workload_apiserver.kubeconfig, timeout=(2.0, 10.0)) as client:
        try:
            yield client
        finally:
            unseed(client)


def test_cli_rotates_without_showing_a_secret(
    localcloud: LocalCloud,
    project: Project,
    made: Clusters,
    kube: KubeClient,
    cluster: str,
    workload: KubeClient,
    workload_apiserver: ManagementCluster,
    kubeconfig_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # the CLI installs the redaction itself
    # An unrestricted credential of the project's user: the CLI's login may make credentials.
    cli = identity(project.user).create_application_credential(
        project.tenant.user_id, f"cli-{secrets.token_hex(4)}", unrestricted=True
    )
    config = localcloud.app_credential_config(str(cli.id), str(cli.secret))
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"rotcloud": config}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    settings = _settings(cluster, "rotcloud")
    old_id, old_secret = _create(made, settings, cluster)
    argv = ["cluster", "rotate-credentials", cluster, "-e", str(tmp_path), "--set", "prefix=t"]
    argv += ["--set", "cloud=rotcloud", "--kubeconfig", str(kubeconfig_file), "-o", "json"]
    # Only what the CLI logs is checked: the test's own set-up logs through no CLI filter.
    caplog.clear()
    assert run([*argv, "--dry-run"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert planned["credential_ids"] == [old_id]
    clouds_yaml = secret_values(kube, cluster, _identity(cluster))["clouds.yaml"]
    assert f"application_credential_id: {old_id}" in clouds_yaml  # a dry run changes nothing
    # The workload cluster: the charts' workloads, the cloud-config the CRS put there, and the
    # CRS controller, which copies the carrier once the rotation changed it.
    seed(workload)
    apply(workload, carrier_manifests(stored_secret(kube, cluster, _carrier(cluster))))
    workload_config: dict[str, Any] = yaml.safe_load(workload_apiserver.kubeconfig.read_text())
    register(kube, cluster, cluster, workload_config)
    with crs_controller(kube, workload, cluster, _carrier(cluster), old_id) as controller:
        assert run(argv) == 0
    controller.result(timeout=60)
    out, err = capsys.readouterr()
    shown: dict[str, Any] = json.loads(out)
    held_id, conn = _login_from_identity_secret(kube, cluster)
    conn.close()
    assert shown["credential_id"] == held_id != old_id
    assert shown["deleted_ids"] == [old_id]
    assert shown["restart"]["status"] == "restarted", err
    assert "warning" not in err
    assert all(restarted_at(workload, ref) for ref in READERS)
    assert not any(restarted_at(workload, ref) for ref in BYSTANDERS)
    clouds_yaml = secret_values(kube, cluster, _identity(cluster))["clouds.yaml"]
    (entry,) = yaml.safe_load(clouds_yaml)["clouds"].values()
    for secret in (old_secret, entry["auth"]["application_credential_secret"], cli.secret):
        assert secret not in out + err + caplog.text
    # --no-restart: rotated all the same, exit 0, the warning and the commands on stderr.
    argv[-1] = "yaml"
    assert run([*argv, "--no-restart"]) == 0
    out, err = capsys.readouterr()
    again = yaml.safe_load(out)
    assert again["deleted_ids"] == [held_id]
    assert again["restart"]["status"] == "skipped"
    assert "warning: restart skipped" in err
    assert "rollout restart daemonset -l" in err
