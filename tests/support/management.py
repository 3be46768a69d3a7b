"""The real API servers of the tests, one of each per test session (worker): the management
cluster (etcd, kube-apiserver and the Cluster API controllers, `scs_kaas.localmgmt`), a plain
API server standing in for a workload cluster, another one whose pods run on fake nodes, and for
`kaas mgmt move` a second management cluster to move onto. Tests share them and keep apart by
namespace or unique names.

Every fixture here is registered once, by `pytest_plugins` in tests/conftest.py. Never import
one into a conftest or test module: pytest would register it again there, with a session cache
of its own, and start a second cluster in the same state folder.

Set KAAS_TEST_MANAGEMENT (KAAS_TEST_MOVE_TARGET) to the state folder of a running cluster to
reuse it (e.g. the devcloud's `<state>/management`); it is left running.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes.client.exceptions import ApiException

from scs_kaas.errors import KaasError
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud.locking import exclusive
from scs_kaas.localmgmt import ManagementCluster, MgmtPorts
from scs_kaas.localmgmt.commands import MANAGEMENT_CONTROLLERS
from tests.support.fake_nodes import WORKLOAD_CONTROLLERS, running_nodes

REUSE_ENV = "KAAS_TEST_MANAGEMENT"
MOVE_TARGET_REUSE_ENV = "KAAS_TEST_MOVE_TARGET"
CAPI = "cluster.x-k8s.io/v1beta2"
REPO = Path(__file__).resolve().parents[2]
TEST_STATE = REPO / ".state" / "localmgmt-test"
FIRST_PORT_BASE = 26000


def free_port_base(after: int = FIRST_PORT_BASE) -> int:
    for base in range(after, 60000, MgmtPorts.count() + 2):
        if not MgmtPorts(base).busy():
            return base
    raise KaasError(f"no free block of ports for a management cluster from {after}")


def start(
    name: str,
    providers: bool,
    request: pytest.FixtureRequest,
    reuse_env: str | None = None,
    controllers: tuple[str, ...] = MANAGEMENT_CONTROLLERS,
) -> Iterator[ManagementCluster]:
    """Start a cluster for the session, or reuse the running one `$reuse_env` names (left
    running)."""
    reuse = os.environ.get(reuse_env) if reuse_env else None
    if reuse:
        running = ManagementCluster(Path(reuse))
        if not running.is_up():
            pytest.fail(f"{reuse_env}={reuse}: no management cluster is up there", pytrace=False)
        yield running
        return
    state = TEST_STATE / f"session-{os.getpid()}-{name}"
    if ManagementCluster(state).running_processes():
        pytest.fail(
            f"the {name} cluster of this session started a second time: a fixture of"
            " tests/support/management.py was imported into a module, and pytest registers it"
            " there anew",
            pytrace=False,
        )
    with exclusive(TEST_STATE / ".start.lock"):
        ports = MgmtPorts(free_port_base())
        cluster = ManagementCluster(state, ports, providers=providers, controllers=controllers)
        try:
            cluster.up()
        except KaasError as error:
            cluster.down()
            # no skip: CI must not go green without these tests
            pytest.fail(f"the local {name} cluster did not come up: {error}", pytrace=False)
    try:
        yield cluster
    finally:
        # logs stay for a failed session, to find out why
        cluster.down(wipe=request.session.testsfailed == 0)


@pytest.fixture(scope="session")
def management(request: pytest.FixtureRequest) -> Iterator[ManagementCluster]:
    """etcd, kube-apiserver, kube-controller-manager and every provider's controller."""
    yield from start("management", True, request, REUSE_ENV)


@pytest.fixture(scope="session")
def workload_apiserver(request: pytest.FixtureRequest) -> Iterator[ManagementCluster]:
    """A plain API server (built-in kinds only), as a workload cluster."""
    yield from start("workload", False, request)


@pytest.fixture(scope="session")
def workload_with_nodes(request: pytest.FixtureRequest) -> Iterator[ManagementCluster]:
    """A plain API server as a workload cluster that runs pods: kube-controller-manager binds
    volumes and makes the pods of Deployments, kube-scheduler and kwok run them on fake nodes
    (tests/support/fake_nodes.py). Apart from `workload_apiserver`, whose tests play those
    controllers themselves or need pods that never start."""
    for cluster in start("workload-nodes", False, request, controllers=WORKLOAD_CONTROLLERS):
        try:
            with running_nodes(cluster):
                yield cluster
        except KaasError as error:
            pytest.fail(f"the fake nodes did not come up: {error}", pytrace=False)


@pytest.fixture(scope="session")
def move_target(request: pytest.FixtureRequest) -> Iterator[ManagementCluster]:
    """A second management cluster, with the providers, to move management onto."""
    yield from start("move-target", True, request, MOVE_TARGET_REUSE_ENV)


def _client(cluster: ManagementCluster) -> Iterator[KubeClient]:
    client = KubeClient.from_file(cluster.kubeconfig, timeout=(2.0, 10.0))
    yield client
    client.close()


@pytest.fixture
def kube(management: ManagementCluster) -> Iterator[KubeClient]:
    """The management cluster's admin client."""
    yield from _client(management)


@pytest.fixture
def workload_kube(workload_apiserver: ManagementCluster) -> Iterator[KubeClient]:
    """A client of the plain API server that plays a workload cluster."""
    yield from _client(workload_apiserver)


@pytest.fixture
def workload_with_nodes_kube(workload_with_nodes: ManagementCluster) -> Iterator[KubeClient]:
    """A client of the workload API server with nodes."""
    yield from _client(workload_with_nodes)


@pytest.fixture
def target(move_target: ManagementCluster) -> Iterator[KubeClient]:
    """A client of the management cluster to move onto."""
    yield from _client(move_target)


@pytest.fixture
def kubeconfig_file(management: ManagementCluster) -> Path:
    """The management cluster's admin kubeconfig (shared by the session: read it, never write)."""
    return management.kubeconfig


def release(kube: KubeClient, name: str) -> None:
    """Delete namespace `name`. Paused Clusters in it are unpaused first: CAPI's finalizer is on
    them, and only its (running) controller removes it; the namespace would stay Terminating."""
    clusters = kube.resource(CAPI, "Cluster")
    for item in clusters.get(namespace=name).to_dict()["items"]:
        if (item.get("spec") or {}).get("paused"):
            clusters.patch(
                name=item["metadata"]["name"],
                namespace=name,
                body={"spec": {"paused": False}},
                content_type="application/merge-patch+json",
            )
    with contextlib.suppress(ApiException):  # already gone
        kube.resource("v1", "Namespace").delete(name=name)


@pytest.fixture
def namespace(kube: KubeClient) -> Iterator[str]:
    """A namespace of this test's own, deleted afterwards (the real namespace controller runs)."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    kube.resource("v1", "Namespace").create(body={"metadata": {"name": name}})
    yield name
    release(kube, name)
