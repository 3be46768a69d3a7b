"""Render a cluster without a cloud: offline facts and placeholder credentials."""

from __future__ import annotations

from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.documents import to_json, to_yaml
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.loader import LoadedSettings


def render_offline(loaded: LoadedSettings, output: str) -> str:
    documents = render_cluster(
        loaded.cluster, loaded.settings, CloudFacts(), placeholder_identity(loaded.settings.cloud)
    )
    return to_json(documents) if output == "json" else to_yaml(documents)
