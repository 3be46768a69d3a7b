"""`kaas cluster rotate-credentials`: a new application credential for a running cluster.

Order (issue 5): new credential → Secrets in the management cluster updated → verified → old
credential deleted. `rotate_app_credential` owns the credential side; this module is its
`apply`: it renders the cluster with the new identity (so the two Secrets are exactly what
`render_cluster` makes, one source of truth), applies the identity Secret and the cloud-config
add-on carrier, and reads the identity Secret back. If any of that fails, the Secrets read
before the rotation are applied back, so the old credential, which stays in force, is also
the one in use. Secret values are never logged, printed or put into an error.

Once the Secrets hold the new credential, and before the old one is deleted, OpenStack CCM and
Cinder CSI in the workload cluster are restarted (`restart_cloud_conf_readers`), so they are
running with the new credential, or being replaced, when the old one stops working. That step
never undoes the rotation: its failure is a warning in the result.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.secrets import SecretData, read_secret
from scs_kaas.openstack.app_credentials import (
    CredentialOwner,
    owned_app_credentials,
    rotate_app_credential,
)
from scs_kaas.openstack.network import external_network_id
from scs_kaas.render.addons import cloud_config
from scs_kaas.render.addons.objects import ADDON_LABEL, RESOURCE_SET_SECRET_TYPE
from scs_kaas.render.cluster import NO_FILES, render_cluster
from scs_kaas.render.credentials import AppCredentialSecret
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.identity import cluster_identity
from scs_kaas.workflows.cluster.restart_cloud_conf_readers import (
    DEFAULT_TIMEOUT,
    RestartOutcome,
    names_credential,
    restart_cloud_conf_readers,
    skipped,
)
from scs_kaas.workflows.render import offline_documents

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RotationResult:
    cluster: str
    namespace: str
    credential_id: str
    deleted_ids: tuple[str, ...]
    secrets: tuple[str, ...]
    restart: RestartOutcome


@dataclass(frozen=True)
class RotationPlan:
    """What a dry run tells: the Secrets found and the credentials that would be replaced."""

    cluster: str
    namespace: str
    secrets: tuple[str, ...]
    credential_ids: tuple[str, ...]


def identity_secrets(documents: list[dict[str, Any]], cluster: str) -> list[dict[str, Any]]:
    """The identity Secret and the cloud-config carrier Secret, picked out of a render."""
    wanted = []
    for doc in documents:
        if doc.get("kind") != "Secret":
            continue
        metadata = doc.get("metadata") or {}
        carrier = (
            doc.get("type") == RESOURCE_SET_SECRET_TYPE
            and (metadata.get("labels") or {}).get(ADDON_LABEL) == cloud_config.NAME
        )
        if metadata.get("name") == naming.identity_secret(cluster) or carrier:
            wanted.append(doc)
    if len(wanted) != 2:
        raise ClusterError(f"the render of {cluster} lacks its identity or cloud-config Secret")
    return wanted


def carrier_cloud_conf(data: Mapping[str, str]) -> str:
    """cloud.conf inside the carrier's manifest of the workload `kube-system/cloud-config`."""
    for text in data.values():
        for doc in yaml.safe_load_all(text):
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                encoded = (doc.get("data") or {}).get(cloud_config.CLOUD_CONF_KEY, "")
                return base64.b64decode(encoded).decode("utf-8")
    raise ClusterError("the cloud-config carrier holds no cloud.conf")


def _credential_id(clouds_yaml: str) -> str | None:
    for entry in (yaml.safe_load(clouds_yaml) or {}).get("clouds", {}).values():
        return str((entry.get("auth") or {}).get("application_credential_id"))
    return None


def _as_found(rendered: dict[str, Any], found: SecretData) -> dict[str, Any]:
    """`rendered` with the data read from the cluster: what to apply back after a failure."""
    data = {key: base64.b64encode(found.raw(key)).decode("ascii") for key in found}
    return {**rendered, "data": data}


