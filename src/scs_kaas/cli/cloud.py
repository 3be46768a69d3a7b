"""`kaas cloud ...`: what the cloud offers, before anything is created in it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from scs_kaas.cli.options import CLUSTER_FILE, ENV_DIR, SETTINGS_FLAGS, load_settings
from scs_kaas.cli.output import TABLE_JSON, OutputFormat, console, emit
from scs_kaas.errors import CloudError

if TYPE_CHECKING:  # openstacksdk: imported by the command that uses it
    from scs_kaas.workflows.cloud_check import CloudReport

app = typer.Typer(help="The OpenStack cloud itself.", no_args_is_help=True)
# Settings are loaded per cluster; without a cluster name only the environment's apply.
NO_CLUSTER = "demo"


@app.command()
def check(
    cluster: str | None = typer.Argument(
        None, help="Also count this cluster's machines (default: the management host only)."
    ),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    management: bool = typer.Option(
        True, "--management/--no-management", help="Count the management host."
    ),
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Log in, then check service endpoints, flavors and free quota; exit 1 if anything lacks."""
    from scs_kaas.openstack.connection import connect
    from scs_kaas.workflows import cloud_check

    loaded = load_settings(cluster or NO_CLUSTER, env_dir, cluster_file, assignments)
    with connect(loaded.settings.cloud) as conn:
        report = cloud_check.run(conn, loaded.settings, cluster is not None, management)
    if output is OutputFormat.table:
        _print(report)
    else:
        emit({**dataclasses.asdict(report), "ok": report.ok}, output)
    if not report.ok:
        missing = "; ".join(f"{p.kind} {p.name}: {p.detail}" for p in report.problems)
        raise CloudError(f"cloud {report.cloud!r} lacks what the settings need: {missing}")


def _print(report: CloudReport) -> None:
    table = Table(title=f"Cloud {report.cloud} (project {report.project_id})")
    for column in ("kind", "name", "ok", "detail"):
        table.add_column(column, style="cyan" if column == "name" else None)
    for finding in report.findings:
        mark = "[green]yes[/]" if finding.ok else "[bold red]NO[/]"
        table.add_row(finding.kind, escape(finding.name), mark, escape(finding.detail))
    out = console()
    out.print(table)
    for note in report.unreadable:
        out.print(f"[yellow]quota not readable[/] {escape(note)}")
