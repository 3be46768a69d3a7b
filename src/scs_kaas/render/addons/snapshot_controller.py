"""Volume snapshot CRDs and the snapshot-controller; R1 shipped only the CRDs (bug #7)."""

from __future__ import annotations

from scs_kaas.render.addons import pins
from scs_kaas.render.addons.addon import Addon, Values, always
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.settings.addons import AddonsSettings

NAME = "snapshot-controller"


def values(_ctx: AddonContext, _settings: AddonsSettings) -> Values:
    # The chart's defaults are right: the CRDs from its crds/ folder, one controller Deployment.
    return {}


ADDON = Addon(
    name=NAME,
    summary="VolumeSnapshot CRDs and snapshot-controller (external-snapshotter v8)",
    namespace="kube-system",
    enabled=always,
    chart=pins.SNAPSHOT_CONTROLLER,
    values=values,
)
