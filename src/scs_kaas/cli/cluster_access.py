"""`kaas cluster kubeconfig` and `kaas cluster diff`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from scs_kaas.cli.management_session import CONTEXT, KUBECONFIG, ClusterFlags, management_session
from scs_kaas.cli.options import CLUSTER_FILE, ENV_DIR, SETTINGS_FLAGS
from scs_kaas.cli.output import TABLE_YAML_JSON, OutputFormat, console, emit
from scs_kaas.errors import ClusterError, SettingProblem, SettingsError
from scs_kaas.files import write_atomic

# The workflows and clients are imported by the commands that use them (not by `kaas --help`).


def kubeconfig_command(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    merge: bool = typer.Option(
        False, "--merge", help="Merge the admin context into --file (default ~/.kube/config)."
    ),
    file: Path | None = typer.Option(
        None, "--file", dir_okay=False, help="Write the kubeconfig there (0600) instead of stdout."
    ),
    show_secrets: bool = typer.Option(
        False, "--show-secrets", help="Print it even when stdout is a terminal."
    ),
) -> None:
    """The cluster's admin kubeconfig from the management cluster: printed to a pipe, written
    to a file (0600), or merged into your kubeconfig as create does."""
    from scs_kaas.kube import kubeconfig as workload_kubeconfig
    from scs_kaas.workflows.cluster.target import owned_cluster

    if not (merge or file or show_secrets) and sys.stdout.isatty():
        raise SettingsError(
            [
                SettingProblem(
                    "output",
                    "a kubeconfig holds the cluster's admin key and is not printed to a "
                    "terminal: pipe it, or use --file PATH, --merge or --show-secrets",
                )
            ]
        )
    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        kube, target = session.kube, session.target
        if owned_cluster(kube, target) is None:
            raise ClusterError(f"there is no Cluster {target}")
        if merge:
            out = file or Path.home() / ".kube" / "config"
            merged = workload_kubeconfig.merge_into_file(kube, target.namespace, name, out)
            typer.echo(f"context {merged} merged into {out}", err=True)
            return
        secret = workload_kubeconfig.read_admin_kubeconfig(kube, target.namespace, name)
    if file is not None:
        write_atomic(file, secret.get_secret_value(), mode=0o600)
        typer.echo(f"kubeconfig of {target} written to {file} (0600)", err=True)
        return
    sys.stdout.write(secret.get_secret_value())


def diff_command(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    output: OutputFormat = TABLE_YAML_JSON,
) -> None:
    """What `kaas cluster create` would change, field by field, as the server would store it
    (server-side dry-run applies: defaults and webhooks included; nothing is written).

    Exit code 0 when nothing would change, 1 when something would (like `kubectl diff`).
    """
    from scs_kaas.workflows.cluster import diff as cluster_diff

    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        files, cidrs = session.manifest_files(), session.management_host_cidrs()
        conn = session.cloud()
        result = cluster_diff.run(conn, session.kube, session.settings, name, files, cidrs)
    if output is not OutputFormat.table:
        emit(result, output)
    else:
        out = console()
        for found in result.objects:
            out.print(escape(found.unified), highlight=False)
        for note in result.notes:
            out.print(f"note: {escape(note)}")
        if not result.objects:
            out.print(f"no differences ({result.unchanged} objects)")
    if result.objects:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("kubeconfig")(kubeconfig_command)
    app.command("diff")(diff_command)
