"""`kaas cluster create` against the local cloud and the emulated management cluster.

The emulator runs no controllers: a thread plays CAPI, waiting for the Cluster to be applied,
writing its `<cluster>-kubeconfig` Secret (pointing at a second emulator, the workload cluster)
and setting its v1beta2 conditions.
"""

from __future__ import annotations

import base64
import contextlib
import json
import stat
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from openstack.connection import Connection

from scs_kaas.errors import CloudError, ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import connect
from scs_kaas.openstack.keypairs import import_keypair
from scs_kaas.render.metadata import CLUSTER_API, INFRA_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster_create import (
    CreateOptions,
    create_cluster,
    plan_cluster_create,
)
from scs_kaas.workflows.cluster_delete import ClusterTarget, delete_cluster, labelled_objects
from scs_kaas.workflows.mgmt import StepEvent
from tests.kube.conftest import Emulator
from tests.openstack.support import LOCALCLOUD, Project
from tests.openstack.test_cluster_delete import (
    cli_environment,
    credentials,
    kaas,
    set_finalizer,
)
from tests.openstack.test_rotate_credentials import _debug_log_as_the_cli_writes_it
from tests.workflows.workload_cluster import register

pytestmark = LOCALCLOUD


CLUSTER = "mk"
CONTEXT = f"{CLUSTER}-admin@{CLUSTER}"
# An image every project of the local cloud sees, standing in for the node image.
IMAGE = {"name_template": "Ubuntu 24.04"}


@pytest.fixture(autouse=True)
def node_keypair(project: Project) -> None:
    """The environment's keypair `t-keypair`, as `kaas mgmt create` imports it."""
    key = Ed25519PrivateKey.generate().public_key()
    public = key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    import_keypair(project.user, "t-keypair", public)


def _settings(**more: Any) -> Settings:
    return Settings(cloud="localcloud", prefix="t", image=IMAGE, **more)


def _condition(type_: str, status: str, reason: str) -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": "",
        "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _set_conditions(client: KubeClient, *conditions: dict[str, Any]) -> None:
    client.dynamic.patch(
        client.resource(CLUSTER_API, "Cluster").status,
        body={"status": {"conditions": list(conditions)}},
        name=CLUSTER,
        namespace=CLUSTER,
        content_type="application/merge-patch+json",
    )


def _play_capi(kubeconfig: Path, workload: Emulator, available: bool) -> None:
    with KubeClient.from_file(kubeconfig) as client:
        wait_for(client, CLUSTER_API, "Cluster", CLUSTER, CLUSTER, lambda o: o is not None, 60)
        register(client, CLUSTER, CLUSTER, workload)
        infrastructure = _condition("InfrastructureReady", "True", "Ready")
        if available:
            _set_conditions(client, infrastructure, _condition("Available", "True", "Available"))
        else:
            waiting = _condition("Available", "False", "WaitingForControlPlane")
            _set_conditions(client, infrastructure, waiting)


@contextlib.contextmanager
def capi(kubeconfig: Path, workload: Emulator, available: bool = True) -> Iterator[Future[None]]:
    with ThreadPoolExecutor(1) as pool:
        played = pool.submit(_play_capi, kubeconfig, workload, available)
        yield played
        played.result(timeout=60)


def _identity_login(server: Emulator) -> str:
    """The credential in the identity Secret logs in to the local cloud; its id."""
    stored = server.stored("v1", "Secret", CLUSTER)[f"{CLUSTER}-cloud-config"]
    text = base64.b64decode(stored["data"]["clouds.yaml"]).decode()
    (entry,) = yaml.safe_load(text)["clouds"].values()
    conn = connect(entry)
    try:
        conn.authorize()
    finally:
        conn.close()
    return str(entry["auth"]["application_credential_id"])


def _objects(server: Emulator) -> int:
    kinds = [("v1", "Secret"), ("v1", "ConfigMap"), (CLUSTER_API, "Cluster")]
    return sum(len(server.stored(api, kind, CLUSTER)) for api, kind in kinds)


