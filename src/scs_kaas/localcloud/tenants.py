"""Projects with a user and an application credential: what a cloud customer gets."""

from __future__ import annotations

from dataclasses import dataclass

from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.localcloud.catalog import ensure_role
from scs_kaas.localcloud.sdk import identity

# member: everything in the project; load-balancer_member: Octavia checks its own role
USER_ROLES = ("member", "load-balancer_member")


@dataclass(frozen=True)
class Tenant:
    project_id: str
    project_name: str
    user_id: str
    user_name: str


@dataclass(frozen=True)
class AppCredential:
    id: str
    secret: str

    def __repr__(self) -> str:  # keep the secret out of logs and test reports
        return f"AppCredential(id={self.id!r}, secret=<hidden>)"


def ensure_tenant(admin: Connection, project_name: str, user_name: str, password: str) -> Tenant:
    ident = identity(admin)
    project = ident.find_project(project_name, domain_id="default")
    if project is None:
        project = ident.create_project(
            name=project_name, domain_id="default", description="made by scs-kaas localcloud"
        )
    user = ident.find_user(user_name)
    if user is None:
        user = ident.create_user(
            name=user_name, password=password, default_project_id=project.id, domain_id="default"
        )
    # an existing user keeps its password: updating it would revoke tokens issued in the same
    # second (Keystone's revocation events have 1 s resolution), and it comes from the same
    # secrets file anyway
    for role in USER_ROLES:
        ident.assign_project_role_to_user(project, user, ensure_role(admin, role))
    return Tenant(str(project.id), project_name, str(user.id), user_name)


def replace_app_credential(user: Connection, name: str) -> AppCredential:
    """A new application credential called `name` for the connection's user (old one deleted)."""
    user_id = user.current_user_id
    if user_id is None:
        raise CloudError("the connection has no user; application credentials need one")
    for old in identity(user).application_credentials(user=user_id, name=name):
        identity(user).delete_application_credential(user_id, old)
    made = identity(user).create_application_credential(user_id, name=name, unrestricted=False)
    return AppCredential(str(made.id), str(made.secret))


def delete_tenant(admin: Connection, tenant: Tenant) -> None:
    """Delete the user and the project (resources left inside are the caller's business)."""
    identity(admin).delete_user(tenant.user_id, ignore_missing=True)
    identity(admin).delete_project(tenant.project_id, ignore_missing=True)
