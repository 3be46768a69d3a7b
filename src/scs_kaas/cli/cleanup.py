"""`kaas cluster sweep`, `kaas purge`, `kaas audit`: cleanup that needs no management cluster."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from scs_kaas.cli.options import (
    CLUSTER_FILE,
    ENV_DIR,
    SETTINGS_FLAGS,
    load_environment_settings,
    load_settings,
    state_dir_or_default,
)
from scs_kaas.cli.output import TABLE_YAML_JSON, OutputFormat, console, emit, show
from scs_kaas.cli.progress import RichProgress
from scs_kaas.errors import KaasError
from scs_kaas.workflows import defaults

if TYPE_CHECKING:  # the workflows and clients are imported by the commands that use them
    from scs_kaas.settings.model import Settings

KEEP_VOLUMES = typer.Option(
    False, "--keep-volumes", help="Leave the Cinder CSI volumes and snapshots (the data)."
)
DRY_RUN = typer.Option(False, "--dry-run", help="List what would be deleted; change nothing.")


def show_each(items: list[dict[str, Any]], output: OutputFormat, titles: list[str]) -> None:
    """`show` for one item as it is; for several, one table each, or one JSON / YAML list."""
    if len(items) == 1 or output is OutputFormat.table:
        for fields, title in zip(items, titles, strict=True):
            show(fields, output, title)
        return
    emit(items, output)


def sweep(
    names: list[str] = typer.Argument(
        ..., metavar="NAME", help="Cluster name(s); several go in one sweep."
    ),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    keep_volumes: bool = KEEP_VOLUMES,
    dry_run: bool = DRY_RUN,
    timeout: float = typer.Option(
        defaults.CLUSTER_SWEEP_TIMEOUT, "--timeout", min=1, help="Seconds to wait, in all."
    ),
    output: OutputFormat = TABLE_YAML_JSON,
) -> None:
    """Delete what the clusters left in the cloud, their application credentials last.

    Everything is found by proof of ownership (tags; OCCM's and CSI's names for this cluster),
    without the management cluster. What only looks like the cluster's is listed, never
    deleted. Meant for a cluster whose Cluster object is gone: a live one is broken by it.
    Several clusters are swept together: the project is listed once for all of them.
    """
    from scs_kaas.openstack.connection import connect
    from scs_kaas.workflows.cluster import sweep as cluster_sweep

    if cluster_file is not None and len(names) > 1:
        raise typer.BadParameter("--cluster-file goes with one cluster name", param_hint="NAMES")
    loaded = [load_settings(name, env_dir, cluster_file, assignments).settings for name in names]
    settings = loaded[0]
    if any((s.prefix, s.cloud) != (settings.prefix, settings.cloud) for s in loaded):
        raise typer.BadParameter("the clusters' settings name different prefixes or clouds")
    owners = [cluster_sweep.cluster_owner(s, n) for s, n in zip(loaded, names, strict=True)]
    with connect(settings.cloud) as conn:
        if dry_run:
            plans = [cluster_sweep.plan(conn, owner, keep_volumes) for owner in owners]
            titles = [f"Would delete ({p.cluster}: {p.count}, dry run)" for p in plans]
            show_each([dataclasses.asdict(p) for p in plans], output, titles)
            return
        with RichProgress() as progress:
            results = cluster_sweep.run(conn, owners, keep_volumes, timeout, progress=progress)
    for result in results:
        for suspect in result.suspects if output is OutputFormat.table else ():
            shown = escape(suspect)
            console(stderr=True).print(f"note: left (not provably {result.cluster}'s): {shown}")
    titles = [f"Swept {r.prefix}/{r.cluster}" for r in results]
    show_each([dataclasses.asdict(r) for r in results], output, titles)


def _live_clusters(settings: Settings, kubeconfig: Path | None) -> tuple[set[str], str]:
    """The prefix's Clusters in the management cluster; a note when it does not answer."""
    from scs_kaas.kube.client import KubeClient
    from scs_kaas.workflows.mgmt.delete import owned_clusters
    from scs_kaas.workflows.mgmt.state import StatePaths
    from scs_kaas.workflows.mgmt.target import management_kubeconfig

    paths = StatePaths(state_dir_or_default(None), settings.prefix)
    try:
        path = management_kubeconfig(kubeconfig, settings, paths, os.environ, Path.home()).path
        with KubeClient.from_file(path) as kube:
            return {t.name for t in owned_clusters(kube, settings.prefix)}, ""
    except KaasError as error:
        return set(), f"the management cluster does not answer ({error}): no cluster is live"


