"""The user's own charts and manifests, rendered like the built-in add-ons."""

from __future__ import annotations

from typing import Any

from scs_kaas.render.addons.context import AddonContext, AddonRenderError
from scs_kaas.render.addons.objects import helm_chart_proxy, manifests_text, resource_set_of_text
from scs_kaas.render.addons.pins import ChartPin
from scs_kaas.settings.addons import AddonsSettings, CustomManifest, parse_manifest_documents

# Prefixed, so that a custom add-on can never take the name of a present or future built-in one.
PREFIX = "custom-"


def addon_name(name: str) -> str:
    return f"{PREFIX}{name}"


def render_custom(ctx: AddonContext, settings: AddonsSettings) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for chart in settings.custom_charts:
        pin = ChartPin(chart.repo, chart.chart, chart.version)
        objects.append(
            helm_chart_proxy(
                ctx, addon_name(chart.name), pin, chart.namespace, chart.values, chart.name
            )
        )
    for manifest in settings.custom_manifests:
        documents = _documents(ctx, manifest)
        # Objects of kind Secret must not end up readable in a ConfigMap.
        secret = any(d.get("kind") == "Secret" for d in documents)
        text = manifests_text(documents)
        objects += resource_set_of_text(ctx, addon_name(manifest.name), text, secret)
    return objects


def _documents(ctx: AddonContext, manifest: CustomManifest) -> list[dict[str, Any]]:
    where = f"custom manifest {manifest.name!r}"
    if manifest.yaml is not None:
        text = manifest.yaml
    else:
        assert manifest.file is not None  # the settings model allows exactly one source
        if manifest.file not in ctx.manifest_files:
            raise AddonRenderError(f"{where}: the caller did not read file {manifest.file!r}")
        text = ctx.manifest_files[manifest.file]
        where += f" (file {manifest.file})"
    try:
        return parse_manifest_documents(text, where)
    except ValueError as error:
        raise AddonRenderError(str(error)) from None