def _read_current(client: KubeClient, namespace: str, names: list[str]) -> list[SecretData]:
    # A missing Secret means the cluster was never created (or is gone): nothing to rotate.
    return [read_secret(client, namespace, name) for name in names]


def _render(
    conn: Connection,
    settings: Settings,
    cluster: str,
    credential: AppCredentialSecret,
    files: Mapping[str, str],
) -> list[dict[str, Any]]:
    # `known` makes cluster_identity build the documents of this credential (it is owned).
    identity = cluster_identity(conn, settings, cluster, known=credential).identity
    return identity_secrets(
        render_cluster(cluster, settings, _facts(conn, settings), identity, files), cluster
    )


def _facts(conn: Connection, settings: Settings) -> CloudFacts:
    # cloud.conf names the external network the cluster was created with; keep it.
    return CloudFacts(external_network_id=external_network_id(conn, settings.external_network))


def _names(documents: list[dict[str, Any]]) -> list[str]:
    return [str(doc["metadata"]["name"]) for doc in documents]


def plan(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str] = NO_FILES,
) -> RotationPlan:
    """Check the Secrets exist and list the credentials a rotation would replace; change nothing."""
    namespace = settings.namespace_for(cluster)
    names = _names(identity_secrets(offline_documents(settings, cluster, files), cluster))
    _read_current(kube, namespace, names)
    owned = owned_app_credentials(conn, CredentialOwner(settings.prefix, cluster))
    return RotationPlan(cluster, namespace, tuple(names), tuple(c.id for c in owned))


def run(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str] = NO_FILES,
    restart: bool = True,
    restart_timeout: float = DEFAULT_TIMEOUT,
) -> RotationResult:
    """Rotate the cluster's credential; on failure the old one stays in force and in use.

    With `restart`, the workload cluster's CCM and Cinder CSI are restarted once its cloud.conf
    names the new credential (waiting at most `restart_timeout` seconds for that).
    """
    namespace = settings.namespace_for(cluster)
    names = _names(identity_secrets(offline_documents(settings, cluster, files), cluster))
    # Read before any credential is made: an absent cluster fails here, having changed nothing.
    before = _read_current(kube, namespace, names)

    outcome = skipped(settings, cluster)

    def put_in_place(credential: AppCredentialSecret) -> None:
        nonlocal outcome
        new = _render(conn, settings, cluster, credential, files)
        old = [_as_found(doc, found) for doc, found in zip(new, before, strict=True)]
        try:
            apply(kube, new)
            _verify(kube, namespace, names, credential.id)
        except Exception:
            _restore(kube, old)
            raise
        if restart:  # never raises: the Secrets are in place, the rotation goes on
            outcome = restart_cloud_conf_readers(
                kube, settings, cluster, credential.id, restart_timeout
            )

    rotation = rotate_app_credential(conn, CredentialOwner(settings.prefix, cluster), put_in_place)
    return RotationResult(
        cluster, namespace, rotation.credential.id, rotation.deleted_ids, tuple(names), outcome
    )


def _verify(kube: KubeClient, namespace: str, names: list[str], credential_id: str) -> None:
    """Read both Secrets back: each must name the new credential (compared, never shown)."""
    identity, carrier = (read_secret(kube, namespace, name) for name in names)
    if _credential_id(identity["clouds.yaml"]) != credential_id:
        raise ClusterError(f"Secret {namespace}/{names[0]} does not hold the new credential")
    if not names_credential(carrier_cloud_conf(carrier), credential_id):
        raise ClusterError(f"Secret {namespace}/{names[1]} does not hold the new credential")


def _restore(kube: KubeClient, old: list[dict[str, Any]]) -> None:
    """Apply the Secrets as they were, so they name the old credential again.

    If the API server cannot be reached for this either, the Secrets may hold the new
    credential, which the rotation then deletes; the error says so and a re-run fixes it.
    """
    try:
        apply(kube, old)
    except ClusterError as error:
        log.error(
            "restoring the old Secrets failed (%s); run rotate-credentials again once the "
            "management cluster answers",
            error,
        )
    else:
        log.warning("the Secrets hold the old credential again")
