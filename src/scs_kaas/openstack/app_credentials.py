"""Application credentials: one per workload cluster, one for the management host.

Each is created with the user's own credentials, restricted (it cannot make further credentials
or trusts) unless asked otherwise, and named `naming.app_credential(prefix, cluster)` or
`naming.management_app_credential(prefix)`. Keystone has no tags here, so the description
(`naming.app_credential_description`) together with the name and the project is the ownership
proof; nothing else is ever deleted.

Keystone shows a secret once, in the answer to the create call, and never again. So:

- `ensure_app_credential` returns the credential the caller already holds (`known`, e.g. read
  back from the cluster's identity Secret) while Keystone still has it; creates the first one
  when the owner has none; and otherwise fails with a clear message, because an existing
  credential whose secret nobody holds is useless and deleting it might cut off a running
  cluster. `replace=True` makes the next generation instead and deletes the unknown ones.
- Names are unique per user, so a rotation cannot reuse the name: generation n > 1 is called
  `<name>-<n>` (`naming.app_credential_generation`). The newest generation is the one in force.
- `rotate_app_credential` makes the next generation, proves it logs in, hands it to the caller's
  `apply` (which puts it wherever it is used) and only then deletes the older generations. If
  the login or `apply` fails, the new credential is deleted and the old one stays in force;
  `apply` must therefore either finish or leave the old secret in place.

Secrets exist only in memory, in `AppCredentialSecret` (whose repr hides them); they are never
logged or put into an error message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openstack import exceptions
from openstack.connection import Connection
from openstack.identity.v3._proxy import Proxy as IdentityV3

from scs_kaas import naming
from scs_kaas.errors import CloudError
from scs_kaas.openstack.endpoint import connect_app_credential
from scs_kaas.render.credentials import AppCredentialSecret

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CredentialOwner:
    """Whom a credential is for: a workload cluster, or the management host (cluster None)."""

    prefix: str
    cluster: str | None = None

    @property
    def name(self) -> str:
        if self.cluster is None:
            return naming.management_app_credential(self.prefix)
        return naming.app_credential(self.prefix, self.cluster)

    @property
    def description(self) -> str:
        return naming.app_credential_description(self.prefix, self.cluster)

    def generation_of(self, name: str) -> int | None:
        """1 for `<name>`, n for `<name>-<n>` (n >= 2), None for any other name."""
        if name == self.name:
            return 1
        suffix = name.removeprefix(f"{self.name}-")
        if suffix != name and suffix.isdigit() and int(suffix) >= 2:
            generation = int(suffix)
            if naming.app_credential_generation(self.name, generation) == name:
                return generation
        return None


@dataclass(frozen=True)
class OwnedCredential:
    """An application credential proven to be the owner's (no secret: Keystone hides it)."""

    id: str
    name: str
    generation: int
    project_id: str


@dataclass(frozen=True)
class Rotation:
    credential: AppCredentialSecret
    deleted_ids: tuple[str, ...]


def _identity(conn: Connection) -> IdentityV3:
    proxy = conn.identity
    if not isinstance(proxy, IdentityV3):
        raise CloudError("application credentials need Keystone's Identity API v3")
    return proxy


def _user_id(conn: Connection) -> str:
    user_id = conn.current_user_id
    if not user_id:
        raise CloudError("the connection has no user; application credentials belong to a user")
    return str(user_id)


def owned_app_credentials(conn: Connection, owner: CredentialOwner) -> list[OwnedCredential]:
    """The owner's credentials in the connection's project, oldest generation first."""
    return owned_app_credentials_of(conn, [owner])[owner]


def owned_app_credentials_of(
    conn: Connection, owners: Sequence[CredentialOwner]
) -> dict[CredentialOwner, list[OwnedCredential]]:
    """Each owner's credentials in the connection's project, from one listing."""
    project_id = conn.current_project_id
    owned: dict[CredentialOwner, list[OwnedCredential]] = {owner: [] for owner in owners}
    for item in _identity(conn).application_credentials(user=_user_id(conn)):
        for owner in owners:
            generation = owner.generation_of(str(item.name))
            if (
                generation is not None
                and item.description == owner.description
                and item.project_id == project_id
            ):
                owned[owner].append(
                    OwnedCredential(str(item.id), str(item.name), generation, str(project_id))
                )
    return {owner: sorted(found, key=lambda c: c.generation) for owner, found in owned.items()}


