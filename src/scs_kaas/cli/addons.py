"""`kaas addons ...`: the add-on catalog, and which add-ons a cluster gets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from scs_kaas.cli.options import CLUSTER_FILE, ENV_DIR, SETTINGS_FLAGS, load_settings
from scs_kaas.cli.output import TABLE_YAML_JSON, OutputFormat, console, emit
from scs_kaas.versions import DEFAULT_KUBERNETES_VERSION

if TYPE_CHECKING:  # the settings models (pydantic) only when a command runs
    from scs_kaas.settings.addons import AddonsSettings

app = typer.Typer(help="Add-ons installed into workload clusters.", no_args_is_help=True)


def catalog_rows(kubernetes_version: str, settings: AddonsSettings | None) -> list[dict[str, Any]]:
    """One row per add-on; with a cluster's settings, whether it is enabled and its version."""
    from scs_kaas.render.addons import CATALOG
    from scs_kaas.settings.addons import AddonsSettings

    defaults = AddonsSettings()
    rows: list[dict[str, Any]] = []
    for addon in CATALOG:
        pin = addon.chart_pin(kubernetes_version)
        override = settings.overrides.get(addon.name) if settings else None
        row: dict[str, Any] = {
            "name": addon.name,
            "kind": addon.kind,
            "chart": pin.chart if pin else None,
            "repo": pin.repo if pin else None,
            "version": (override.version if override else None) or (pin.version if pin else None),
            "namespace": addon.namespace,
            "default": addon.enabled(defaults),
            "summary": addon.summary,
        }
        if settings is not None:
            row["enabled"] = addon.enabled(settings)
        rows.append(row)
    if settings is not None:
        rows += _custom_rows(settings)
    return rows


def _custom_rows(settings: AddonsSettings) -> list[dict[str, Any]]:
    from scs_kaas.render.addons.custom import addon_name

    rows: list[dict[str, Any]] = []
    common = {"default": False, "enabled": True, "summary": "custom"}
    for chart in settings.custom_charts:
        rows.append(
            {
                "name": addon_name(chart.name),
                "kind": "helm",
                "chart": chart.chart,
                "repo": chart.repo,
                "version": chart.version,
                "namespace": chart.namespace,
                **common,
            }
        )
    for manifest in settings.custom_manifests:
        rows.append(
            {
                "name": addon_name(manifest.name),
                "kind": "manifest",
                "chart": None,
                "repo": None,
                "version": None,
                "namespace": None,
                **common,
            }
        )
    return rows


@app.command("list")
def list_addons(
    cluster: str | None = typer.Argument(
        None, help="Show which add-ons this cluster gets (its settings files and flags)."
    ),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    output: OutputFormat = TABLE_YAML_JSON,
) -> None:
    """List the add-on catalog: chart, pinned version, on or off by default."""
    settings = None
    kubernetes_version = DEFAULT_KUBERNETES_VERSION
    if cluster is None and cluster_file is not None:
        cluster = cluster_file.stem
    if cluster is not None:
        loaded = load_settings(cluster, env_dir, cluster_file, assignments).settings
        settings, kubernetes_version = loaded.addons, loaded.kubernetes_version
    rows = catalog_rows(kubernetes_version, settings)
    if output is OutputFormat.table:
        _print_table(rows, cluster)
    else:
        emit(rows, output)


def _print_table(rows: list[dict[str, Any]], cluster: str | None) -> None:
    title = f"Add-ons of cluster {cluster}" if cluster else "Add-on catalog"
    table = Table(title=title)
    columns = ["name", "kind", "chart", "version", "default"]
    if cluster:
        columns.append("enabled")
    for column in columns:
        table.add_column(column, style="cyan" if column == "name" else None, no_wrap=True)
    table.add_column("summary")
    for row in rows:
        cells = [_cell(row, column) for column in columns]
        table.add_row(*cells, row["summary"])
    console().print(table)


def _cell(row: dict[str, Any], column: str) -> str:
    value = row[column]
    if isinstance(value, bool):
        return "on" if value else "off"
    return "-" if value is None else str(value)
