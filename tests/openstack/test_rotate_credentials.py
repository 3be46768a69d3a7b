"""`kaas cluster rotate-credentials` against the local cloud and the emulated management cluster."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from openstack.connection import Connection

from scs_kaas import logredact
from scs_kaas.cli.app import run
from scs_kaas.errors import CloudError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.secrets import apply_secret
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import connect, identity
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.identity import cluster_identity
from scs_kaas.workflows.restart_cloud_conf_readers import RestartStatus
from scs_kaas.workflows.rotate_credentials import carrier_cloud_conf, rotate_cluster_credentials
from tests.kube.conftest import Emulator
from tests.openstack.support import LOCALCLOUD, Project
from tests.workflows.workload_cluster import (
    BYSTANDERS,
    READERS,
    carrier_manifests,
    crs_controller,
    register,
    restarted_at,
    seed,
)

pytestmark = LOCALCLOUD


CLUSTER = "rot"
CARRIER = f"{CLUSTER}-cloud-config-manifests"
IDENTITY = f"{CLUSTER}-cloud-config"


def _debug_log_as_the_cli_writes_it(caplog: pytest.LogCaptureFixture) -> None:
    """All records, through the filter `kaas` puts on its handlers: keystoneauth's debug log
    prints Keystone's answers, secrets included, and the CLI redacts them there."""
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(logredact.RedactSecrets())


def _settings() -> Settings:
    return Settings(cloud="localcloud", prefix="t")


def _create(conn: Connection, client: KubeClient, settings: Settings) -> tuple[str, str]:
    """What `kaas cluster create` will do for the identity: credential, render, apply."""
    made = cluster_identity(conn, settings, CLUSTER)
    apply(client, render_cluster(CLUSTER, settings, CloudFacts(), made.identity))
    return made.credential.id, made.credential.secret


def _secret(server: Emulator, name: str) -> dict[str, str]:
    stored = server.stored("v1", "Secret", CLUSTER)[name]
    return {k: base64.b64decode(v).decode() for k, v in stored["data"].items()}


def _login_from_identity_secret(server: Emulator) -> tuple[str, Connection]:
    """A Connection built from the clouds.yaml in the identity Secret, logged in."""
    (entry,) = yaml.safe_load(_secret(server, IDENTITY)["clouds.yaml"])["clouds"].values()
    conn = connect(entry)
    conn.authorize()
    return str(entry["auth"]["application_credential_id"]), conn


def _credential_ids(user: Connection, project: Project) -> set[str]:
    found = identity(user).application_credentials(user=project.tenant.user_id)
    return {str(c.id) for c in found}


def test_rotation_puts_a_working_credential_in_place_and_deletes_the_old(
    project: Project, emulator: Emulator, kube: KubeClient, caplog: pytest.LogCaptureFixture
) -> None:
    _debug_log_as_the_cli_writes_it(caplog)
    settings = _settings()
    old_id, old_secret = _create(project.user, kube, settings)
    result = rotate_cluster_credentials(project.user, kube, settings, CLUSTER)
    held_id, conn = _login_from_identity_secret(emulator)
    conn.close()
    assert held_id == result.credential_id != old_id
    assert result.deleted_ids == (old_id,)
    assert old_id not in _credential_ids(project.user, project)
    assert f'application-credential-id="{held_id}"' in carrier_cloud_conf(
        _secret(emulator, CARRIER)
    )
    new_secret = yaml.safe_load(_secret(emulator, IDENTITY)["clouds.yaml"])
    (entry,) = new_secret["clouds"].values()
    for secret in (old_secret, entry["auth"]["application_credential_secret"]):
        assert secret not in caplog.text
        assert secret not in repr(result)


def test_a_failed_apply_keeps_the_old_credential_in_force_and_in_use(
    project: Project, emulator: Emulator, kube: KubeClient, caplog: pytest.LogCaptureFixture
) -> None:
    _debug_log_as_the_cli_writes_it(caplog)
    settings = _settings()
    old_id, old_secret = _create(project.user, kube, settings)
    before = (_secret(emulator, IDENTITY), _secret(emulator, CARRIER))
    # The emulator keeps a namespace's objects when it is deleted but refuses to write there:
    # the Secrets are read, every apply fails.
    kube.dynamic.delete(kube.resource("v1", "Namespace"), name=CLUSTER)
    with pytest.raises(CloudError, match="old credential stays in force"):
        rotate_cluster_credentials(project.user, kube, settings, CLUSTER)
    assert _credential_ids(project.user, project) == {project.credential.id, old_id}
    held_id, conn = _login_from_identity_secret(emulator)
    conn.close()
    assert held_id == old_id
    assert (_secret(emulator, IDENTITY), _secret(emulator, CARRIER)) == before
    assert old_secret not in caplog.text


def _versions(server: Emulator, name: str) -> list[dict[str, str]]:
    """Every version the emulator stored of Secret `CLUSTER/name`, oldest first, decoded."""

    async def read() -> list[dict[str, Any]]:
        ((_, found),) = [
            (key, obj)
            for key, obj in server.server.objects.items()
            if key[0].plural == "secrets" and key[1:] == (CLUSTER, name)
        ]
        return [dict(version) for version in found.history if version is not None]

    return [
        {k: base64.b64decode(v).decode() for k, v in (version.get("data") or {}).items()}
        for version in server.run(read())
    ]


