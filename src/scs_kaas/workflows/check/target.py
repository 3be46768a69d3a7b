"""The workload cluster a check runs in: found through the management cluster only, as `kaas
cluster create` left it (the labelled Cluster, and the Secret `<cluster>-kubeconfig` Cluster
API writes), its admin kubeconfig held in memory. Any cluster name, any prefix, and no file of
the user's (no merged ~/.kube/config context) is read."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.kubeconfig import read_admin_kubeconfig, secret_name
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.names import resolve_cluster_names
from scs_kaas.workflows.cluster.target import ClusterTarget, owned_cluster

CONNECT_TIMEOUT = (10.0, 30.0)


@dataclass(frozen=True)
class WorkloadAccess:
    target: ClusterTarget
    kubeconfig: SecretStr

    @property
    def origin(self) -> str:
        secret = f"{self.target.namespace}/{secret_name(self.target.name)}"
        return f"the admin kubeconfig of {self.target.name} (Secret {secret})"

    def connect(self) -> KubeClient:
        return KubeClient.from_text(
            self.kubeconfig.get_secret_value(), timeout=CONNECT_TIMEOUT, origin=self.origin
        )


def workload_access(management: KubeClient, settings: Settings, cluster: str) -> WorkloadAccess:
    """Read only: the cluster (this prefix's, where it lives) and its admin kubeconfig."""
    settings = resolve_cluster_names(management, settings, cluster).settings
    target = ClusterTarget(settings.prefix, settings.namespace_for(cluster), cluster)
    if owned_cluster(management, target) is None:
        raise ClusterError(f"there is no Cluster {target} (of prefix {settings.prefix!r})")
    return WorkloadAccess(target, read_admin_kubeconfig(management, target.namespace, cluster))
