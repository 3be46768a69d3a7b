"""Every supported Kubernetes minor maps to add-on versions whose upstream documentation says
they support that minor. The lists below are upstream's, read on 2026-12-01; a pin outside
them fails here, so a new Kubernetes minor or a bumped pin needs its source checked."""

from __future__ import annotations

import itertools

from scs_kaas.render.addons import find_addon
from scs_kaas.versions import DEFAULT_KUBERNETES_VERSION, KUBERNETES_PATCH_RELEASES

# add-on -> release line -> the Kubernetes minors its documentation lists
DOCUMENTED: dict[str, dict[str, tuple[str, ...]]] = {
    # docs.cilium.io, Documentation/network/kubernetes/compatibility.rst of each release
    "cilium": {
        "1.18": ("1.30", "1.31", "1.32", "1.33"),
        "1.19": ("1.32", "1.33", "1.34", "1.35"),
    },
    # tigera/docs calico_versioned_docs/version-3.X/_includes/partials/_system-requirements.mdx
    "calico": {
        "3.30": ("1.31", "1.32", "1.33"),
        "3.31": ("1.32", "1.33", "1.34"),
        "3.32": ("1.34", "1.35", "1.36"),
    },
    # cloud-provider-openstack: release-1.Y builds chart line 2.Y for Kubernetes 1.Y
    "openstack-ccm": {f"2.{m}": (f"1.{m}",) for m in range(32, 37)},
    "cinder-csi": {f"2.{m}": (f"1.{m}",) for m in range(32, 37)},
}
# Pins whose documented support could not be confirmed: Cilium 1.20 (released 2026-07-29) is the
# first line newer than Kubernetes 1.36, but its compatibility list was not readable here.
UNCONFIRMED = {("cilium", "1.36")}


def _line(version: str) -> str:
    major, minor, _ = version.lstrip("v").split(".", 2)
    return f"{major}.{minor}"


def _pinned(addon: str, minor: str) -> str:
    pin = find_addon(addon).chart_pin(KUBERNETES_PATCH_RELEASES[minor])
    assert pin is not None
    return pin.version


def test_every_supported_minor_gets_versions_documented_for_it() -> None:
    uncovered = set()
    for addon, lines in DOCUMENTED.items():
        for minor in KUBERNETES_PATCH_RELEASES:
            if minor not in lines.get(_line(_pinned(addon, minor)), ()):
                uncovered.add((addon, minor))
    # The gaps are exactly the known ones: a new gap fails, and so does a closed one (then drop
    # it from UNCONFIRMED and add the line's list to DOCUMENTED).
    assert uncovered == UNCONFIRMED


def test_the_cnis_follow_the_minor_and_step_at_most_one_line() -> None:
    """Upgrading Kubernetes one minor upgrades a CNI by at most one minor (their upgrade rule)."""
    minors = sorted(KUBERNETES_PATCH_RELEASES, key=lambda m: int(m.split(".")[1]))
    for addon in ("cilium", "calico"):
        lines = [int(_line(_pinned(addon, m)).split(".")[1]) for m in minors]
        assert all(0 <= b - a <= 1 for a, b in itertools.pairwise(lines)), addon


def test_the_default_version_is_the_validated_patch_of_its_minor() -> None:
    assert KUBERNETES_PATCH_RELEASES["1.34"] == DEFAULT_KUBERNETES_VERSION
    assert _pinned("cilium", "1.36") == "1.20.1" and _pinned("cilium", "1.32") == "1.19.8"
    assert _pinned("cinder-csi", "1.36") == "2.36.0"
