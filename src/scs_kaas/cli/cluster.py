"""`kaas cluster ...`: render (and later create, upgrade, delete) workload clusters."""

from __future__ import annotations

from pathlib import Path

import typer

from scs_kaas.cli.options import (
    CLUSTER_FILE,
    ENV_DIR,
    SETTINGS_FLAGS,
    OutputFormat,
    load_settings,
)
from scs_kaas.workflows.render import render_offline

app = typer.Typer(help="Workload clusters.", no_args_is_help=True)


@app.command()
def render(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    output: OutputFormat = typer.Option(OutputFormat.yaml, "--output", "-o"),
) -> None:
    """Print every manifest of a cluster, without touching any cloud.

    Credentials are shown as placeholders: real ones are made only when a cluster is created.
    """
    loaded = load_settings(name, env_dir, cluster_file, assignments)
    typer.echo(render_offline(loaded, output.value), nl=False)
