"""What goes onto the management host: its `#cloud-config`, settings and extensions."""

from __future__ import annotations

import os
from pathlib import Path

from scs_kaas import __version__
from scs_kaas.render.cloud_init import (
    ExtensionFile,
    HostInputs,
    cloud_config,
    host_environment,
    user_data,
)
from scs_kaas.settings.model import Settings

EXTENSIONS_DIR = "extensions"


def read_extensions(env_dir: Path) -> list[ExtensionFile]:
    """The files of `<env>/extensions/` (R1's `extension/`); executable ones run, sorted."""
    folder = env_dir / EXTENSIONS_DIR
    if not folder.is_dir():
        return []
    return [
        ExtensionFile(path.name, path.read_bytes(), os.access(path, os.X_OK))
        for path in sorted(folder.iterdir())
        if path.is_file() and not path.name.startswith(".")
    ]


def host_user_data(settings: Settings, env_dir: Path) -> str:
    """The management host's `#cloud-config`, with the environment's settings and extensions."""
    requirement = settings.management.kaas_requirement or f"scs-kaas=={__version__}"
    inputs = HostInputs(requirement, host_environment(settings), read_extensions(env_dir))
    return user_data(cloud_config(settings, inputs))