def test_create_applies_waits_merges_and_a_rerun_changes_nothing(
    project: Project,
    emulator: Emulator,
    workload_emulator: Emulator,
    kube: KubeClient,
    kubeconfig_file: Path,
    tmp_path: Path,
) -> None:
    conn = project.user
    out = tmp_path / "kube" / "config"
    options = CreateOptions(timeout=60, kubeconfig_out=out)
    events: list[StepEvent] = []
    with capi(kubeconfig_file, workload_emulator):
        started = time.monotonic()
        first = create_cluster(
            conn, kube, _settings(), CLUSTER, options=options, progress=events.append
        )
    print(f"cluster create: {time.monotonic() - started:.2f} s")  # shown with -s
    assert first.credential == "created" and first.available
    assert len(first.created) >= 10 and first.changed == () and first.unchanged == 0
    kinds = {ref.split()[0].split(".")[0] for ref in first.created}
    assert kinds >= {
        *("Namespace", "Secret", "Cluster", "OpenStackCluster", "KubeadmControlPlane"),
        *("OpenStackMachineTemplate", "MachineDeployment", "KubeadmConfigTemplate"),
        *("HelmChartProxy", "ClusterResourceSet"),
    }
    # all of them are there, labelled as ours (the Namespace and Cluster are counted apart)
    target = ClusterTarget("t", CLUSTER, CLUSTER)
    assert len(labelled_objects(kube, target)) == len(first.created) - 2
    assert credentials(conn, "t", CLUSTER) == [first.credential_id]
    assert _identity_login(emulator) == first.credential_id
    assert set(emulator.stored(CLUSTER_API, "Cluster", CLUSTER)) == {CLUSTER}
    steps = [e.step for e in events if e.phase != "start"]
    assert steps == ["cloud", "app-credential", "apply", "prune", "cluster", "kubeconfig"]
    # the kubeconfig: 0600, the workload cluster's context, the workload cluster reachable
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert (first.context, first.kubeconfig) == (CONTEXT, str(out))
    merged = yaml.safe_load(out.read_text())
    assert merged["current-context"] == CONTEXT
    with KubeClient.from_file(out, CONTEXT) as workload:
        assert workload.resource("v1", "Namespace") is not None

    started = time.monotonic()
    again = create_cluster(conn, kube, _settings(), CLUSTER, options=options)
    print(f"cluster create re-run: {time.monotonic() - started:.2f} s")
    assert again.credential == "reused" and again.credential_id == first.credential_id
    assert (again.created, again.changed, again.pruned) == ((), (), ())
    assert again.unchanged == len(first.created)
    assert credentials(conn, "t", CLUSTER) == [first.credential_id]

    # an add-on switched off is pruned, nothing else is touched
    fewer = _settings(addons={"ingress_nginx": False})
    planned = plan_cluster_create(conn, kube, fewer, CLUSTER)
    pruned = create_cluster(conn, kube, fewer, CLUSTER, options=options)
    assert pruned.pruned and all("ingress" in ref for ref in pruned.pruned)
    assert planned.prune == pruned.pruned and planned.credential == f"reuse {first.credential_id}"
    assert pruned.created == () and pruned.credential == "reused"


def test_dry_run_writes_nothing_and_tells_what_would_happen(
    project: Project,
    emulator: Emulator,
    workload_emulator: Emulator,
    kube: KubeClient,
    kubeconfig_file: Path,
) -> None:
    conn = project.user
    plan = plan_cluster_create(conn, kube, _settings(), CLUSTER)
    assert plan.credential == "create" and len(plan.create) >= 10
    assert (plan.change, plan.unchanged, plan.prune) == ((), 0, ())
    assert credentials(conn, "t", CLUSTER) == [] and _objects(emulator) == 0

    made = create_cluster(conn, kube, _settings(), CLUSTER, options=CreateOptions(wait=False))
    after = plan_cluster_create(conn, kube, _settings(), CLUSTER)
    assert after.credential == f"reuse {made.credential_id}"
    assert (after.create, after.change) == ((), ()) and after.unchanged == len(plan.create)
    changed = plan_cluster_create(
        conn, kube, _settings(network={"dns_nameservers": ["192.0.2.53"]}), CLUSTER
    )
    assert changed.change and changed.create == ()
    assert credentials(conn, "t", CLUSTER) == [made.credential_id]


