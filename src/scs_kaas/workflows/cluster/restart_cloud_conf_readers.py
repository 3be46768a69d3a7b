"""After a credential rotation: restart what reads cloud.conf in the workload cluster.

OpenStack CCM and Cinder CSI read `kube-system/cloud-config` only when they start. The rotation
changes the carrier Secret in the management cluster; the ClusterResourceSet copies it into the
workload cluster on its own schedule. So: reach the workload cluster with its admin kubeconfig
(held in memory), watch its cloud-config Secret until it names the new credential, then restart
the charts' workloads as `kubectl rollout restart` does.

The workloads are selected by the labels kubernetes/cloud-provider-openstack's charts put on the
objects, with the release names our HelmChartProxies give (the add-on names), never by names:
- charts/openstack-cloud-controller-manager/templates/daemonset.yaml labels the DaemonSet with
  Bitnami's `common.labels.standard` (older charts: `occm.labels`); both say
  app.kubernetes.io/name=<chart name> and app.kubernetes.io/instance=<release>;
- charts/cinder-csi-plugin (chart name openstack-cinder-csi): controllerplugin-deployment.yaml and
  nodeplugin-daemonset.yaml label with `cinder-csi.{controllerplugin,nodeplugin}.labels`:
  app=<chart name>, release=<release>, component=controllerplugin|nodeplugin.
A chart `nameOverride` in the add-on overrides would change these; the restart then finds no
workload and says so.

This step never fails the rotation: whatever goes wrong is reported in a `RestartOutcome` with
the kubectl commands that do the same by hand. Secret content is never logged or shown.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.kubeconfig import read_admin_kubeconfig, secret_name
from scs_kaas.kube.rollout import Restarted, rollout_restart, wait_rolled_out
from scs_kaas.kube.wait import wait_for
from scs_kaas.render.addons import cinder_csi, cloud_config, openstack_ccm
from scs_kaas.render.addons.pins import ChartPin
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import defaults

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = defaults.RESTART_TIMEOUT


class RestartStatus(StrEnum):
    restarted = "restarted"  # and rolled out: every pod runs with the new cloud.conf
    rolling = "rolling"  # restarted, but the rollout did not finish in time; see warning
    skipped = "skipped"  # --no-restart
    not_restarted = "not-restarted"  # the workload cluster or the wait failed; see warning


@dataclass(frozen=True)
class Readers:
    """Workloads of one chart release that read cloud.conf."""

    namespace: str
    selector: str  # a label selector on the workload objects, as kubectl's -l
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class RestartOutcome:
    status: RestartStatus
    restarted: tuple[str, ...] = ()
    warning: str | None = None
    manual: tuple[str, ...] = ()  # kubectl commands doing the restart by hand


def cloud_conf_readers(settings: Settings) -> tuple[Readers, ...]:
    """OpenStack CCM's DaemonSet, Cinder CSI's controller Deployment and node DaemonSet.

    The chart names come from our pins, the release names and namespaces from the add-ons.
    """
    version = settings.kubernetes_version
    ccm_chart = _chart(openstack_ccm.ADDON.chart_pin(version))
    csi_chart = _chart(cinder_csi.ADDON.chart_pin(version))
    return (
        # The CCM chart labels its DaemonSet with the app.kubernetes.io set (its pods carry
        # app/release/component, which the object itself does not).
        Readers(
            openstack_ccm.ADDON.namespace,
            f"app.kubernetes.io/name={ccm_chart},app.kubernetes.io/instance={openstack_ccm.NAME}",
            ("DaemonSet",),
        ),
        Readers(
            cinder_csi.ADDON.namespace,
            f"app={csi_chart},release={cinder_csi.NAME},component in (controllerplugin,nodeplugin)",
            ("Deployment", "DaemonSet"),
        ),
    )


def manual_commands(settings: Settings, cluster: str) -> tuple[str, ...]:
    """Shell lines doing the restart by hand: the workload cluster's admin kubeconfig fetched
    from the management cluster into a 0600 file, then kubectl's rollout restart."""
    path = f"{cluster}.kubeconfig"
    fetch = (
        f"(umask 077; kubectl -n {settings.namespace_for(cluster)} get secret "
        f"{secret_name(cluster)} -o jsonpath='{{.data.value}}' | base64 -d > {path})"
    )
    restarts = [
        f"kubectl --kubeconfig {path} -n {readers.namespace} rollout restart "
        f"{kind.lower()} -l '{readers.selector}'"
        for readers in cloud_conf_readers(settings)
        for kind in readers.kinds
    ]
    return (fetch, *restarts)


def names_credential(cloud_conf: str, credential_id: str) -> bool:
    """Whether cloud.conf authenticates with `credential_id` (compared, never shown)."""
    return f'application-credential-id="{credential_id}"' in cloud_conf


