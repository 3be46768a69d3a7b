"""A workload cluster's OpenStack identity: its application credential and the documents.

The `app-credential` step of `kaas cluster create` (`workflows.cluster.create`): the restricted
credential of the cluster and, built from it in memory, CAPO's clouds.yaml, the CA bundle and
the cloud.conf of the cloud controller manager and Cinder CSI. Nothing here is written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from openstack.connection import Connection

from scs_kaas.openstack.app_credentials import CredentialOwner, ensure_app_credential
from scs_kaas.openstack.endpoint import ca_bundle, cloud_endpoint
from scs_kaas.render.credentials import AppCredentialSecret, cloud_conf, clouds_yaml
from scs_kaas.render.facts import ClusterIdentity
from scs_kaas.settings.model import Settings


@dataclass(frozen=True)
class ClusterCredentials:
    credential: AppCredentialSecret
    identity: ClusterIdentity

    def __repr__(self) -> str:  # never show credential material
        return f"ClusterCredentials(credential={self.credential!r}, identity=***)"


def cluster_identity(
    conn: Connection,
    settings: Settings,
    cluster: str,
    known: AppCredentialSecret | None = None,
    replace: bool = False,
) -> ClusterCredentials:
    """Ensure the cluster's credential (see `ensure_app_credential` for `known`/`replace`)."""
    credential = ensure_app_credential(
        conn, CredentialOwner(settings.prefix, cluster), known=known, replace=replace
    )
    endpoint = cloud_endpoint(conn)
    identity = ClusterIdentity(
        clouds_yaml=clouds_yaml(settings.cloud, endpoint, credential),
        cacert=ca_bundle(conn) or "",
        cloud_conf=cloud_conf(endpoint, credential),
    )
    return ClusterCredentials(credential, identity)
