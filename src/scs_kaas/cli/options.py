"""Options shared by the commands, and the one place the CLI reads the process environment."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import typer

from scs_kaas.settings.loader import LoadedSettings, load_cluster_settings


class OutputFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class TableFormat(StrEnum):
    table = "table"
    yaml = "yaml"
    json = "json"


ENV_DIR = typer.Option(
    None,
    "--env",
    "-e",
    help="Environment folder (environment.yaml, clusters/NAME.yaml); default $KAAS_ENV or '.'.",
    file_okay=False,
)
CLUSTER_FILE = typer.Option(
    None,
    "--file",
    "-f",
    help="Cluster settings file; default <env>/clusters/NAME.yaml.",
    dir_okay=False,
)
SETTINGS_FLAGS = typer.Option(
    [], "--set", help="Override one setting, e.g. --set network.mtu=1450 (repeatable)."
)


def load_settings(
    cluster: str, env_dir: Path | None, cluster_file: Path | None, assignments: list[str]
) -> LoadedSettings:
    """Settings for `cluster` from the files and flags the user gave, plus OS_CLOUD."""
    if env_dir is None:
        env_dir = Path(os.environ.get("KAAS_ENV", "."))
    return load_cluster_settings(
        cluster, env_dir, cluster_file, assignments, os_cloud=os.environ.get("OS_CLOUD")
    )