def skipped(settings: Settings, cluster: str) -> RestartOutcome:
    return RestartOutcome(
        RestartStatus.skipped,
        warning="restart skipped (--no-restart): OpenStack CCM and Cinder CSI keep the old "
        "credential until they restart, and it is deleted now",
        manual=manual_commands(settings, cluster),
    )


def restart_cloud_conf_readers(
    management: KubeClient,
    settings: Settings,
    cluster: str,
    credential_id: str,
    timeout: float = DEFAULT_TIMEOUT,
) -> RestartOutcome:
    """Wait until the workload cluster's cloud.conf names `credential_id`, restart its readers
    and wait until their rollout is done (all within `timeout`), so that the old credential is
    deleted only when no pod uses it any more. Never raises: a failure is the outcome's
    warning."""
    restarted: list[Restarted] = []
    deadline = time.monotonic() + timeout
    try:
        with _workload_client(management, settings, cluster, timeout) as workload:
            _wait_for_cloud_conf(workload, cluster, credential_id, timeout)
            unmatched = []
            for readers in cloud_conf_readers(settings):
                found = rollout_restart(
                    workload, readers.namespace, readers.selector, readers.kinds
                )
                restarted += found
                if not found:
                    unmatched.append(f"{readers.namespace} -l '{readers.selector}'")
            if unmatched:
                raise ClusterError(f"no workload found in {'; '.join(unmatched)}")
            try:
                wait_rolled_out(workload, restarted, max(0.0, deadline - time.monotonic()))
            except ClusterError as error:
                return _rolling(settings, cluster, restarted, str(error))
    except Exception as error:  # the rotation is done: nothing here may undo it
        reason = str(error) if isinstance(error, ClusterError) else type(error).__name__
        warning = (
            f"OpenStack CCM and Cinder CSI of {cluster} were not restarted: {reason}. The "
            "credential rotation itself is complete; restart them once the workload cluster's "
            f"{cloud_config.SECRET_NAMESPACE}/{cloud_config.SECRET_NAME} holds the new credential"
        )
        return _warned(RestartStatus.not_restarted, settings, cluster, restarted, warning)
    return RestartOutcome(RestartStatus.restarted, tuple(map(str, restarted)))


def _rolling(
    settings: Settings, cluster: str, restarted: list[Restarted], reason: str
) -> RestartOutcome:
    warning = (
        f"OpenStack CCM and Cinder CSI of {cluster} were restarted, but {reason}: pods not yet "
        "replaced still use the old credential, which is deleted now, until they are. The "
        "credential rotation itself is complete"
    )
    return _warned(RestartStatus.rolling, settings, cluster, restarted, warning)


def _warned(
    status: RestartStatus,
    settings: Settings,
    cluster: str,
    restarted: list[Restarted],
    warning: str,
) -> RestartOutcome:
    """An outcome that warns (logged as well), with the commands to restart them by hand."""
    log.warning("%s", warning)
    manual = manual_commands(settings, cluster)
    return RestartOutcome(status, tuple(map(str, restarted)), warning, manual)


def _workload_client(
    management: KubeClient, settings: Settings, cluster: str, timeout: float
) -> KubeClient:
    namespace = settings.namespace_for(cluster)
    kubeconfig = read_admin_kubeconfig(management, namespace, cluster)
    return KubeClient.from_text(
        kubeconfig.get_secret_value(),
        # A black-holed API server must not hold the step longer than its own timeout.
        timeout=(min(10.0, timeout), 60.0),
        origin=f"the admin kubeconfig of {cluster} (Secret {namespace}/{secret_name(cluster)})",
    )


def _wait_for_cloud_conf(
    workload: KubeClient, cluster: str, credential_id: str, timeout: float
) -> None:
    def holds_new(obj: Mapping[str, Any] | None) -> bool:
        encoded = ((obj or {}).get("data") or {}).get(cloud_config.CLOUD_CONF_KEY)
        if not encoded:
            return False
        return names_credential(base64.b64decode(encoded).decode("utf-8", "replace"), credential_id)

    where = f"{cloud_config.SECRET_NAMESPACE}/{cloud_config.SECRET_NAME}"
    wait_for(
        workload,
        "v1",
        "Secret",
        cloud_config.SECRET_NAME,
        cloud_config.SECRET_NAMESPACE,
        holds_new,
        timeout,
        # wait_for's own message speaks of conditions, which a Secret has none of
        late=f"the ClusterResourceSet did not bring the new credential to Secret {where} of "
        f"{cluster} within {timeout:g}s",
    )


def _chart(pin: ChartPin | None) -> str:
    if pin is None:  # both add-ons are charts; a catalog change that breaks this must be loud
        raise ClusterError("the OpenStack CCM or Cinder CSI add-on has no chart")
    return pin.chart
