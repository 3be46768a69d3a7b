"""Add-ons as management-cluster objects: Cluster API installs and keeps them in the cluster.

`render_addons(ctx, settings)` is pure: the same inputs give the same list in the same order.
Every object carries the label `kaas.scs.community/addon: <name>`, so an apply can prune the
objects of an add-on that was turned off.
"""

from __future__ import annotations

import logging
from typing import Any

from scs_kaas.render.addons.addon import Addon
from scs_kaas.render.addons.catalog import CATALOG, find_addon
from scs_kaas.render.addons.context import AddonContext, AddonRenderError
from scs_kaas.render.addons.custom import render_custom
from scs_kaas.render.addons.objects import ADDON_LABEL, helm_chart_proxy, resource_set
from scs_kaas.settings.addons import AddonOverride, AddonsSettings
from scs_kaas.settings.merge import deep_merge

__all__ = [
    "ADDON_LABEL",
    "CATALOG",
    "AddonContext",
    "AddonRenderError",
    "enabled_addons",
    "find_addon",
    "render_addons",
]

logger = logging.getLogger(__name__)


def enabled_addons(settings: AddonsSettings) -> tuple[Addon, ...]:
    """The built-in add-ons this cluster gets, in render order; dependencies checked."""
    enabled = tuple(a for a in CATALOG if a.enabled(settings))
    names = {a.name for a in enabled}
    for addon in enabled:
        missing = [d for d in addon.depends_on if d not in names]
        if missing:
            raise AddonRenderError(f"add-on {addon.name} needs {', '.join(missing)}, which is off")
    return enabled


def render_addons(ctx: AddonContext, settings: AddonsSettings) -> list[dict[str, Any]]:
    """Every add-on object of one cluster, for its namespace in the management cluster."""
    objects: list[dict[str, Any]] = []
    for addon in enabled_addons(settings):
        logger.debug("rendering add-on %s for cluster %s", addon.name, ctx.cluster_name)
        objects += _render_addon(ctx, settings, addon)
    objects += render_custom(ctx, settings)
    return objects


def _render_addon(
    ctx: AddonContext, settings: AddonsSettings, addon: Addon
) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    if addon.manifests is not None:
        manifests = addon.manifests(ctx, settings)
        if manifests:
            objects += resource_set(ctx, addon.name, manifests, addon.secret_manifests)
    pin = addon.chart_pin(ctx.kubernetes_version)
    if pin is not None:
        override = settings.overrides.get(addon.name, AddonOverride())
        values = addon.values(ctx, settings) if addon.values is not None else {}
        # Helm's rule is the settings' rule: mappings merge key by key, lists are replaced.
        values = deep_merge(values, override.values)
        if override.version is not None:
            pin = type(pin)(pin.repo, pin.chart, override.version)
        objects.append(helm_chart_proxy(ctx, addon.name, pin, addon.namespace, values, addon.name))
    return objects
