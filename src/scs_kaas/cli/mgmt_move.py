"""`kaas mgmt move --to CLUSTER`: management onto a workload cluster, from here or on the host."""

from __future__ import annotations

import subprocess
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scs_kaas.cli.mgmt import (
    DRY_RUN,
    OUTPUT,
    TRUST_ON_FIRST_USE,
    _context,
    _locked,
    _verified_target,
)
from scs_kaas.cli.options import ENV_DIR, LOCK_TIMEOUT, SETTINGS_FLAGS, STATE_DIR
from scs_kaas.cli.output import OutputFormat, console, emit
from scs_kaas.cli.progress import RichProgress
from scs_kaas.errors import KaasError
from scs_kaas.workflows import defaults

if TYPE_CHECKING:  # the workflows and clients are imported by the command
    from scs_kaas.settings.loader import LoadedSettings
    from scs_kaas.workflows.mgmt import move as mgmt_move
    from scs_kaas.workflows.mgmt.state import StatePaths


def move_command(
    to: str = typer.Option(..., "--to", help="The workload cluster that becomes the manager."),
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    state_dir: Path | None = STATE_DIR,
    kubeconfig: Path | None = typer.Option(
        None,
        "--kubeconfig",
        help="The current management cluster, moved from here (clusterctl on PATH); default: "
        "management.kubeconfig, else run the move on the management host.",
    ),
    context: str | None = typer.Option(None, "--context", help="Context in that kubeconfig."),
    orc_manifest: str = typer.Option(
        defaults.ORC_MANIFEST_URL, "--orc-manifest", help="ORC's install.yaml: URL or file."
    ),
    dry_run: bool = DRY_RUN,
    output: OutputFormat = OUTPUT,
    trust_on_first_use: bool = TRUST_ON_FIRST_USE,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Move management onto workload cluster TO (`clusterctl init` + `clusterctl move`)."""
    from scs_kaas.kube.client import KubeClient
    from scs_kaas.kube.clusterctl import Clusterctl, source_kubeconfig
    from scs_kaas.workflows.mgmt import move as mgmt_move
    from scs_kaas.workflows.mgmt import move_host as mgmt_move_host
    from scs_kaas.workflows.mgmt.state import load_state

    loaded, paths = _context(env_dir, assignments, state_dir)
    settings = loaded.settings
    to = mgmt_move.check_cluster_name(to)
    lock = nullcontext() if dry_run else _locked(paths, "kaas mgmt move", lock_timeout)
    with lock:
        state = load_state(paths, settings.cloud)
        if kubeconfig is None and state.moved_to and paths.moved_kubeconfig.exists():
            if state.moved_to == to:
                _moved_summary(paths, state.moved_to, "already moved", output)
                return
            kubeconfig = paths.moved_kubeconfig  # moving on, from the cluster moved to before
        if kubeconfig is None and settings.management.kubeconfig:
            kubeconfig = Path(settings.management.kubeconfig)
        if kubeconfig is None:
            _move_on_host(loaded, paths, to, orc_manifest, dry_run, output, trust_on_first_use)
            return
        with KubeClient.from_file(kubeconfig, context) as source:
            plan = mgmt_move.plan(source, settings.prefix, to)
            if dry_run:
                _print_move_plan(plan, output)
                return
            clusterctl = Clusterctl.find()
            clusterctl.check_version()
            manifests = mgmt_move.load_manifests(orc_manifest)
            with RichProgress() as progress:
                moved = mgmt_move.run(
                    source,
                    source_kubeconfig(kubeconfig, context),
                    plan,
                    clusterctl,
                    manifests,
                    progress,
                )
        mgmt_move_host.record_move(paths, settings.cloud, to, moved)
        _moved_summary(paths, to, "moved", output)


def _move_on_host(
    loaded: LoadedSettings,
    paths: StatePaths,
    to: str,
    orc: str,
    dry_run: bool,
    output: OutputFormat,
    trust_on_first_use: bool,
) -> None:
    from scs_kaas.workflows.mgmt import move_host as mgmt_move_host
    from scs_kaas.workflows.mgmt.state import load_state

    settings = loaded.settings
    if not load_state(paths, settings.cloud).floating_ip_address:
        raise KaasError(
            f"nothing to move from: no management host is recorded for prefix {settings.prefix!r} "
            f"in {paths.root} (`kaas mgmt create`), and neither --kubeconfig nor the setting "
            "management.kubeconfig names a management cluster"
        )
    target = _verified_target(loaded, paths, trust_on_first_use)
    console(stderr=True).print(f"running the move on the management host {target.address}")
    command = mgmt_move_host.remote_move_command(target, settings.prefix, to, orc, dry_run)
    # the host's kaas prints its progress (and a dry run's plan) to this terminal
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise KaasError(
            f"the move on {target.address} failed (exit {result.returncode}); see above. "
            "`kaas mgmt move` again continues where it stopped"
        )
    if dry_run:
        return
    moved = mgmt_move_host.fetch_moved_kubeconfig(target, settings.prefix)
    mgmt_move_host.record_move(paths, settings.cloud, to, moved)
    _moved_summary(paths, to, "moved", output)


def _print_move_plan(plan: mgmt_move.MovePlan, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        emit(asdict(plan) | {"dry_run": True}, output)
        return
    typer.echo(f"would move to {plan.target_namespace}/{plan.target} (prefix {plan.prefix}):")
    for namespace in plan.namespaces:
        typer.echo(f"  clusterctl move --namespace {namespace}")
    for cluster in plan.clusters:
        typer.echo(f"  cluster {cluster}")


def _moved_summary(paths: StatePaths, cluster: str, verb: str, output: OutputFormat) -> None:
    data = {"moved_to": cluster, "kubeconfig": str(paths.moved_kubeconfig), "status": verb}
    if output is OutputFormat.json:
        emit(data, output)
        return
    typer.echo(f"{verb}: management runs on cluster {cluster}")
    typer.echo(f"  kubeconfig (0600): {paths.moved_kubeconfig}")
    typer.echo("  kaas commands of this environment now use it; the management host can go")
    typer.echo("  (`kaas mgmt delete` leaves the moved clusters alone)")


def register(app: typer.Typer) -> None:
    app.command("move")(move_command)
