"""Keystone: application credentials, roles, and one project not seeing another's resources."""

from __future__ import annotations

import secrets

from openstack.connection import Connection

from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import connect, identity
from scs_kaas.localcloud.tenants import delete_tenant, ensure_tenant
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD


def _token(conn: Connection) -> dict[str, object]:
    response = identity(conn).get("/auth/tokens", headers={"X-Subject-Token": conn.auth_token})
    token: dict[str, object] = response.json()["token"]
    return token


def test_app_credential_is_scoped_to_the_project_with_the_user_roles(project: Project) -> None:
    token = _token(project.app)
    assert token["methods"] == ["application_credential"]
    assert project.app.current_project_id == project.tenant.project_id
    assert project.app.current_user_id == project.tenant.user_id
    roles = token["roles"]
    assert isinstance(roles, list)
    assert {"member", "load-balancer_member"} <= {role["name"] for role in roles}
    credentials = list(identity(project.user).application_credentials(user=project.tenant.user_id))
    assert [c.id for c in credentials] == [project.credential.id]
    assert project.credential.secret not in repr(project.credential)


def test_user_password_login_sees_the_catalog(user: Connection) -> None:
    types = {entry["type"] for entry in user.service_catalog}
    assert {"identity", "image", "network", "compute", "block-storage", "load-balancer"} <= types


def test_projects_do_not_see_each_other(
    localcloud: LocalCloud, admin: Connection, project: Project
) -> None:
    net = project.app.network.create_network(name="private-to-a")
    suffix = secrets.token_hex(4)
    password = secrets.token_hex(16)
    other = ensure_tenant(admin, f"t-other-{suffix}", f"u-other-{suffix}", password)
    try:
        stranger = connect(localcloud.user_config(other.user_name, password, other.project_name))
        assert stranger.current_project_id == other.project_id
        assert net.id not in {n.id for n in stranger.network.networks()}
        assert stranger.network.find_network(net.id) is None
        assert net.id in {n.id for n in project.user.network.networks()}
    finally:
        delete_tenant(admin, other)
        project.app.network.delete_network(net)
