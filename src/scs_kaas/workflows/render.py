"""Render a cluster without a cloud: offline facts and placeholder credentials."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.render.cluster import NO_FILES, render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.documents import to_json, to_yaml
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.loader import LoadedSettings
from scs_kaas.settings.model import Settings


def read_manifest_files(loaded: LoadedSettings) -> dict[str, str]:
    """Text of the custom add-on manifest files, relative to the settings' base folder."""
    files: dict[str, str] = {}
    for index, manifest in enumerate(loaded.settings.addons.custom_manifests):
        if manifest.file is None:
            continue
        path = loaded.base_dir / Path(manifest.file).expanduser()
        try:
            files[manifest.file] = path.read_text(encoding="utf-8")
        except OSError as error:
            raise SettingsError(
                [
                    SettingProblem(
                        f"addons.custom_manifests[{index}].file",
                        f"cannot read {path}: {error.strerror}",
                    )
                ]
            ) from error
    return files


def offline_documents(
    settings: Settings, cluster: str, manifest_files: Mapping[str, str] = NO_FILES
) -> list[dict[str, Any]]:
    """The cluster's manifests with offline facts and placeholder credentials."""
    return render_cluster(
        cluster, settings, CloudFacts(), placeholder_identity(settings.cloud), manifest_files
    )


def render_offline(loaded: LoadedSettings, output: str) -> str:
    documents = offline_documents(loaded.settings, loaded.cluster, read_manifest_files(loaded))
    return to_json(documents) if output == "json" else to_yaml(documents)