def create_app_credential(
    conn: Connection, owner: CredentialOwner, generation: int = 1, unrestricted: bool = False
) -> AppCredentialSecret:
    """Create generation `generation` of the owner's credential; the secret is returned once."""
    name = naming.app_credential_generation(owner.name, generation)
    try:
        made = _identity(conn).create_application_credential(
            _user_id(conn), name, description=owner.description, unrestricted=unrestricted
        )
    except exceptions.ConflictException:
        raise CloudError(
            f"application credential {name!r} already exists for this user (names are unique "
            "per user, across projects); it is not the one this tool expected"
        ) from None
    except exceptions.ForbiddenException as error:
        raise CloudError(_refused(name, str(error.details or error))) from None
    except exceptions.SDKException as error:
        raise CloudError(f"creating application credential {name!r} failed: {error}") from None
    log.info("created application credential %s (%s)", name, made.id)
    return AppCredentialSecret(
        id=str(made.id), secret=str(made.secret), project_id=str(made.project_id)
    )


def _refused(name: str, reason: str) -> str:
    """Keystone's own reason (it holds no secret), with the fix for the common case."""
    message = f"Keystone refused to create application credential {name!r}: {reason}"
    if "'application_credential' is not allowed" in reason:
        message += (
            "; the cloud entry logs in with a restricted application credential, which cannot "
            "create others: use a password or an unrestricted application credential"
        )
    return message


def _delete(conn: Connection, credential_id: str) -> None:
    try:
        _identity(conn).delete_application_credential(_user_id(conn), credential_id)
    except exceptions.SDKException as error:
        raise CloudError(
            f"deleting application credential {credential_id} failed: {error}"
        ) from None
    log.info("deleted application credential %s", credential_id)


def _delete_old(conn: Connection, old: list[OwnedCredential]) -> list[str]:
    """Delete superseded credentials; return the IDs deleted.

    A failure is only logged: the new credential is already in force and the caller must get
    it. A leftover stays owned, so the next rotation or replacement deletes it.
    """
    deleted = []
    for credential in old:
        try:
            _delete(conn, credential.id)
        except CloudError as error:
            log.warning("the superseded credential %s is left: %s", credential.name, error)
        else:
            deleted.append(credential.id)
    return deleted


def ensure_app_credential(
    conn: Connection,
    owner: CredentialOwner,
    known: AppCredentialSecret | None = None,
    replace: bool = False,
    unrestricted: bool = False,
) -> AppCredentialSecret:
    """The owner's credential with its secret: the one held (`known`), or a new one.

    See the module docstring for why an existing credential without a known secret is an error
    unless `replace` is set.
    """
    owned = owned_app_credentials(conn, owner)
    if known is not None and any(c.id == known.id for c in owned):
        return known
    if not owned:
        return create_app_credential(conn, owner, unrestricted=unrestricted)
    if not replace:
        names = ", ".join(f"{c.name} ({c.id})" for c in owned)
        raise CloudError(
            f"application credential {names} exists, but its secret is not known here and "
            "Keystone never shows it again; give the secret in use, or replace the credential "
            "(anything still using the old one stops working)"
        )
    new = create_app_credential(conn, owner, owned[-1].generation + 1, unrestricted)
    _delete_old(conn, owned)
    return new


def delete_app_credentials(conn: Connection, owner: CredentialOwner) -> list[str]:
    """Delete every credential proven to be the owner's; return their IDs."""
    return delete_owned_credentials(conn, owned_app_credentials(conn, owner))


def delete_owned_credentials(conn: Connection, owned: Sequence[OwnedCredential]) -> list[str]:
    """Delete credentials found by `owned_app_credentials(_of)`; return their IDs."""
    for credential in owned:
        _delete(conn, credential.id)
    return [c.id for c in owned]


def rotate_app_credential(
    conn: Connection,
    owner: CredentialOwner,
    apply: Callable[[AppCredentialSecret], None],
    unrestricted: bool = False,
) -> Rotation:
    """Replace the owner's credential without a moment in which no valid one is in use.

    The new credential must log in before `apply` sees it, so consumers never get a broken
    one. On any failure before the old ones are deleted, the new one is deleted again and the
    error is raised; the old credential stays in force.
    """
    old = owned_app_credentials(conn, owner)
    generation = old[-1].generation + 1 if old else 1
    new = create_app_credential(conn, owner, generation, unrestricted)
    try:
        connect_app_credential(conn, new).close()
        apply(new)
    except Exception as error:
        try:
            _delete(conn, new.id)
        except CloudError as cleanup:
            log.warning("the failed rotation's new credential is left: %s", cleanup)
        raise CloudError(
            f"rotating {owner.name} failed: {error}; "
            "the old credential stays in force, the new one was deleted"
        ) from error
    deleted = _delete_old(conn, old)
    return Rotation(new, tuple(deleted))