def test_no_wait_then_a_timeout_names_the_last_condition(
    project: Project,
    emulator: Emulator,
    workload_emulator: Emulator,
    kube: KubeClient,
    kubeconfig_file: Path,
    tmp_path: Path,
) -> None:
    conn = project.user
    out = tmp_path / "config"
    # a restricted API: the management host's address is let in as well
    restricted = _settings(api_server={"allowed_cidrs": ["198.51.100.0/24"]})
    host = ("203.0.113.7/32",)
    options = CreateOptions(wait=False, kubeconfig_out=out, api_access_cidrs=host)
    made = create_cluster(conn, kube, restricted, CLUSTER, options=options)
    assert made.available is None and made.kubeconfig is None and not out.exists()
    stored = emulator.stored(INFRA_API, "OpenStackCluster", CLUSTER)[CLUSTER]
    allowed = stored["spec"]["apiServer"]["managedLoadBalancer"]["allowedCIDRs"]
    assert {"198.51.100.0/24", host[0]} <= set(allowed)
    with capi(kubeconfig_file, workload_emulator, available=False):
        pass
    options = CreateOptions(timeout=1, kubeconfig_out=out, api_access_cidrs=host)
    started = time.monotonic()
    with pytest.raises(ClusterError, match="Available=False reason WaitingForControlPlane"):
        create_cluster(conn, kube, restricted, CLUSTER, options=options)
    assert time.monotonic() - started < 10
    assert not out.exists()
    assert credentials(conn, "t", CLUSTER) == [made.credential_id]


def test_a_missing_node_image_names_image_ensure_and_writes_nothing(
    project: Project, emulator: Emulator, kube: KubeClient
) -> None:
    settings = Settings(cloud="localcloud", prefix="t")
    with pytest.raises(CloudError, match=r"ubuntu-capi-image-v1.*`kaas image ensure`"):
        create_cluster(project.user, kube, settings, CLUSTER)
    bad_flavor = _settings(control_plane={"flavor": "nope"})
    with pytest.raises(CloudError, match=r"control_plane\.flavor 'nope'"):
        plan_cluster_create(project.user, kube, bad_flavor, CLUSTER)
    no_key = _settings(ssh_key_name="nope")
    with pytest.raises(CloudError, match="keypair 'nope' does not exist: `kaas mgmt create`"):
        create_cluster(project.user, kube, no_key, CLUSTER)
    assert credentials(project.user, "t", CLUSTER) == [] and _objects(emulator) == 0


def test_a_credential_without_a_usable_secret_is_replaced_not_added(
    project: Project, emulator: Emulator, kube: KubeClient, caplog: pytest.LogCaptureFixture
) -> None:
    _debug_log_as_the_cli_writes_it(caplog)
    conn = project.user
    options = CreateOptions(wait=False)
    first = create_cluster(conn, kube, _settings(), CLUSTER, options=options)
    kube.dynamic.delete(
        kube.resource("v1", "Secret"), name=f"{CLUSTER}-cloud-config", namespace=CLUSTER
    )
    second = create_cluster(conn, kube, _settings(), CLUSTER, options=options)
    assert second.credential == "replaced" and second.credential_id != first.credential_id
    assert credentials(conn, "t", CLUSTER) == [second.credential_id]
    assert _identity_login(emulator) == second.credential_id
    for secret in _held_secrets(emulator):
        assert secret not in caplog.text


def test_a_credential_that_fails_to_log_in_stops_the_create_unchanged(
    project: Project, emulator: Emulator, kube: KubeClient
) -> None:
    conn = project.user
    made = create_cluster(conn, kube, _settings(), CLUSTER, options=CreateOptions(wait=False))
    (held,) = _held_secrets(emulator)
    stored = emulator.stored("v1", "Secret", CLUSTER)[f"{CLUSTER}-cloud-config"]
    text = base64.b64decode(stored["data"]["clouds.yaml"]).decode()
    broken = base64.b64encode(text.replace(held, "not-the-secret").encode()).decode()
    kube.dynamic.patch(
        kube.resource("v1", "Secret"),
        name=f"{CLUSTER}-cloud-config",
        namespace=CLUSTER,
        body={"data": {"clouds.yaml": broken}},
        content_type="application/merge-patch+json",
    )
    with pytest.raises(CloudError, match=r"nothing was changed.*rotate-credentials mk") as failed:
        create_cluster(conn, kube, _settings(), CLUSTER, options=CreateOptions(wait=False))
    assert made.credential_id in str(failed.value) and held not in str(failed.value)
    with pytest.raises(CloudError, match="rotate-credentials"):
        plan_cluster_create(conn, kube, _settings(), CLUSTER)
    assert credentials(conn, "t", CLUSTER) == [made.credential_id]
    after = emulator.stored("v1", "Secret", CLUSTER)[f"{CLUSTER}-cloud-config"]
    assert after["data"]["clouds.yaml"] == broken


