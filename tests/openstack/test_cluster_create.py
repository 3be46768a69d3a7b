"""`kaas cluster create` against the local cloud and the real management cluster.

Each test creates a cluster of a name (and namespace) of its own: the real Cluster API
controllers take it up, CAPO builds its network, router, security groups, load balancer and
control-plane server in the test's project with the cluster's credential; it is deleted through
CAPI after the test (`cluster_delete.run`), before the project is purged.

What only nodes could do is played where the test waits for it (`capi`): no node joins here,
so the Cluster never becomes Available by itself. Once the apply has made it, the Cluster is
paused (`spec.paused: true`; CAPI acknowledges with its Paused condition and leaves it alone),
its `<cluster>-kubeconfig` Secret points at the session's plain API server as the workload
cluster, and its InfrastructureReady and Available conditions are written through the status
subresource, as CAPI would write them. Tests where waiting is not the point do not wait.
"""

from __future__ import annotations

import contextlib
import json
import re
import stat
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from kubernetes.client.exceptions import ApiException
from openstack.connection import Connection

from scs_kaas.errors import CloudError, ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import condition_is, wait_for
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import connect
from scs_kaas.localmgmt import ManagementCluster
from scs_kaas.openstack.keypairs import import_keypair
from scs_kaas.render.metadata import CLUSTER_API, INFRA_GROUP
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import create as cluster_create
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster.create import CreateOptions
from scs_kaas.workflows.cluster.delete import labelled_objects
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.progress import StepEvent
from tests.openstack.cloud_cli import (
    cli_environment,
    credentials,
    debug_log_as_the_cli_writes_it,
    kaas,
)
from tests.openstack.workloads import (
    DELETE_TIMEOUT,
    cluster_names,
    register,
    secret_values,
    stored_secret,
    unique,
)
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

# An image every project of the local cloud sees, standing in for the node image.
IMAGE = {"name_template": "Ubuntu 24.04"}
CAPI_TIMEOUT = 120.0


@pytest.fixture(autouse=True)
def node_keypair(project: Project) -> None:
    """The environment's keypair `t-keypair`, as `kaas mgmt create` imports it."""
    key = Ed25519PrivateKey.generate().public_key()
    public = key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    import_keypair(project.user, "t-keypair", public)


@pytest.fixture
def cluster(project: Project, kube: KubeClient) -> Iterator[str]:
    """The cluster's name, and its namespace's: this test's own (CAPO names the cloud
    resources after both). Deleted through CAPI afterwards (unpaused first), then its namespace."""
    name = unique("mk")
    yield name
    with contextlib.suppress(ApiException):  # none was made
        pause(kube, name, paused=False)
    cluster_delete.run(project.user, kube, ClusterTarget("t", name, name), DELETE_TIMEOUT)
    with contextlib.suppress(ApiException):  # none was made
        kube.resource("v1", "Namespace").delete(name=name)


@pytest.fixture
def workload_config(workload_apiserver: ManagementCluster) -> dict[str, Any]:
    """The admin kubeconfig of the session's plain API server, the workload cluster."""
    loaded: dict[str, Any] = yaml.safe_load(workload_apiserver.kubeconfig.read_text())
    return loaded


def _settings(cluster: str, **more: Any) -> Settings:
    """In namespace `cluster` (set, not the default `t-<cluster>`: CAPO's names, the Secrets and
    the waits here are all in one namespace named after the cluster)."""
    return Settings(cloud="localcloud", prefix="t", image=IMAGE, namespace=cluster, **more)


def context(cluster: str) -> str:
    return f"{cluster}-admin@{cluster}"


def pause(kube: KubeClient, cluster: str, paused: bool) -> None:
    kube.resource(CLUSTER_API, "Cluster").patch(
        name=cluster,
        namespace=cluster,
        body={"spec": {"paused": paused}},
        content_type="application/merge-patch+json",
    )


