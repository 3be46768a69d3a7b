"""AddonsSettings: defaults, the YAML shape, and what it rejects (unit and property tests)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from scs_kaas.settings.addons import ADDON_NAMES, AddonsSettings

NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
SEMVER = st.builds(
    lambda v, a, b, c, pre: f"{v}{a}.{b}.{c}{pre}",
    st.sampled_from(["", "v"]),
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 200),
    st.sampled_from(["", "-rc.1", "-beta2", "+build.5"]),
)


def _chart(**changes: Any) -> dict[str, Any]:
    chart = {
        "name": "podinfo",
        "repo": "https://stefanprodan.github.io/podinfo",
        "chart": "podinfo",
        "version": "6.9.2",
        "namespace": "podinfo",
    }
    return {**chart, **changes}


def test_defaults() -> None:
    settings = AddonsSettings()
    assert settings.cni == "cilium"
    assert (settings.metrics_server, settings.traefik, settings.ingress_nginx) == (
        True,
        True,
        False,
    )
    assert (settings.cert_manager, settings.monitoring, settings.nvidia_gpu_operator) == (
        False,
        False,
        False,
    )
    assert settings.metrics_server_insecure_tls is False
    assert settings.cilium_kube_proxy_replacement is False
    assert settings.needs_kubelet_serving_certificates() is True


def test_every_field_is_documented() -> None:
    for name, field in AddonsSettings.model_fields.items():
        assert field.description, name


def test_the_documented_yaml_shape_loads() -> None:
    text = """
    cni: calico
    ingress_nginx_proxy_protocol: true
    overrides:
      cilium: {version: "1.18.4", values: {hubble: {enabled: true}}}
      Metrics_Server: {values: {replicas: 2}}
    custom_charts:
      - {name: podinfo, repo: "https://stefanprodan.github.io/podinfo", chart: podinfo,
         version: "6.9.2", namespace: podinfo, values: {replicaCount: 2}}
    custom_manifests:
      - {name: quotas, file: quotas.yaml}
    """
    settings = AddonsSettings.model_validate(yaml.safe_load(text))
    assert sorted(settings.overrides) == ["cilium", "metrics-server"]
    assert settings.overrides["cilium"].values == {"hubble": {"enabled": True}}


def test_settings_are_frozen_and_strict() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        AddonsSettings.model_validate({"metrics": True})
    with pytest.raises(ValidationError):
        AddonsSettings().cni = "calico"  # type: ignore[misc]


def test_unknown_addon_suggests_the_closest_name() -> None:
    with pytest.raises(ValidationError, match="did you mean 'ingress-nginx'"):
        AddonsSettings.model_validate({"overrides": {"ingres-nginx": {}}})


def test_same_addon_twice_is_rejected() -> None:
    with pytest.raises(ValidationError, match="overridden twice"):
        AddonsSettings.model_validate({"overrides": {"cert_manager": {}, "cert-manager": {}}})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cert_manager_letsencrypt_email": "ops"}, "not an email"),
        ({"cert_manager_letsencrypt_email": "ops@localhost"}, "not an email"),
        ({"overrides": {"cilium": {"version": "latest"}}}, "exact SemVer"),
        ({"overrides": {"cilium": {"version": "~1.18"}}}, "exact SemVer"),
        ({"custom_charts": [_chart(chart="Pod Info")]}, "chart name"),
        ({"custom_charts": [_chart(repo="ftp://x")]}, "https://"),
        ({"custom_charts": [_chart(namespace="Apps")]}, "namespace"),
        ({"custom_charts": [_chart(name="x" * 31)]}, "at most 30"),
        ({"custom_charts": [_chart(), _chart()]}, "used twice"),
        ({"custom_manifests": [{"name": "a", "url": "https://x/y.yaml"}]}, "url is not supported"),
        ({"custom_manifests": [{"name": "a"}]}, "exactly one of yaml or file"),
        ({"custom_manifests": [{"name": "a", "yaml": "x", "file": "f"}]}, "exactly one"),
        ({"custom_manifests": [{"name": "a", "yaml": "kind: Pod\n"}]}, "needs apiVersion"),
        ({"custom_manifests": [{"name": "a", "yaml": "- 1\n"}]}, "not a mapping"),
        ({"nvidia_gpu_node_label": "not a label"}, "label key"),
        ({"cni": "flannel"}, "calico"),
        # A trailing newline must not slip past a `$` anchor.
        ({"custom_charts": [_chart(name="podinfo\n")]}, "custom chart name"),
        ({"overrides": {"cilium": {"version": "1.18.4\n"}}}, "exact SemVer"),
        ({"cert_manager_letsencrypt_email": "ops@example.org\n"}, "not an email"),
    ],
)
def test_rejections(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AddonsSettings.model_validate(data)


def test_yaml_errors_do_not_quote_the_text() -> None:
    secret_line = "stringData: {password: hunter2"
    with pytest.raises(ValidationError) as error:
        AddonsSettings.model_validate({"custom_manifests": [{"name": "a", "yaml": secret_line}]})
    assert "hunter2" not in str(error.value).split("input_value=")[0]


@given(SEMVER)
def test_exact_versions_are_accepted(version: str) -> None:
    settings = AddonsSettings.model_validate({"overrides": {"cilium": {"version": version}}})
    assert settings.overrides["cilium"].version == version


@given(st.text(max_size=20))
def test_a_version_is_accepted_only_if_it_is_semver(version: str) -> None:
    looks_exact = re.fullmatch(r"v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?", version) is not None
    try:
        AddonsSettings.model_validate({"overrides": {"cilium": {"version": version}}})
    except ValidationError:
        return
    assert looks_exact


@given(st.sampled_from(ADDON_NAMES), st.booleans(), st.booleans())
def test_addon_names_may_use_underscores_and_capitals(name: str, snake: bool, upper: bool) -> None:
    written = name.replace("-", "_") if snake else name
    written = written.upper() if upper else written
    assert list(AddonsSettings.model_validate({"overrides": {written: {}}}).overrides) == [name]


@given(st.text(min_size=1, max_size=25))
def test_unknown_addon_names_are_rejected(name: str) -> None:
    normalized = name.strip().lower().replace("_", "-")
    try:
        settings = AddonsSettings.model_validate({"overrides": {name: {}}})
    except ValidationError as error:
        assert normalized not in ADDON_NAMES
        assert "unknown add-on" in str(error)
        return
    assert list(settings.overrides) == [normalized]
    assert normalized in ADDON_NAMES


@given(st.emails().filter(lambda e: len(e) <= 254))
def test_real_email_addresses_are_accepted(email: str) -> None:
    settings = AddonsSettings(cert_manager_letsencrypt_email=email)
    assert settings.cert_manager_letsencrypt_email == email


@given(st.text(max_size=40).filter(lambda s: "@" not in s))
def test_text_without_at_is_not_an_email(text: str) -> None:
    with pytest.raises(ValidationError):
        AddonsSettings(cert_manager_letsencrypt_email=text)


@given(st.text(min_size=1, max_size=40))
def test_custom_names_are_dns_labels_or_rejected(name: str) -> None:
    try:
        chart = AddonsSettings.model_validate({"custom_charts": [_chart(name=name)]})
    except ValidationError:
        assert not (NAME_RE.fullmatch(name) and len(name) <= 30)
        return
    assert NAME_RE.fullmatch(chart.custom_charts[0].name)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "cni": st.sampled_from(["calico", "cilium"]),
            "metrics_server": st.booleans(),
            "ingress_nginx": st.booleans(),
            "cert_manager": st.booleans(),
            "monitoring": st.booleans(),
            "nvidia_gpu_operator": st.booleans(),
            "overrides": st.dictionaries(
                st.sampled_from(ADDON_NAMES),
                st.fixed_dictionaries({}, optional={"version": SEMVER}),
                max_size=3,
            ),
        },
    )
)
def test_dump_and_load_round_trips(data: dict[str, Any]) -> None:
    settings = AddonsSettings.model_validate(data)
    assert AddonsSettings.model_validate(settings.model_dump(mode="json")) == settings


def test_an_empty_override_is_allowed() -> None:
    settings = AddonsSettings.model_validate(yaml.safe_load("overrides:\n  cilium:\n"))
    assert settings.overrides["cilium"].version is None
