"""`kaas config ...`: show the effective settings, their JSON Schema, import an R1 environment."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
import yaml
from rich.table import Table

from scs_kaas.cli.options import CLUSTER_FILE, ENV_DIR, SETTINGS_FLAGS, load_settings
from scs_kaas.cli.output import TABLE_YAML_JSON, OutputFormat, console, emit, output_option
from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.files import write_atomic

app = typer.Typer(help="Show settings and their schema, convert R1 settings.", no_args_is_help=True)


@app.command()
def show(
    cluster: str = typer.Argument("demo", help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    output: OutputFormat = TABLE_YAML_JSON,
) -> None:
    """Print the effective settings of a cluster and where each value came from."""
    loaded = load_settings(cluster, env_dir, cluster_file, assignments)
    rows = loaded.provenance()
    if output is OutputFormat.json:
        emit([{"setting": s, "value": v, "source": src} for s, v, src in rows], output)
        return
    if output is OutputFormat.yaml:  # the settings themselves, as a file would hold them
        emit(loaded.settings.model_dump(mode="json"), output)
        return
    table = Table(title=f"Settings of cluster {cluster}")
    table.add_column("setting", style="cyan", no_wrap=True)
    table.add_column("value")
    table.add_column("source", style="dim")
    for setting, value, source in rows:
        table.add_row(setting, json.dumps(value), source)
    console().print(table)


SCHEMA_OUTPUT = output_option(OutputFormat.yaml, OutputFormat.json, default=OutputFormat.json)


class SchemaFile(StrEnum):
    environment = "environment"
    cluster = "cluster"


@app.command()
def schema(
    file: SchemaFile = typer.Option(
        SchemaFile.environment,
        "--file",
        help="The schema of environment.yaml or of a cluster file.",
    ),
    output: OutputFormat = SCHEMA_OUTPUT,
) -> None:
    """Print the JSON Schema of a settings file, for editors that complete and check YAML.

    Write it to a file and name that in the settings file's first line, e.g.
    `# yaml-language-server: $schema=environment.schema.json` (relative to the YAML file).
    """
    from scs_kaas.settings.schema import settings_schema

    emit(settings_schema(file.value), output)


def _read(path: Path, what: str) -> str:
    """The text of an R1 file: unreadable, binary or oversized files are bad input (exit 2)."""
    from scs_kaas.settings.yaml_limits import read_settings_text

    try:
        return read_settings_text(path)
    except SettingsError as error:
        raise SettingsError([SettingProblem(what, str(p)) for p in error.problems]) from None


def _write(path: Path, text: str) -> None:
    """Write one converted file; a --out that is a file or not writable is bad input."""
    try:
        write_atomic(path, text)
    except OSError as error:
        raise SettingsError(
            [SettingProblem("--out", f"cannot write {path}: {error.strerror or error}")]
        ) from None


@app.command("import-r1")
def import_r1(
    tfvars: Path = typer.Argument(..., help="R1 environment-<name>.tfvars", dir_okay=False),
    clusterctl: Path | None = typer.Argument(None, help="R1 clusterctl.yaml (optional)"),
    out: Path = typer.Option(Path(), "--out", help="Environment folder to write."),
    cluster: str = typer.Option(
        "testcluster", "--cluster", help="Name for clusterctl.yaml's cluster."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be written."),
) -> None:
    """Convert an R1 environment into environment.yaml (+ clusters/NAME.yaml).

    Every R1 setting that has no equivalent is named, with the reason. Credentials are never
    imported. Nothing is written unless the result is valid.
    """
    from scs_kaas.settings.layers import Layer
    from scs_kaas.settings.loader import CLUSTERS_DIR, ENVIRONMENT_FILE, build_settings
    from scs_kaas.settings.r1_import import convert_r1  # python-hcl2: only here

    conversion = convert_r1(
        _read(tfvars, "tfvars"), _read(clusterctl, "clusterctl.yaml") if clusterctl else None
    )
    # Validate the converted settings exactly as they will be loaded, before writing anything.
    build_settings(
        cluster,
        [
            Layer(f"converted {tfvars}", conversion.environment),
            Layer("converted", conversion.cluster),
        ],
    )
    outputs = {out / ENVIRONMENT_FILE: conversion.environment}
    if conversion.cluster:
        outputs[out / CLUSTERS_DIR / f"{cluster}.yaml"] = conversion.cluster
    if out.exists() and not out.is_dir():
        raise SettingsError([SettingProblem("--out", f"{out} is a file; name a folder")])
    existing = [str(p) for p in outputs if p.exists()]
    if existing and not force and not dry_run:
        raise SettingsError(
            [SettingProblem("--out", f"would overwrite {', '.join(existing)}; use --force")]
        )
    err = console(stderr=True)
    for path, data in outputs.items():
        text = (
            f"# Converted from R1 by kaas config import-r1\n{yaml.safe_dump(data, sort_keys=False)}"
        )
        if dry_run:
            typer.echo(f"--- {path}\n{text}", nl=False)
        else:
            _write(path, text)
            err.print(f"wrote {path}")
    for note in conversion.notes:
        err.print(f"note: {note}")
    for key, why in conversion.unmapped:
        err.print(f"not mapped: {key}: {why}")
