"""`kaas cluster delete` against the local cloud and the emulated management cluster.

The emulator runs no controllers: a test plays CAPI by holding the Cluster with a finalizer
(CAPI's, while it deletes the machines) and removing it.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from openstack.connection import Connection

from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import identity
from scs_kaas.openstack.app_credentials import CredentialOwner, owned_app_credentials
from scs_kaas.polling import wait_until
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster_delete import (
    ClusterTarget,
    delete_cluster,
    labelled_objects,
    plan_cluster_delete,
)
from scs_kaas.workflows.identity import cluster_identity
from scs_kaas.workflows.mgmt import StepEvent
from tests.kube.conftest import Emulator
from tests.openstack.support import LOCALCLOUD, Project

pytestmark = LOCALCLOUD


CLUSTER = "del"
KAAS = str(Path(sys.executable).parent / "kaas")
CAPI_FINALIZER = "cluster.cluster.x-k8s.io"


def create_cluster(conn: Connection, client: KubeClient, settings: Settings, name: str) -> str:
    """What `kaas cluster create` does up to the apply: credential, render, apply."""
    made = cluster_identity(conn, settings, name)
    apply(client, render_cluster(name, settings, CloudFacts(), made.identity))
    return made.credential.id


def set_finalizer(client: KubeClient, namespace: str, name: str, held: bool) -> None:
    """Play CAPI: hold the Cluster while "deleting machines", then let it go."""
    client.dynamic.patch(
        client.resource(CLUSTER_API, "Cluster"),
        name=name,
        namespace=namespace,
        body={"metadata": {"finalizers": [CAPI_FINALIZER] if held else None}},
        content_type="application/merge-patch+json",
    )


def credentials(conn: Connection, prefix: str, name: str) -> list[str]:
    return [c.id for c in owned_app_credentials(conn, CredentialOwner(prefix, name))]


def clusters(server: Emulator, namespace: str) -> dict[str, object]:
    return server.stored(CLUSTER_API, "Cluster", namespace)


def test_delete_removes_cluster_then_objects_then_credential(
    project: Project, emulator: Emulator, kube: KubeClient, kubeconfig_file: Path
) -> None:
    conn = project.user
    settings = Settings(cloud="localcloud", prefix="t")
    other = Settings(cloud="localcloud", prefix="u", namespace="other")
    credential = create_cluster(conn, kube, settings, CLUSTER)
    other_credential = create_cluster(conn, kube, other, CLUSTER)
    set_finalizer(kube, CLUSTER, CLUSTER, held=True)
    target = ClusterTarget("t", CLUSTER, CLUSTER)
    planned = plan_cluster_delete(conn, kube, target)
    assert planned.cluster_found and planned.credential_ids == (credential,)
    assert len(planned.objects) >= 10
    events: list[StepEvent] = []
    with (
        KubeClient.from_file(kubeconfig_file) as capi,
        ThreadPoolExecutor(1) as pool,
    ):
        started = time.monotonic()
        running = pool.submit(delete_cluster, conn, kube, target, 60, events.append)

        def marked() -> bool:
            return "deletionTimestamp" in clusters(emulator, CLUSTER)[CLUSTER]["metadata"]  # type: ignore[index]

        wait_until(marked, 10, "the Cluster to be marked deleted", 0.05)
        # CAPI is still deleting the machines: the credential and the add-ons must stay
        assert credentials(conn, "t", CLUSTER) == [credential]
        assert len(labelled_objects(capi, target)) == len(planned.objects)
        set_finalizer(capi, CLUSTER, CLUSTER, held=False)
        result = running.result(timeout=60)
    print(f"cluster delete: {time.monotonic() - started:.2f} s")  # shown with -s
    assert result.cluster_deleted and result.credential_ids == (credential,)
    assert sorted(result.objects) == sorted(planned.objects)
    assert clusters(emulator, CLUSTER) == {}
    assert labelled_objects(kube, target) == []
    assert credentials(conn, "t", CLUSTER) == []
    steps = [(e.step, e.phase) for e in events if e.phase != "start"]
    assert steps == [("cluster", "deleted"), ("objects", "deleted"), ("app-credential", "deleted")]
    # the other environment's cluster of the same name is untouched
    assert set(clusters(emulator, "other")) == {CLUSTER}
    assert labelled_objects(kube, ClusterTarget("u", "other", CLUSTER))
    assert credentials(conn, "u", CLUSTER) == [other_credential]


def test_an_interrupted_delete_converges_on_a_rerun(
    project: Project, emulator: Emulator, kube: KubeClient
) -> None:
    conn = project.user
    settings = Settings(cloud="localcloud", prefix="t")
    credential = create_cluster(conn, kube, settings, CLUSTER)
    set_finalizer(kube, CLUSTER, CLUSTER, held=True)
    target = ClusterTarget("t", CLUSTER, CLUSTER)
    with pytest.raises(ClusterError, match="deletion"):
        delete_cluster(conn, kube, target, timeout=1)  # CAPI has not finished in time
    assert credentials(conn, "t", CLUSTER) == [credential]
    assert labelled_objects(kube, target)
    set_finalizer(kube, CLUSTER, CLUSTER, held=False)  # CAPI finishes meanwhile
    result = delete_cluster(conn, kube, target, timeout=10)
    assert not result.cluster_deleted and result.objects and result.credential_ids
    assert labelled_objects(kube, target) == [] and credentials(conn, "t", CLUSTER) == []
    again = delete_cluster(conn, kube, target, timeout=10)
    assert (again.cluster_deleted, again.objects, again.credential_ids) == (False, (), ())


def test_a_cluster_of_another_prefix_is_refused_untouched(
    project: Project, emulator: Emulator, kube: KubeClient
) -> None:
    conn = project.user
    credential = create_cluster(conn, kube, Settings(cloud="localcloud", prefix="u"), CLUSTER)
    with pytest.raises(ClusterError, match="not one scs-kaas made for prefix 't'"):
        delete_cluster(conn, kube, ClusterTarget("t", CLUSTER, CLUSTER), timeout=10)
    with pytest.raises(ClusterError, match="nothing was deleted"):
        plan_cluster_delete(conn, kube, ClusterTarget("t", CLUSTER, CLUSTER))
    assert set(clusters(emulator, CLUSTER)) == {CLUSTER}
    assert labelled_objects(kube, ClusterTarget("u", CLUSTER, CLUSTER))
    assert credentials(conn, "u", CLUSTER) == [credential]


def kaas(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KAAS, *args], capture_output=True, text=True, check=False, env=env)


def cli_environment(
    localcloud: LocalCloud, project: Project, tmp_path: Path, cloud: str
) -> tuple[dict[str, str], str]:
    """The process environment for `kaas` with a clouds.yaml entry `cloud` for the project
    (an unrestricted credential: the CLI may make and delete others); and its secret."""
    made = identity(project.user).create_application_credential(
        project.tenant.user_id, f"cli-{secrets.token_hex(4)}", unrestricted=True
    )
    clouds = tmp_path / "clouds.yaml"
    config = localcloud.app_credential_config(str(made.id), str(made.secret))
    clouds.write_text(yaml.safe_dump({"clouds": {cloud: config}}))
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}
    env.pop("OS_CLOUD", None)
    return env, str(made.secret)


def test_cli_dry_run_then_delete_through_the_console_script(
    localcloud: LocalCloud,
    project: Project,
    emulator: Emulator,
    kube: KubeClient,
    kubeconfig_file: Path,
    tmp_path: Path,
) -> None:
    env, secret = cli_environment(localcloud, project, tmp_path, "delcloud")
    credential = create_cluster(project.user, kube, Settings(cloud="delcloud", prefix="t"), CLUSTER)
    set_finalizer(kube, CLUSTER, CLUSTER, held=True)
    argv = ["cluster", "delete", CLUSTER, "-e", str(tmp_path), "--set", "prefix=t"]
    argv += ["--set", "cloud=delcloud", "--kubeconfig", str(kubeconfig_file)]

    dry = kaas(*argv, "--dry-run", "-o", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["cluster_found"] and planned["credential_ids"] == [credential]
    assert "deletionTimestamp" not in clusters(emulator, CLUSTER)[CLUSTER]["metadata"]  # type: ignore[index]

    timed_out = kaas(*argv, "--timeout", "1", env=env)
    assert timed_out.returncode == 1
    assert "Cluster del/del" in timed_out.stderr and "deletion" in timed_out.stderr
    assert credentials(project.user, "t", CLUSTER) == [credential]

    set_finalizer(kube, CLUSTER, CLUSTER, held=False)
    done = kaas(*argv, "-o", "yaml", env=env)
    assert done.returncode == 0, done.stderr
    shown = yaml.safe_load(done.stdout)
    assert shown["credential_ids"] == [credential] and shown["objects"]
    assert "app-credential" in done.stderr  # progress went to stderr
    assert credentials(project.user, "t", CLUSTER) == []
    assert labelled_objects(kube, ClusterTarget("t", CLUSTER, CLUSTER)) == []
    assert secret not in done.stdout + done.stderr + timed_out.stderr
