"""`kaas cluster scale`, `upgrade` and `gc`: day-2 changes of a running cluster."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from scs_kaas.cli.management_session import CONTEXT, KUBECONFIG, ClusterFlags, management_session
from scs_kaas.cli.options import CLUSTER_FILE, ENV_DIR, LOCK_TIMEOUT, SETTINGS_FLAGS
from scs_kaas.cli.output import TABLE_YAML_JSON, OutputFormat, console, emit
from scs_kaas.cli.progress import RichProgress
from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.workflows import defaults

# The workflows and clients are imported by the commands that use them (not by `kaas --help`).


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        console(stderr=True).print(f"note: {escape(note)}")


def scale_command(
    name: str = typer.Argument(..., help="Cluster name."),
    counts: list[str] = typer.Argument(..., help="GROUP=N, e.g. md-0=5 or control-plane=3."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Send the changes as server-side dry runs; store nothing."
    ),
    wait: bool = typer.Option(False, "--wait", help="Wait until each group has N machines."),
    timeout: float = typer.Option(
        defaults.CLUSTER_SCALE_TIMEOUT, "--timeout", min=1, help="Seconds per group."
    ),
    output: OutputFormat = TABLE_YAML_JSON,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Change the number of machines of node groups (or the control plane), nothing else.

    Only spec.replicas is applied. The next `kaas cluster create` applies the count in the
    settings again: write the new count into the cluster file too.
    """
    from scs_kaas.workflows.cluster import scale as cluster_scale
    from scs_kaas.workflows.cluster.scale import parse_counts

    wanted = parse_counts(counts)
    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        if not dry_run:
            session.lock("scale", lock_timeout)
        with RichProgress() as progress:
            result = cluster_scale.run(
                session.kube, session.target, wanted, dry_run, wait, timeout, progress
            )
    if output is not OutputFormat.table:
        emit(result, output)
        return
    verb = "would change" if dry_run else "changed"
    for change in result.changes:
        before = "auto" if change.before is None else change.before
        typer.echo(
            f"{change.group}: {before} -> {change.after} ({verb} {change.kind} {change.name})"
        )
    _notes(result.notes)


def upgrade_command(
    name: str = typer.Argument(..., help="Cluster name."),
    to: str = typer.Option(..., "--to", help="Kubernetes version, e.g. 1.34 or v1.34.1."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    parallel: bool = typer.Option(
        False, "--parallel", help="Roll all node groups at once, not one after another."
    ),
    timeout: float = typer.Option(
        defaults.CLUSTER_UPGRADE_TIMEOUT,
        "--timeout",
        min=1,
        help="Seconds for each step's rollout.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check and show what each step would change; write nothing."
    ),
    output: OutputFormat = TABLE_YAML_JSON,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Upgrade Kubernetes by one minor (or patch): control plane, then each node group, then
    the add-ons that follow the version (CCM, Cinder CSI), each waited for.

    Refuses a downgrade and a skipped minor (naming the path), a version the pinned Cluster
    API, CCM or CSI do not support, and a missing node image. Interrupted, a re-run resumes.
    Put the new version into the cluster file as well (kubernetes_version).
    """
    from scs_kaas.settings.fields import resolve_kubernetes_version
    from scs_kaas.workflows.cluster import upgrade as cluster_upgrade
    from scs_kaas.workflows.cluster.upgrade import UpgradeOptions

    try:
        version = resolve_kubernetes_version(to)
    except ValueError as error:
        raise SettingsError([SettingProblem("--to", str(error), to)]) from None
    assignments = [*assignments, f"kubernetes_version={version}"]
    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        files = session.manifest_files()
        options = UpgradeOptions(timeout, dry_run, parallel, session.management_host_cidrs())
        conn = session.cloud()
        if not dry_run:
            session.lock("upgrade", lock_timeout)
        with RichProgress() as progress:
            result = cluster_upgrade.run(
                conn, session.kube, session.settings, name, files, options, progress
            )
    if output is not OutputFormat.table:
        emit(result, output)
        return
    title = f"{'Would upgrade' if dry_run else 'Upgraded'} {result.namespace}/{name} to {result.to}"
    out = console()
    out.print(escape(title) + f" (was {escape(', '.join(result.before))})")
    for step in result.steps:
        changed = ", ".join(step.changed) or "nothing"
        out.print(f"  {escape(step.step)}: {escape(changed)} ({step.unchanged} unchanged)")
    if result.deleted_templates:
        out.print(f"  templates deleted: {escape(', '.join(result.deleted_templates))}")


def gc_command(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Name them; delete nothing."),
    output: OutputFormat = TABLE_YAML_JSON,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Delete the cluster's machine templates no control plane, MachineDeployment or
    MachineSet refers to any more (`upgrade` does this after its rollouts)."""
    from scs_kaas.workflows.cluster import gc as cluster_gc

    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        if not dry_run:  # an upgrade or create side by side may be about to refer to one
            session.lock("gc", lock_timeout)
        deleted = cluster_gc.run(session.kube, session.target, dry_run=dry_run)
    if output is not OutputFormat.table:
        emit({"dry_run": dry_run, "templates": deleted}, output)
        return
    verb = "would delete" if dry_run else "deleted"
    typer.echo("\n".join(f"{verb} {t}" for t in deleted) or "no unreferenced templates")


def register(app: typer.Typer) -> None:
    app.command("scale")(scale_command)
    app.command("upgrade")(upgrade_command)
    app.command("gc")(gc_command)
