"""The local cloud for the `localcloud` tests: one per test session (worker), a fresh project
per test (`project`, its `user` and `app` connections; tests/support/projects.py).

The session fixture brings the cloud up once (installing the servers on first use) on free
ports and stops and wipes it at the end. Set KAAS_TEST_LOCALCLOUD=/path/to/statedir to reuse
a cloud that is already up (e.g. `kaas devcloud up`'s); it is left running.

Every fixture here is registered once, by `pytest_plugins` in tests/conftest.py: never import
one into a conftest or test module (pytest would register a second copy there).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openstack.connection import Connection

from scs_kaas.errors import KaasError
from scs_kaas.localcloud import LocalCloud, Ports, processes
from scs_kaas.localcloud.cloud import missing_debian_packages
from scs_kaas.localcloud.locking import exclusive
from scs_kaas.localcloud.ports import port_is_free
from scs_kaas.localcloud.resources import EXTERNAL_NETWORK
from scs_kaas.localcloud.sdk import connect
from scs_kaas.localcloud.tenants import delete_tenant, ensure_tenant, replace_app_credential
from tests.support.projects import Project
from tests.support.purge import purge_project

REUSE_ENV = "KAAS_TEST_LOCALCLOUD"
PORT_BASE_ENV = "KAAS_TEST_LOCALCLOUD_PORT_BASE"
REPO = Path(__file__).resolve().parents[2]
TEST_STATE = REPO / ".state" / "localcloud-test"
# away from the upstream defaults (5000, 9696, ...) that a devcloud or a DevStack may hold
FIRST_PORT_BASE = 21100
PORTS_PER_CLOUD = len(Ports().as_dict())
# a session's claim on its block of ports: a PID file of the session's process
CLAIMS = TEST_STATE / "claims"


def _claim_port_base() -> int:
    """A block of free ports no other session has claimed, claimed for this one.

    Called under the start lock. The claim, not the lock, keeps sessions off each other's
    ports while their clouds start, so sessions side by side (pytest-xdist workers) start at
    the same time instead of one after the other.
    """
    CLAIMS.mkdir(parents=True, exist_ok=True)
    for base in range(FIRST_PORT_BASE, 40000, 20):
        if processes.running(CLAIMS / str(base)) is not None:
            continue
        if all(port_is_free(port) for port in Ports.from_base(base).as_dict().values()):
            this_session = processes.record_of(os.getpid())
            assert this_session is not None  # this process is running
            processes.write_pid_file(CLAIMS / str(base), this_session)
            return base
    raise KaasError("no free block of ports for the local cloud between 21100 and 40000")


def _release(base: int) -> None:
    claim = CLAIMS / str(base)
    record = processes.read_pid_file(claim)
    if record is not None and record.pid == os.getpid():
        claim.unlink()


@pytest.fixture(scope="session")
def localcloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    reuse = os.environ.get(REUSE_ENV)
    if reuse:
        cloud = LocalCloud(Path(reuse))
        if not cloud.is_up():
            pytest.fail(f"{REUSE_ENV}={reuse}: no local cloud is up there", pytrace=False)
        yield cloud
        return
    missing = missing_debian_packages()
    if missing:
        # no skip: CI must not go green without having run these tests
        pytest.fail(
            "the localcloud tests need Debian packages: "
            f"apt-get install -y --no-install-recommends {' '.join(missing)}",
            pytrace=False,
        )
    state = TEST_STATE / f"session-{os.getpid()}"
    with exclusive(TEST_STATE / ".start.lock"):
        base = int(os.environ.get(PORT_BASE_ENV) or _claim_port_base())
    cloud = LocalCloud(
        state, Ports.from_base(base), venv=TEST_STATE / "venv", cloud_name="localcloud"
    )
    try:
        try:
            cloud.up()  # the shared venv has a lock of its own
        except KaasError as error:
            cloud.down(wipe=False)
            pytest.fail(f"the local cloud did not come up: {error}", pytrace=False)
        try:
            yield cloud
        finally:
            _stop(cloud, failed=request.session.testsfailed > 0)
    finally:
        _release(base)


def _stop(cloud: LocalCloud, failed: bool) -> None:
    """Stop the cloud; keep its logs and configs when a test failed, to find out why."""
    cloud.down(wipe=not failed)
    if failed:
        for bulky in (cloud.layout.mysql, cloud.layout.rabbit, cloud.layout.data):
            shutil.rmtree(bulky, ignore_errors=True)


@pytest.fixture(scope="session")
def admin(localcloud: LocalCloud) -> Connection:
    return localcloud.admin()


@pytest.fixture
def project(
    localcloud: LocalCloud, admin: Connection, request: pytest.FixtureRequest
) -> Iterator[Project]:
    suffix = secrets.token_hex(4)
    name = f"t-{request.node.name[:40]}-{suffix}"
    password = secrets.token_hex(16)
    tenant = ensure_tenant(admin, name, f"u-{suffix}", password)
    try:
        user = connect(localcloud.user_config(tenant.user_name, password, name))
        credential = replace_app_credential(user, f"ac-{suffix}")
        app = connect(localcloud.app_credential_config(credential.id, credential.secret))
        external = admin.network.find_network(EXTERNAL_NETWORK)
        assert external is not None, "the local cloud has no external network"
        yield Project(tenant, user, app, credential, str(external.id))
        purge_project(user)
    finally:
        delete_tenant(admin, tenant)


@pytest.fixture
def user(project: Project) -> Connection:
    """The project's user, authenticated with username and password."""
    return project.user


@pytest.fixture
def app(project: Project) -> Connection:
    """The same project through an application credential (what scs-kaas is given)."""
    return project.app


def pytest_configure(config: pytest.Config) -> None:
    # openstacksdk warns about its own internals on every call; it would drown the report
    config.addinivalue_line("filterwarnings", "ignore::openstack.warnings._RemovedInSDKWarning")