def test_a_refused_second_secret_restores_the_first_and_deletes_the_new_credential(
    project: Project, emulator: Emulator, kube: KubeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Half applied: the identity Secret holds the new credential when the carrier is refused."""
    _debug_log_as_the_cli_writes_it(caplog)
    settings = _settings()
    old_id, old_secret = _create(project.user, kube, settings)
    before = (_secret(emulator, IDENTITY), _secret(emulator, CARRIER))
    emulator.refuse_writes("secrets", CLUSTER, CARRIER, status=503)
    with pytest.raises(CloudError, match="old credential stays in force"):
        rotate_cluster_credentials(project.user, kube, settings, CLUSTER, restart=False)
    assert emulator.refused() == [("secrets", CLUSTER, CARRIER)]
    # The identity Secret was written with the new credential, then restored.
    versions = _versions(emulator, IDENTITY)
    held = [_credential_id(v["clouds.yaml"]) for v in versions]
    new_ids = {i for i in held if i != old_id}
    assert len(new_ids) == 1 and held[-1] == old_id, "identity Secret not written, then restored"
    assert (_secret(emulator, IDENTITY), _secret(emulator, CARRIER)) == before
    assert _credential_ids(project.user, project) == {project.credential.id, old_id}
    assert not new_ids & _credential_ids(project.user, project)  # the new one was deleted
    held_id, conn = _login_from_identity_secret(emulator)  # the old one still logs in
    conn.close()
    assert held_id == old_id
    assert old_secret not in caplog.text


def _credential_id(clouds_yaml: str) -> str:
    (entry,) = yaml.safe_load(clouds_yaml)["clouds"].values()
    return str(entry["auth"]["application_credential_id"])


def test_an_unreachable_workload_cluster_leaves_the_rotation_done_with_a_warning(
    project: Project, emulator: Emulator, kube: KubeClient
) -> None:
    settings = _settings()
    old_id, _ = _create(project.user, kube, settings)
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        server = f"http://127.0.0.1:{bound.getsockname()[1]}"
        kubeconfig = {
            "clusters": [{"name": "w", "cluster": {"server": server}}],
            "users": [{"name": "w", "user": {"token": "not-a-secret"}}],
            "contexts": [{"name": "w", "context": {"cluster": "w", "user": "w"}}],
            "current-context": "w",
        }
        apply_secret(kube, CLUSTER, f"{CLUSTER}-kubeconfig", {"value": yaml.safe_dump(kubeconfig)})
        result = rotate_cluster_credentials(
            project.user, kube, settings, CLUSTER, restart_timeout=5
        )
    held_id, conn = _login_from_identity_secret(emulator)
    conn.close()
    assert held_id == result.credential_id != old_id
    assert result.deleted_ids == (old_id,)
    assert result.restart.status is RestartStatus.not_restarted
    assert result.restart.warning is not None
    assert "does not answer" in result.restart.warning
    assert any("openstack-cinder-csi" in line for line in result.restart.manual)


def test_cli_rotates_without_showing_a_secret(
    localcloud: LocalCloud,
    project: Project,
    emulator: Emulator,
    workload_emulator: Emulator,
    kube: KubeClient,
    kubeconfig_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # the CLI installs the redaction itself
    # An unrestricted credential of the project's user: the CLI's login may make credentials.
    made = identity(project.user).create_application_credential(
        project.tenant.user_id, f"cli-{secrets.token_hex(4)}", unrestricted=True
    )
    config = localcloud.app_credential_config(str(made.id), str(made.secret))
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"rotcloud": config}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    settings = Settings(cloud="rotcloud", prefix="t")
    old_id, old_secret = _create(project.user, kube, settings)
    argv = ["cluster", "rotate-credentials", CLUSTER, "-e", str(tmp_path), "--set", "prefix=t"]
    argv += ["--set", "cloud=rotcloud", "--kubeconfig", str(kubeconfig_file), "-o", "json"]
    # Only what the CLI logs is checked: the test's own set-up logs through no CLI filter.
    caplog.clear()
    assert run([*argv, "--dry-run"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert planned["credential_ids"] == [old_id]
    clouds_yaml = _secret(emulator, IDENTITY)["clouds.yaml"]
    assert f"application_credential_id: {old_id}" in clouds_yaml  # a dry run changes nothing
    # The workload cluster: the charts' workloads, the cloud-config the CRS put there, and the
    # CRS controller, which copies the carrier once the rotation changed it.
    with KubeClient.from_dict(workload_emulator.kubeconfig()) as workload:
        seed(workload)
        carrier = emulator.stored("v1", "Secret", CLUSTER)[CARRIER]
        apply(workload, carrier_manifests(carrier))
        register(kube, CLUSTER, CLUSTER, workload_emulator)
        with crs_controller(kube, workload, CLUSTER, CARRIER, old_id) as controller:
            assert run(argv) == 0
        controller.result(timeout=60)
    out, err = capsys.readouterr()
    shown: dict[str, Any] = json.loads(out)
    held_id, conn = _login_from_identity_secret(emulator)
    conn.close()
    assert shown["credential_id"] == held_id != old_id
    assert shown["deleted_ids"] == [old_id]
    assert shown["restart"]["status"] == "restarted", err
    assert "warning" not in err
    assert all(restarted_at(workload_emulator, ref) for ref in READERS)
    assert not any(restarted_at(workload_emulator, ref) for ref in BYSTANDERS)
    (entry,) = yaml.safe_load(_secret(emulator, IDENTITY)["clouds.yaml"])["clouds"].values()
    for secret in (old_secret, entry["auth"]["application_credential_secret"], made.secret):
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
