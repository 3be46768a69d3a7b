"""What every command on a workload cluster does first: load the settings the user gave, open
the management cluster, and, as the command needs them, pin the cluster's namespace, log in to
the cloud and hold the cluster's Lease. All of it is closed again when the command ends.

Only typer and rich here: the clients (kubernetes, openstack) are imported when a command runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from scs_kaas.cli.options import load_environment_settings, load_settings, state_dir_or_default
from scs_kaas.cli.output import console

if TYPE_CHECKING:
    from openstack.connection import Connection

    from scs_kaas.kube.client import KubeClient
    from scs_kaas.settings.loader import LoadedSettings
    from scs_kaas.settings.model import Settings
    from scs_kaas.workflows.cluster.target import ClusterTarget

KUBECONFIG = typer.Option(
    None,
    "--kubeconfig",
    help="Management cluster kubeconfig; default: the one `kaas mgmt move` stored, else "
    "management.kubeconfig, $KUBECONFIG or ~/.kube/config.",
    dir_okay=False,
)
CONTEXT = typer.Option(None, "--context", help="Context in the kubeconfig.")


@dataclass(frozen=True)
class ClusterFlags:
    """The flags the cluster commands share: which cluster (None: the environment's settings
    alone, as `kaas cluster list` reads them), its settings, which management cluster."""

    name: str | None
    env_dir: Path | None
    cluster_file: Path | None
    assignments: list[str]
    kubeconfig: Path | None
    context: str | None


@dataclass
class ManagementSession:
    """One command's settings and management cluster, and what it opened on the way (the
    cloud, the Lease): closed in reverse order when the session ends, the management cluster's
    client last."""

    flags: ClusterFlags
    loaded: LoadedSettings
    kube: KubeClient
    settings: Settings  # the namespace pinned once `resolve_names` found the cluster
    opened: ExitStack = field(default_factory=ExitStack)  # closed when the session ends

    @property
    def name(self) -> str:
        assert self.flags.name is not None, "a session of the environment names no cluster"
        return self.flags.name

    @property
    def target(self) -> ClusterTarget:
        """The cluster in the namespace its settings name (see `resolve_names`)."""
        from scs_kaas.workflows.cluster.target import ClusterTarget

        name, settings = self.name, self.settings
        return ClusterTarget(settings.prefix, settings.namespace_for(name), name)

    def resolve_names(self) -> Settings:
        """Read only: pin the namespace where the cluster is; a cluster made before names were
        unique per prefix keeps its own (`workflows.cluster_names`)."""
        from scs_kaas.workflows.cluster.names import resolve_cluster_names

        self.settings = resolve_cluster_names(self.kube, self.settings, self.name).settings
        return self.settings

    def manifest_files(self) -> dict[str, str]:
        """The custom add-on manifests the settings name, read."""
        from scs_kaas.workflows.render import read_manifest_files

        return read_manifest_files(self.loaded)

    def management_host_cidrs(self) -> tuple[str, ...]:
        """Where the management host calls the clusters' APIs from (`kaas mgmt` state)."""
        from scs_kaas.workflows.cluster.prepare import management_host_cidrs
        from scs_kaas.workflows.mgmt.state import StatePaths, load_state

        paths = StatePaths(state_dir_or_default(None), self.settings.prefix)
        return management_host_cidrs(load_state(paths, self.settings.cloud))

    def cloud(self) -> Connection:
        """Logged in to the settings' cloud until the session ends."""
        from scs_kaas.openstack.connection import connect

        return self.opened.enter_context(connect(self.settings.cloud))

    def lock(self, command: str, timeout: float, make_namespace: bool = False) -> None:
        """Hold the cluster's Lease for `kaas cluster <command>` until the session ends
        (`workflows.cluster_lock`); whom it waits for is said on stderr."""
        from scs_kaas.workflows.cluster.lock import cluster_lock

        err = console(stderr=True)

        def say(text: str) -> None:
            err.print(escape(text))

        lock = cluster_lock(self.kube, self.target, command, timeout, say, make_namespace)
        self.opened.enter_context(lock)


def _management_kubeconfig(option: Path | None, settings: Settings) -> Path:
    """See `workflows.mgmt_target`: flag, moved management, setting, $KUBECONFIG, default."""
    from scs_kaas.workflows.mgmt.state import StatePaths
    from scs_kaas.workflows.mgmt.target import management_kubeconfig

    paths = StatePaths(state_dir_or_default(None), settings.prefix)
    return management_kubeconfig(option, settings, paths, os.environ, Path.home()).path


@contextmanager
def management_session(flags: ClusterFlags) -> Iterator[ManagementSession]:
    """The settings (bad input exits 2 before any cluster or cloud is asked), then a client of
    the management cluster, open while the block runs."""
    from scs_kaas.kube.client import KubeClient

    if flags.name is None:
        loaded = load_environment_settings(flags.env_dir, flags.assignments)
    else:
        loaded = load_settings(flags.name, flags.env_dir, flags.cluster_file, flags.assignments)
    path = _management_kubeconfig(flags.kubeconfig, loaded.settings)
    with KubeClient.from_file(path, flags.context) as kube:
        session = ManagementSession(flags, loaded, kube, loaded.settings)
        with session.opened:
            yield session
