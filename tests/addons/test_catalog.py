"""The catalog agrees with the settings, pins are exact, dependencies come first."""

from __future__ import annotations

import dataclasses
import re

from scs_kaas.render.addons import CATALOG, pins
from scs_kaas.render.addons.addon import Addon
from scs_kaas.settings.addons import ADDON_NAMES, CHART_VERSION, AddonsSettings


def _has_chart(addon: Addon) -> bool:
    return addon.chart_pin("v1.34.1") is not None


def test_overridable_names_are_exactly_the_chart_addons() -> None:
    assert sorted(a.name for a in CATALOG if _has_chart(a)) == sorted(ADDON_NAMES)


def test_names_are_unique_dns_labels() -> None:
    names = [a.name for a in CATALOG]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", n) for n in names)


def test_every_dependency_comes_earlier_in_the_catalog() -> None:
    seen: set[str] = set()
    for addon in CATALOG:
        assert set(addon.depends_on) <= seen, addon.name
        seen.add(addon.name)


def test_every_pin_is_an_exact_version_over_https() -> None:
    fixed = [v for v in vars(pins).values() if isinstance(v, pins.ChartPin)]
    tables = (
        pins.OPENSTACK_CCM_BY_MINOR,
        pins.CINDER_CSI_BY_MINOR,
        pins.CILIUM_BY_MINOR,
        pins.CALICO_BY_MINOR,
    )
    fixed += [
        pins.cloud_provider_openstack_chart("c", table, f"v{minor}.0")
        for table in tables
        for minor in table
    ]
    assert len(fixed) >= 10
    for pin in fixed:
        assert CHART_VERSION.fullmatch(pin.version), pin
        assert pin.repo.startswith("https://"), pin
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", pins.CHECKED)


def test_defaults_match_the_issue() -> None:
    on = {a.name for a in CATALOG if a.enabled(AddonsSettings())}
    assert on == {
        "cloud-config",
        "cilium",
        "openstack-ccm",
        "snapshot-controller",
        "cinder-csi",
        "kubelet-csr-approver",
        "metrics-server",
        "traefik",
    }


def test_catalog_entries_are_immutable() -> None:
    assert isinstance(CATALOG, tuple)
    assert all(dataclasses.is_dataclass(a) and a.__dataclass_params__.frozen for a in CATALOG)  # type: ignore[attr-defined]