def audit(
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = typer.Option(
        None, "--kubeconfig", help="The management cluster's kubeconfig (see cluster delete)."
    ),
    output: OutputFormat = TABLE_YAML_JSON,
) -> None:
    """List what of this prefix is in the cloud without a live owner, and look-alikes.

    Orphans: resources proven to be a cluster's whose Cluster the management cluster does not
    have (or the management host's, when none is recorded), each with the command that deletes
    them. Suspects: named like ours without proof; listed, never deleted. Changes nothing.
    """
    from scs_kaas.openstack.connection import connect
    from scs_kaas.workflows import audit as audit_workflow
    from scs_kaas.workflows.mgmt.state import StatePaths, load_state

    settings = load_environment_settings(env_dir, assignments).settings
    live, note = _live_clusters(settings, kubeconfig)
    recorded = bool(
        load_state(
            StatePaths(state_dir_or_default(None), settings.prefix), settings.cloud
        ).resources
    )
    with connect(settings.cloud) as conn:
        report = audit_workflow.run(conn, settings.prefix, live, recorded)
    fields = dataclasses.asdict(report)
    if note:
        fields["notes"] = [note]
    show(fields, output, f"Audit of prefix {settings.prefix}")


def purge(
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    dry_run: bool = DRY_RUN,
    timeout: float = typer.Option(1800.0, "--timeout", min=1, help="Seconds to wait, in all."),
    output: OutputFormat = TABLE_YAML_JSON,
) -> None:
    """Delete everything of this environment's prefix in the project, after confirmation.

    Every cluster's leftovers, the management host's resources, the prefix's node images, the
    keypair (when the recorded key proves it ours) and all the prefix's application
    credentials; nothing without proof of ownership. Lists it all first.
    """
    from scs_kaas.openstack.connection import connect
    from scs_kaas.workflows import purge as purge_workflow
    from scs_kaas.workflows.mgmt.state import StatePaths, load_state

    settings = load_environment_settings(env_dir, assignments).settings
    state = load_state(StatePaths(state_dir_or_default(None), settings.prefix), settings.cloud)
    with connect(settings.cloud) as conn:
        plan = purge_workflow.plan(conn, settings.prefix, state.key_fingerprint)
        if dry_run or plan.empty:
            title = "Nothing to purge" if plan.empty else "Would delete (dry run)"
            show(dataclasses.asdict(plan), output, title)
            return
        # on stderr, with the question: stdout is the result's (-o json stays one document)
        listing = f"Purge of prefix {settings.prefix}"
        show(dataclasses.asdict(plan), OutputFormat.table, listing, to_stderr=True)
        if not yes:
            _confirm_or_exit()
        with RichProgress() as progress:
            done = purge_workflow.run(
                conn, settings.prefix, state.key_fingerprint, timeout, progress
            )
    show(dataclasses.asdict(done), output, f"Purged prefix {settings.prefix}")


def _confirm_or_exit() -> None:
    """Ask on the terminal; without one (a script, CI) refuse: only --yes deletes there, so
    that nothing piped into stdin can say yes by accident."""
    if not sys.stdin.isatty():
        console(stderr=True).print("kaas purge: no terminal to ask for confirmation; pass --yes")
        raise typer.Exit(1)
    if not typer.confirm("Delete all of this?", err=True):
        raise typer.Exit(1)
