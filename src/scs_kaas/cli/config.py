"""`kaas config ...`: show the effective settings, import an R1 environment."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.table import Table

from scs_kaas.cli.options import (
    CLUSTER_FILE,
    ENV_DIR,
    SETTINGS_FLAGS,
    TableFormat,
    load_settings,
)

app = typer.Typer(help="Show and convert settings.", no_args_is_help=True)


@app.command()
def show(
    cluster: str = typer.Argument("demo", help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    output: TableFormat = typer.Option(TableFormat.table, "--output", "-o"),
) -> None:
    """Print the effective settings of a cluster and where each value came from."""
    loaded = load_settings(cluster, env_dir, cluster_file, assignments)
    rows = loaded.provenance()
    if output is TableFormat.json:
        data = [{"setting": s, "value": v, "source": src} for s, v, src in rows]
        typer.echo(json.dumps(data, indent=2))
        return
    if output is TableFormat.yaml:
        typer.echo(
            yaml.safe_dump(loaded.settings.model_dump(mode="json"), sort_keys=False), nl=False
        )
        return
    table = Table(title=f"Settings of cluster {cluster}")
    table.add_column("setting", style="cyan", no_wrap=True)
    table.add_column("value")
    table.add_column("source", style="dim")
    for setting, value, source in rows:
        table.add_row(setting, json.dumps(value), source)
    console = Console()
    if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
        console = Console(width=220)
    console.print(table)