def _condition(type_: str, status: str, reason: str) -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": "",
        "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _play_capi(kubeconfig: Path, cluster: str, workload: Mapping[str, Any]) -> None:
    with KubeClient.from_file(kubeconfig) as client:
        found = wait_for(
            client, CLUSTER_API, "Cluster", cluster, cluster, lambda o: o is not None, 60
        )
        assert found is not None
        pause(client, cluster, paused=True)
        # CAPI has seen the pause: it writes the Cluster's status no more
        paused = wait_for(
            client, CLUSTER_API, "Cluster", cluster, cluster, condition_is("Paused"), CAPI_TIMEOUT
        )
        assert paused is not None
        register(client, cluster, cluster, workload)
        played = {"InfrastructureReady": "Ready", "Available": "Available"}
        kept = [
            c
            for c in (paused.get("status") or {}).get("conditions") or []
            if c["type"] not in played
        ]
        written = [_condition(type_, "True", reason) for type_, reason in played.items()]
        client.resource(CLUSTER_API, "Cluster").status.patch(
            body={"status": {"conditions": kept + written}},
            name=cluster,
            namespace=cluster,
            content_type="application/merge-patch+json",
        )


@contextlib.contextmanager
def capi(kubeconfig: Path, cluster: str, workload: Mapping[str, Any]) -> Iterator[Future[None]]:
    """CAPI as it would be with nodes, from the moment the apply made the Cluster (above)."""
    with ThreadPoolExecutor(1) as pool:
        played = pool.submit(_play_capi, kubeconfig, cluster, workload)
        yield played
        played.result(timeout=CAPI_TIMEOUT)


def _clouds_entry(kube: KubeClient, cluster: str) -> dict[str, Any]:
    clouds_yaml = secret_values(kube, cluster, f"{cluster}-cloud-config")["clouds.yaml"]
    (entry,) = yaml.safe_load(clouds_yaml)["clouds"].values()
    return dict(entry)


def _identity_login(kube: KubeClient, cluster: str) -> str:
    """The credential in the identity Secret logs in to the local cloud; its id."""
    entry = _clouds_entry(kube, cluster)
    conn = connect(entry)
    try:
        conn.authorize()
    finally:
        conn.close()
    return str(entry["auth"]["application_credential_id"])


def _held_secret(kube: KubeClient, cluster: str) -> str:
    return str(_clouds_entry(kube, cluster)["auth"]["application_credential_secret"])


def _nothing_written(kube: KubeClient, cluster: str) -> bool:
    """Not even the namespace (the first object a create applies) is there."""
    listed = kube.resource("v1", "Namespace").get(field_selector=f"metadata.name={cluster}")
    return not listed.to_dict()["items"]


