"""Options shared by the commands, and the one place the CLI reads the process environment."""

from __future__ import annotations

import dataclasses
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scs_kaas.errors import SettingProblem, SettingsError

if TYPE_CHECKING:
    from scs_kaas.settings.loader import LoadedSettings

# The settings (pydantic) and the workflows are imported by the functions that use them, so that
# `kaas --help` need not import them: see tests/cli/test_startup_imports.py.

# Stands in for a cluster name where settings of the environment alone are loaded.
MANAGEMENT = "management"


class InfrastructureApi(StrEnum):
    """The CAPO API version of the OpenStack objects: v1beta2 (CAPO v0.15+) or v1beta1 (v0.14)."""

    v1beta2 = "v1beta2"
    v1beta1 = "v1beta1"


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
INFRASTRUCTURE_API = typer.Option(
    InfrastructureApi.v1beta2,
    "--infrastructure-api",
    help="CAPO API version of the OpenStackCluster and OpenStackMachineTemplates: v1beta2 "
    "(CAPO v0.15 or later) or v1beta1 (CAPO v0.14). Both mean the same; names do not change.",
    case_sensitive=False,
)
SETTINGS_FLAGS = typer.Option(
    [], "--set", help="Override one setting, e.g. --set network.mtu=1450 (repeatable)."
)


def load_settings(
    cluster: str, env_dir: Path | None, cluster_file: Path | None, assignments: list[str]
) -> LoadedSettings:
    """Settings for `cluster` from the files and flags the user gave, plus OS_CLOUD; what they
    allow but should not (a retired add-on) is warned about on stderr."""
    from scs_kaas.settings.loader import load_cluster_settings

    loaded = load_cluster_settings(
        cluster,
        env_dir_or_default(env_dir),
        cluster_file,
        assignments,
        os_cloud=os.environ.get("OS_CLOUD"),
    )
    for warning in loaded.settings.addons.warnings():
        typer.echo(f"warning: {warning}", err=True)
    return loaded


def env_dir_or_default(env_dir: Path | None) -> Path:
    """--env, else $KAAS_ENV, else the current folder. A folder that does not exist is bad
    input: a mistyped environment must not fall back to the built-in defaults (and prefix)."""
    source, chosen = "flag --env", env_dir
    if chosen is None:
        source, chosen = "$KAAS_ENV", Path(os.environ.get("KAAS_ENV") or ".")
    if not chosen.is_dir():
        raise SettingsError(
            [SettingProblem("environment folder", "no such directory", str(chosen), source)]
        )
    return chosen


def load_environment_settings(env_dir: Path | None, assignments: list[str]) -> LoadedSettings:
    """Settings of the environment alone (no cluster file): for the management host."""
    from scs_kaas.settings.layers import Layer, flag_layer, read_yaml_layer
    from scs_kaas.settings.loader import ENVIRONMENT_FILE, build_settings, settings_file_exists

    env = env_dir_or_default(env_dir)
    layers = []
    if os.environ.get("OS_CLOUD"):
        layers.append(Layer("environment variable OS_CLOUD", {"cloud": os.environ["OS_CLOUD"]}))
    if settings_file_exists(env / ENVIRONMENT_FILE):
        layers.append(read_yaml_layer(env / ENVIRONMENT_FILE, "environment file"))
    if assignments:
        layers.append(flag_layer(assignments))
    # The name only labels validation messages: no cluster file is read.
    return dataclasses.replace(build_settings(MANAGEMENT, layers), base_dir=env)


def state_dir_or_default(state_dir: Path | None) -> Path:
    """`--state-dir`, else $KAAS_STATE_DIR, else $XDG_STATE_HOME/scs-kaas (~/.local/state)."""
    if state_dir is not None:
        return state_dir
    if os.environ.get("KAAS_STATE_DIR"):
        return Path(os.environ["KAAS_STATE_DIR"])
    from scs_kaas.workflows.mgmt.state import default_state_dir

    return default_state_dir(os.environ, Path.home())


STATE_DIR = typer.Option(
    None,
    "--state-dir",
    help="Where the host's state and SSH key live; default $KAAS_STATE_DIR or "
    "~/.local/state/scs-kaas ($XDG_STATE_HOME).",
    file_okay=False,
)

DEFAULT_LOCK_TIMEOUT = 600.0
LOCK_TIMEOUT = typer.Option(
    DEFAULT_LOCK_TIMEOUT,
    "--lock-timeout",
    min=0,
    help="Seconds to wait for another run of a changing command on the same environment or "
    "cluster to finish; 0 refuses at once.",
)
