"""Which management cluster a command talks to, and why (the reason goes into errors)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.mgmt.state import StatePaths


@dataclass(frozen=True)
class ManagementKubeconfig:
    path: Path
    source: str  # e.g. "flag --kubeconfig", for messages


def management_kubeconfig(
    option: Path | None,
    settings: Settings,
    paths: StatePaths,
    environ: Mapping[str, str],
    home: Path,
) -> ManagementKubeconfig:
    """--kubeconfig, else the cluster `kaas mgmt move` moved management to, else the setting
    management.kubeconfig, else $KUBECONFIG's first file, else ~/.kube/config.

    The move comes before the setting: after a move the setting names the old manager. A
    missing file is bad input (exit 2), found before any cloud call.
    """
    env = environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    candidates: list[tuple[str, Path | None]] = [
        ("flag --kubeconfig", option),
        (
            f"kaas mgmt move ({paths.moved_kubeconfig})",
            paths.moved_kubeconfig if paths.moved_kubeconfig.is_file() else None,
        ),
        (
            "setting management.kubeconfig",
            Path(settings.management.kubeconfig) if settings.management.kubeconfig else None,
        ),
        ("$KUBECONFIG", Path(env) if env else None),
        ("default ~/.kube/config", home / ".kube" / "config"),
    ]
    source, chosen = next((s, p) for s, p in candidates if p is not None)
    assert chosen is not None  # the default is never None
    chosen = chosen.expanduser()
    if not chosen.is_file():
        raise SettingsError([SettingProblem("kubeconfig", "no such file", str(chosen), source)])
    return ManagementKubeconfig(chosen, source)