def test_create_applies_waits_merges_and_a_rerun_changes_nothing(
    project: Project,
    kube: KubeClient,
    kubeconfig_file: Path,
    cluster: str,
    workload_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    conn = project.user
    out = tmp_path / "kube" / "config"
    options = CreateOptions(timeout=CAPI_TIMEOUT, kubeconfig_out=out)
    events: list[StepEvent] = []
    with capi(kubeconfig_file, cluster, workload_config):
        started = time.monotonic()
        first = cluster_create.run(
            conn, kube, _settings(cluster), cluster, options=options, progress=events.append
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
    target = ClusterTarget("t", cluster, cluster)
    assert len(labelled_objects(kube, target)) == len(first.created) - 2
    assert credentials(conn, "t", cluster) == [first.credential_id]
    assert _identity_login(kube, cluster) == first.credential_id
    assert cluster_names(kube, cluster) == {cluster}
    steps = [e.step for e in events if e.phase != "start"]
    assert steps == ["cloud", "app-credential", "apply", "prune", "cluster", "kubeconfig"]
    # the kubeconfig: 0600, the workload cluster's context, the workload cluster reachable
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert (first.context, first.kubeconfig) == (context(cluster), str(out))
    merged = yaml.safe_load(out.read_text())
    assert merged["current-context"] == context(cluster)
    with KubeClient.from_file(out, context(cluster)) as workload:
        assert workload.resource("v1", "Namespace").get(name="default") is not None

    started = time.monotonic()
    again = cluster_create.run(conn, kube, _settings(cluster), cluster, options=options)
    print(f"cluster create re-run: {time.monotonic() - started:.2f} s")
    assert again.credential == "reused" and again.credential_id == first.credential_id
    assert (again.created, again.changed, again.pruned) == ((), (), ())
    assert again.unchanged == len(first.created)
    assert credentials(conn, "t", cluster) == [first.credential_id]

    # an add-on switched off is pruned, nothing else is touched
    fewer = _settings(cluster, addons={"traefik": False})
    planned = cluster_create.plan(conn, kube, fewer, cluster)
    pruned = cluster_create.run(conn, kube, fewer, cluster, options=options)
    assert pruned.pruned and all("traefik" in ref for ref in pruned.pruned)
    assert planned.prune == pruned.pruned and planned.credential == f"reuse {first.credential_id}"
    assert pruned.created == () and pruned.credential == "reused"
    assert len(labelled_objects(kube, target)) == len(first.created) - 2 - len(pruned.pruned)


def test_dry_run_writes_nothing_and_tells_what_would_happen(
    project: Project, kube: KubeClient, cluster: str
) -> None:
    conn = project.user
    plan = cluster_create.plan(conn, kube, _settings(cluster), cluster)
    assert plan.credential == "create" and len(plan.create) >= 10
    assert (plan.change, plan.unchanged, plan.prune) == ((), 0, ())
    assert credentials(conn, "t", cluster) == [] and _nothing_written(kube, cluster)

    made = cluster_create.run(
        conn, kube, _settings(cluster), cluster, options=CreateOptions(wait=False)
    )
    # what the controllers and webhooks added or changed is theirs: the render is still there
    after = cluster_create.plan(conn, kube, _settings(cluster), cluster)
    assert after.credential == f"reuse {made.credential_id}"
    assert (after.create, after.change) == ((), ()) and after.unchanged == len(plan.create)
    changed = cluster_create.plan(
        conn, kube, _settings(cluster, network={"dns_nameservers": ["192.0.2.53"]}), cluster
    )
    assert changed.change and changed.create == ()
    # field by field, as the server would store it
    fields = {c.path: c.new for d in changed.diffs for c in d.fields}
    assert fields == {"spec.managedSubnets[0].dnsNameservers": ["192.0.2.53"]}, fields
    assert credentials(conn, "t", cluster) == [made.credential_id]


def test_no_wait_then_a_timeout_names_the_last_condition(
    project: Project, kube: KubeClient, cluster: str, tmp_path: Path
) -> None:
    conn = project.user
    out = tmp_path / "config"
    # a restricted API: the management host's address is let in as well
    restricted = _settings(cluster, api_server={"allowed_cidrs": ["198.51.100.0/24"]})
    host = ("203.0.113.7/32",)
    options = CreateOptions(wait=False, kubeconfig_out=out, api_access_cidrs=host)
    made = cluster_create.run(conn, kube, restricted, cluster, options=options)
    assert made.available is None and made.kubeconfig is None and not out.exists()
    infra = kube.resource_of_group(f"{INFRA_GROUP}/v1beta2", "OpenStackCluster")
    stored = infra.get(name=cluster, namespace=cluster).to_dict()
    assert {"198.51.100.0/24", host[0]} <= set(_allowed_cidrs(stored["spec"]))

    # the real CAPI says why the Cluster is not Available (no node joins)
    def not_available(obj: Any) -> bool:
        conditions = (obj or {}).get("status", {}).get("conditions") or []
        return any(c["type"] == "Available" and c["status"] == "False" for c in conditions)

    found = wait_for(kube, CLUSTER_API, "Cluster", cluster, cluster, not_available, CAPI_TIMEOUT)
    assert found is not None
    (reason,) = [c["reason"] for c in found["status"]["conditions"] if c["type"] == "Available"]
    options = CreateOptions(timeout=1, kubeconfig_out=out, api_access_cidrs=host)
    started = time.monotonic()
    with pytest.raises(ClusterError, match=f"Available=False reason {re.escape(reason)}"):
        cluster_create.run(conn, kube, restricted, cluster, options=options)
    assert time.monotonic() - started < 60  # its own 1 s wait, not CAPI_TIMEOUT
    assert not out.exists()
    assert credentials(conn, "t", cluster) == [made.credential_id]


def _allowed_cidrs(spec: Mapping[str, Any]) -> list[str]:
    """The API load balancer's allowed CIDRs, in v1beta1 (CAPO v0.14) or v1beta2."""
    if "apiServerLoadBalancer" in spec:
        return list(spec["apiServerLoadBalancer"].get("allowedCIDRs") or [])
    return list(spec["apiServer"]["managedLoadBalancer"]["allowedCIDRs"])


def test_a_missing_node_image_names_image_ensure_and_writes_nothing(
    project: Project, kube: KubeClient, cluster: str
) -> None:
    settings = Settings(cloud="localcloud", prefix="t", namespace=cluster)
    with pytest.raises(CloudError, match=r"ubuntu-capi-image-v1.*`kaas image ensure`"):
        cluster_create.run(project.user, kube, settings, cluster)
    bad_flavor = _settings(cluster, control_plane={"flavor": "nope"})
    with pytest.raises(CloudError, match=r"control_plane\.flavor 'nope'"):
        cluster_create.plan(project.user, kube, bad_flavor, cluster)
    no_key = _settings(cluster, ssh_key_name="nope")
    with pytest.raises(CloudError, match="keypair 'nope' does not exist: `kaas mgmt create`"):
        cluster_create.run(project.user, kube, no_key, cluster)
    assert credentials(project.user, "t", cluster) == [] and _nothing_written(kube, cluster)


def test_a_credential_without_a_usable_secret_is_replaced_not_added(
    project: Project, kube: KubeClient, cluster: str, caplog: pytest.LogCaptureFixture
) -> None:
    debug_log_as_the_cli_writes_it(caplog)
    conn = project.user
    options = CreateOptions(wait=False)
    first = cluster_create.run(conn, kube, _settings(cluster), cluster, options=options)
    first_secret = _held_secret(kube, cluster)
    kube.resource("v1", "Secret").delete(name=f"{cluster}-cloud-config", namespace=cluster)
    second = cluster_create.run(conn, kube, _settings(cluster), cluster, options=options)
    assert second.credential == "replaced" and second.credential_id != first.credential_id
    assert credentials(conn, "t", cluster) == [second.credential_id]
    assert _identity_login(kube, cluster) == second.credential_id
    for secret in (first_secret, _held_secret(kube, cluster)):
        assert secret not in caplog.text


def test_a_credential_that_fails_to_log_in_stops_the_create_unchanged(
    project: Project, kube: KubeClient, cluster: str
) -> None:
    conn = project.user
    made = cluster_create.run(
        conn, kube, _settings(cluster), cluster, options=CreateOptions(wait=False)
    )
    held = _held_secret(kube, cluster)
    original = stored_secret(kube, cluster, f"{cluster}-cloud-config")["data"]["clouds.yaml"]
    text = secret_values(kube, cluster, f"{cluster}-cloud-config")["clouds.yaml"]
    broken = text.replace(held, "not-the-secret")

    def write(body: dict[str, Any]) -> None:
        kube.resource("v1", "Secret").patch(
            name=f"{cluster}-cloud-config",
            namespace=cluster,
            body=body,
            content_type="application/merge-patch+json",
        )

    write({"stringData": {"clouds.yaml": broken}})
    try:
        expected = rf"nothing was changed.*rotate-credentials {cluster}"
        with pytest.raises(CloudError, match=expected) as failed:
            cluster_create.run(
                conn, kube, _settings(cluster), cluster, options=CreateOptions(wait=False)
            )
        assert made.credential_id in str(failed.value) and held not in str(failed.value)
        with pytest.raises(CloudError, match="rotate-credentials"):
            cluster_create.plan(conn, kube, _settings(cluster), cluster)
        assert credentials(conn, "t", cluster) == [made.credential_id]
        after = secret_values(kube, cluster, f"{cluster}-cloud-config")["clouds.yaml"]
        assert after == broken
    finally:
        # CAPO needs the credential to delete what it made
        write({"data": {"clouds.yaml": original}})


def test_a_cluster_being_deleted_is_not_created_again(
    project: Project, kube: KubeClient, cluster: str
) -> None:
    """CAPI's own finalizer holds the Cluster being deleted; paused, CAPI does not let it go
    before the create has been refused (the fixture unpauses it and sees the deletion through)."""
    conn = project.user
    made = cluster_create.run(
        conn, kube, _settings(cluster), cluster, options=CreateOptions(wait=False)
    )

    def held_by_capi(obj: Any) -> bool:
        return "cluster.cluster.x-k8s.io" in ((obj or {}).get("metadata") or {}).get(
            "finalizers", []
        )

    wait_for(kube, CLUSTER_API, "Cluster", cluster, cluster, held_by_capi, CAPI_TIMEOUT)
    pause(kube, cluster, paused=True)
    kube.resource(CLUSTER_API, "Cluster").delete(name=cluster, namespace=cluster)
    expected = f"being deleted; run `kaas cluster delete {cluster}`"
    with pytest.raises(ClusterError, match=re.escape(expected)):
        cluster_create.run(
            conn, kube, _settings(cluster), cluster, options=CreateOptions(wait=False)
        )
    assert credentials(conn, "t", cluster) == [made.credential_id]
    assert cluster_names(kube, cluster) == {cluster}  # still held, not made again


def test_cli_create_through_the_console_script(
    localcloud: LocalCloud,
    project: Project,
    kube: KubeClient,
    kubeconfig_file: Path,
    cluster: str,
    workload_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    env, secret = cli_environment(localcloud, project, tmp_path, "mkcloud")
    env["HOME"] = str(tmp_path / "home")
    argv = ["cluster", "create", cluster, "-e", str(tmp_path), "--set", "prefix=t"]
    argv += ["--set", "cloud=mkcloud", "--set", "image.name_template=Ubuntu 24.04"]
    argv += ["--set", f"namespace={cluster}", "--kubeconfig", str(kubeconfig_file)]

    bad = kaas(*argv[:2], "Bad_Name", *argv[3:], env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

    dry = kaas(*argv, "--dry-run", "-o", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["credential"] == "create" and _nothing_written(kube, cluster)
    assert credentials(project.user, "t", cluster) == []

    with capi(kubeconfig_file, cluster, workload_config):
        started = time.monotonic()
        done = kaas(*argv, "--timeout", str(CAPI_TIMEOUT), "-o", "json", env=env)
    print(f"kaas cluster create (console script): {time.monotonic() - started:.2f} s")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["available"] and shown["context"] == context(cluster)
    default = tmp_path / "home" / ".kube" / "config"
    assert shown["kubeconfig"] == str(default)
    assert stat.S_IMODE(default.stat().st_mode) == 0o600
    assert "kubeconfig" in done.stderr  # progress on stderr
    conn: Connection = project.user
    assert credentials(conn, "t", cluster) == [shown["credential_id"]]

    again = kaas(*argv, "--timeout", "10", env=env)
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stdout
    print(again.stdout)  # the table, shown with -s
    assert credentials(conn, "t", cluster) == [shown["credential_id"]]

    held = _held_secret(kube, cluster)
    # the workload kubeconfig's credential: its client key
    (user,) = workload_config["users"]
    key = str(user["user"]["client-key-data"])
    for result in (bad, dry, done, again):
        for leaked in (secret, held):
            assert leaked not in result.stdout + result.stderr
    assert key not in done.stdout + done.stderr