def _held_secrets(server: Emulator) -> list[str]:
    stored = server.stored("v1", "Secret", CLUSTER)[f"{CLUSTER}-cloud-config"]
    (entry,) = yaml.safe_load(base64.b64decode(stored["data"]["clouds.yaml"]))["clouds"].values()
    return [str(entry["auth"]["application_credential_secret"])]


def test_a_cluster_being_deleted_is_not_created_again(
    project: Project, emulator: Emulator, kube: KubeClient
) -> None:
    conn = project.user
    made = create_cluster(conn, kube, _settings(), CLUSTER, options=CreateOptions(wait=False))
    set_finalizer(kube, CLUSTER, CLUSTER, held=True)
    kube.dynamic.delete(kube.resource(CLUSTER_API, "Cluster"), name=CLUSTER, namespace=CLUSTER)
    with pytest.raises(ClusterError, match="being deleted; run `kaas cluster delete mk`"):
        create_cluster(conn, kube, _settings(), CLUSTER, options=CreateOptions(wait=False))
    assert credentials(conn, "t", CLUSTER) == [made.credential_id]


def test_create_then_delete_leaves_nothing(
    project: Project, emulator: Emulator, kube: KubeClient
) -> None:
    conn = project.user
    create_cluster(conn, kube, _settings(), CLUSTER, options=CreateOptions(wait=False))
    target = ClusterTarget("t", CLUSTER, CLUSTER)
    delete_cluster(conn, kube, target, timeout=30)
    assert emulator.stored(CLUSTER_API, "Cluster", CLUSTER) == {}
    assert labelled_objects(kube, target) == []
    assert credentials(conn, "t", CLUSTER) == []


def test_cli_create_through_the_console_script(
    localcloud: LocalCloud,
    project: Project,
    emulator: Emulator,
    workload_emulator: Emulator,
    kubeconfig_file: Path,
    tmp_path: Path,
) -> None:
    env, secret = cli_environment(localcloud, project, tmp_path, "mkcloud")
    env["HOME"] = str(tmp_path / "home")
    argv = ["cluster", "create", CLUSTER, "-e", str(tmp_path), "--set", "prefix=t"]
    argv += ["--set", "cloud=mkcloud", "--set", "image.name_template=Ubuntu 24.04"]
    argv += ["--kubeconfig", str(kubeconfig_file)]

    bad = kaas(*argv[:2], "Bad_Name", *argv[3:], env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

    dry = kaas(*argv, "--dry-run", "-o", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["credential"] == "create" and _objects(emulator) == 0
    assert credentials(project.user, "t", CLUSTER) == []

    with capi(kubeconfig_file, workload_emulator):
        started = time.monotonic()
        done = kaas(*argv, "--timeout", "60", "-o", "json", env=env)
    print(f"kaas cluster create (console script): {time.monotonic() - started:.2f} s")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["available"] and shown["context"] == CONTEXT
    default = tmp_path / "home" / ".kube" / "config"
    assert shown["kubeconfig"] == str(default)
    assert stat.S_IMODE(default.stat().st_mode) == 0o600
    assert "kubeconfig" in done.stderr  # progress on stderr
    conn: Connection = project.user
    assert credentials(conn, "t", CLUSTER) == [shown["credential_id"]]

    again = kaas(*argv, "--timeout", "10", env=env)
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stdout
    print(again.stdout)  # the table, shown with -s
    assert credentials(conn, "t", CLUSTER) == [shown["credential_id"]]

    identity = emulator.stored("v1", "Secret", CLUSTER)[f"{CLUSTER}-cloud-config"]
    stored = yaml.safe_load(base64.b64decode(identity["data"]["clouds.yaml"]))
    (entry,) = stored["clouds"].values()
    held = str(entry["auth"]["application_credential_secret"])
    token = "emulator-token-not-secret"  # the workload kubeconfig's credential
    for result in (bad, dry, done, again):
        for leaked in (secret, held):
            assert leaked not in result.stdout + result.stderr
    assert token not in done.stdout + done.stderr
