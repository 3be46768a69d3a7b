"""The shape of one catalog entry: what an add-on is and how it renders for a cluster."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scs_kaas.render.addons.context import AddonContext
from scs_kaas.render.addons.pins import ChartPin
from scs_kaas.settings.addons import AddonsSettings

Values = dict[str, Any]
Manifest = dict[str, Any]


def always(_settings: AddonsSettings) -> bool:
    return True


@dataclass(frozen=True)
class Addon:
    """One add-on: a Helm chart, plain manifests, or both.

    `values` gives the chart's values for a cluster (user overrides are merged on top later);
    `manifests` gives plain objects applied through a ClusterResourceSet, delivered in a Secret
    when `secret_manifests` is set. `depends_on` names add-ons that must be enabled too.
    """

    name: str
    summary: str
    namespace: str
    enabled: Callable[[AddonsSettings], bool]
    chart: ChartPin | None = None
    chart_for_kubernetes: Callable[[str], ChartPin] | None = None
    values: Callable[[AddonContext, AddonsSettings], Values] | None = None
    manifests: Callable[[AddonContext, AddonsSettings], list[Manifest]] | None = None
    secret_manifests: bool = False
    depends_on: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        has_chart = self.chart is not None or self.chart_for_kubernetes is not None
        parts = [k for k, present in (("helm", has_chart), ("manifest", self.manifests)) if present]
        return "+".join(parts)

    def chart_pin(self, kubernetes_version: str) -> ChartPin | None:
        if self.chart_for_kubernetes is not None:
            return self.chart_for_kubernetes(kubernetes_version)
        return self.chart
