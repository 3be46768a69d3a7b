from __future__ import annotations

from pathlib import Path

import pytest

from scs_kaas.errors import SettingsError
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings, load_cluster_settings
from scs_kaas.versions import DEFAULT_KUBERNETES_VERSION


def _env(tmp_path: Path, environment: str, cluster: str | None = None) -> Path:
    (tmp_path / "environment.yaml").write_text(environment)
    if cluster is not None:
        (tmp_path / "clusters").mkdir()
        (tmp_path / "clusters" / "prod.yaml").write_text(cluster)
    return tmp_path


def _problems(error: pytest.ExceptionInfo[SettingsError]) -> dict[str, str]:
    return {p.setting: str(p) for p in error.value.problems}


def test_built_in_defaults() -> None:
    settings = build_settings("demo", []).settings
    assert settings.prefix == "capi"
    assert settings.kubernetes_version == DEFAULT_KUBERNETES_VERSION
    assert settings.control_plane.flavor == "SCS-2V-4-20s"
    assert settings.node_groups[0].flavor == "SCS-2V-4"
    assert settings.node_groups[0].count == 3
    assert settings.network.node_cidr == "10.8.0.0/20"
    assert settings.network.mtu == 1400
    assert settings.management.image == "Ubuntu 24.04"
    assert settings.namespace_for("demo") == "capi-demo"  # unique per prefix


def test_layers_override_in_order_and_record_their_source(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        "prefix: team\nnetwork:\n  mtu: 1450\n  node_cidr: 10.9.0.0/20\n",
        "network:\n  mtu: 1500\n",
    )
    loaded = load_cluster_settings(
        "prod", env, assignments=["network.node_cidr=10.10.0.0/20"], os_cloud="mycloud"
    )
    settings = loaded.settings
    assert (settings.prefix, settings.cloud) == ("team", "mycloud")
    assert settings.network.mtu == 1500
    assert settings.network.node_cidr == "10.10.0.0/20"
    sources = {setting: source for setting, _, source in loaded.provenance()}
    assert sources["prefix"] == f"environment file {env / 'environment.yaml'}:1"
    assert sources["network.mtu"] == f"cluster file {env / 'clusters' / 'prod.yaml'}:2"
    assert sources["network.node_cidr"] == "flag --set"
    assert sources["cloud"] == "environment variable OS_CLOUD"
    assert sources["network.pod_cidr"] == "built-in default"


def test_node_group_defaults_apply_to_each_group_and_the_group_wins() -> None:
    layer = Layer(
        "test",
        {
            "node_group_defaults": {"flavor": "SCS-4V-8-50", "labels": {"tier": "app"}},
            "node_groups": [{"name": "a"}, {"name": "b", "flavor": "SCS-2V-4-20s"}],
        },
    )
    groups = build_settings("demo", [layer]).settings.node_groups
    assert [(g.name, g.flavor, dict(g.labels)) for g in groups] == [
        ("a", "SCS-4V-8-50", {"tier": "app"}),
        ("b", "SCS-2V-4-20s", {"tier": "app"}),
    ]


def test_yaml_float_keeps_its_text_for_versions(tmp_path: Path) -> None:
    env = _env(tmp_path, "kubernetes_version: 1.33\n")
    assert load_cluster_settings("prod", env).settings.kubernetes_version == "v1.33.5"


def test_unknown_key_suggests_the_closest_and_names_file_and_line(tmp_path: Path) -> None:
    env = _env(tmp_path, "network:\n  mtu: 1400\n  nodecidr: 10.0.0.0/16\n")
    with pytest.raises(SettingsError) as error:
        load_cluster_settings("prod", env)
    message = _problems(error)["network.nodecidr"]
    assert "did you mean 'node_cidr'?" in message
    assert "environment.yaml:3" in message


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    env = _env(tmp_path, "network:\n  mtu: [1400\nprefix: x\n")
    with pytest.raises(SettingsError) as error:
        load_cluster_settings("prod", env)
    (problem,) = error.value.problems
    assert problem.setting.startswith(f"{env / 'environment.yaml'}:3:")
    assert "invalid YAML" in problem.message


def test_duplicate_yaml_key_is_rejected(tmp_path: Path) -> None:
    env = _env(tmp_path, "prefix: a\nprefix: b\n")
    with pytest.raises(SettingsError, match="prefix: is given twice"):
        load_cluster_settings("prod", env)


def test_every_problem_is_reported_at_once() -> None:
    layer = Layer(
        "test",
        {
            "network": {"mtu": 100, "pod_cidr": "10.8.1.0/24"},
            "control_plane": {"count": 2},
            "node_groups": [{"name": "a"}, {"name": "a"}],
        },
    )
    with pytest.raises(SettingsError) as error:
        build_settings("demo", [layer])
    problems = _problems(error)
    assert set(problems) == {"network.mtu", "control_plane.count"}
    # Cross-field checks run once the fields themselves are valid.
    layer = Layer(
        "test",
        {"network": {"pod_cidr": "10.8.1.0/24"}, "node_groups": [{"name": "a"}, {"name": "a"}]},
    )
    with pytest.raises(SettingsError) as error:
        build_settings("demo", [layer])
    problems = _problems(error)
    assert set(problems) == {"network.pod_cidr", "node_groups[1].name"}
    assert "overlaps network.node_cidr 10.8.0.0/20" in problems["network.pod_cidr"]


def test_cluster_name_must_leave_room_for_machine_hostnames() -> None:
    layer = Layer("test", {"node_groups": [{"name": "a" * 20}]})
    with pytest.raises(SettingsError, match="hostnames allow 63"):
        build_settings("c" * 40, [layer])
    assert build_settings("c" * 40, []).settings


def test_the_management_host_name_is_reserved() -> None:
    with pytest.raises(SettingsError, match="'mgmt' is reserved"):
        build_settings("mgmt", [])


def test_missing_cluster_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="file not found"):
        load_cluster_settings("prod", tmp_path, tmp_path / "nope.yaml")


def test_malformed_set_flag() -> None:
    with pytest.raises(SettingsError, match=r"KEY\.PATH=VALUE"):
        load_cluster_settings("prod", None, assignments=["network.mtu"])


def test_the_unused_cgroup_driver_setting_is_gone() -> None:
    """kubeadm.cgroup_driver was never rendered (kubeadm defaults the kubelet to systemd)."""
    with pytest.raises(SettingsError, match="cgroup_driver"):
        build_settings("prod", [Layer("test", {"kubeadm": {"cgroup_driver": "systemd"}})])
