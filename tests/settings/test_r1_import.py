from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scs_kaas.errors import SettingsError
from scs_kaas.settings.r1_import import convert_r1
from tests.support.cli import kaas

TFVARS = """\
# an R1 environment (terraform/environments/environment-gx-scs.tfvars)
cloud_provider    = "gx-scs"
availability_zone = "nova"
external          = "ext01"
kind_flavor       = "SCS-1V:4:10"
controller_flavor = "SCS-2V:4:20s"
worker_flavor     = "SCS-2V:4:20"
kubernetes_version = "v1.21.5"
kind_mtu          = 1400
worker_count      = 3
controller_count  = 1
node_cidr         = "10.8.0.0/20"
deploy_nginx_ingress = true
deploy_metrics_service = false
kube_image_raw = false
image_registration_extra_flags = "--property foo=bar"
"""
CLUSTERCTL = """\
KUBERNETES_VERSION: v1.33.5
WORKER_MACHINE_COUNT: 2
OPENSTACK_CLOUD_YAML_B64: c2VjcmV0
OPENSTACK_IMAGE_NAME: ubuntu-capi-image-v1.21.5
MTU_VALUE: 1450
"""


def test_tfvars_and_clusterctl_convert() -> None:
    conversion = convert_r1(TFVARS, CLUSTERCTL)
    assert conversion.environment == {
        "cloud": "gx-scs",
        "availability_zone": "nova",
        "external_network": "ext01",
        "management": {"flavor": "SCS-1V-4-10"},
        "control_plane": {"flavor": "SCS-2V-4-20s", "count": 1},
        "node_group_defaults": {"flavor": "SCS-2V-4-20"},
        "network": {"mtu": 1400, "node_cidr": "10.8.0.0/20"},
        "node_groups": [{"name": "md-0", "count": 3}],
        "addons": {"ingress_nginx": True, "metrics_server": False},
        "image": {"raw": False},
    }
    assert conversion.cluster == {
        "kubernetes_version": "v1.33.5",
        "node_groups": [{"name": "md-0", "count": 2}],
        "network": {"mtu": 1450},
    }
    unmapped = dict(conversion.unmapped)
    assert set(unmapped) == {
        "kubernetes_version",
        "image_registration_extra_flags",
        "OPENSTACK_CLOUD_YAML_B64",
        "OPENSTACK_IMAGE_NAME",
    }
    assert "not supported" in unmapped["kubernetes_version"]
    assert "never imported" in unmapped["OPENSTACK_CLOUD_YAML_B64"]


def test_controller_count_zero_is_named_not_mapped() -> None:
    conversion = convert_r1("controller_count = 0\n")
    assert conversion.environment == {}
    assert conversion.unmapped[0][0] == "controller_count"


def test_broken_hcl_is_an_input_error() -> None:
    with pytest.raises(SettingsError, match="not valid HCL"):
        convert_r1('cloud_provider = "unterminated\n')


def test_cli_writes_valid_files_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "r1.tfvars").write_text(TFVARS)
    (tmp_path / "clusterctl.yaml").write_text(CLUSTERCTL)
    out = tmp_path / "env"
    args = ["config", "import-r1", str(tmp_path / "r1.tfvars"), str(tmp_path / "clusterctl.yaml")]
    result = kaas(*args, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "not mapped: OPENSTACK_CLOUD_YAML_B64" in result.stderr
    assert "c2VjcmV0" not in (out / "environment.yaml").read_text()
    cluster = yaml.safe_load((out / "clusters" / "testcluster.yaml").read_text())
    assert cluster["kubernetes_version"] == "v1.33.5"
    rendered = kaas("cluster", "render", "testcluster", "--env", str(out), "-o", "json")
    assert rendered.exit_code == 0, rendered.stderr
    again = kaas(*args, "--out", str(out))
    assert again.exit_code == 2
    assert "use --force" in again.stderr


def test_cli_writes_nothing_when_the_result_is_invalid(tmp_path: Path) -> None:
    (tmp_path / "r1.tfvars").write_text('kind_mtu = 100\ncloud_provider = "x"\n')
    result = kaas(
        "config", "import-r1", str(tmp_path / "r1.tfvars"), "--out", str(tmp_path / "env")
    )
    assert result.exit_code == 2
    assert "network.mtu" in result.stderr
    assert not (tmp_path / "env").exists()


@pytest.mark.parametrize(
    ("tfvars", "clusterctl", "key"),
    [
        ('kind_mtu = "auto"\n', None, "kind_mtu"),
        ('controller_count = "three"\n', None, "controller_count"),
        ("worker_count = 2.5\n", None, "worker_count"),
        ("worker_count = true\n", None, "worker_count"),
        ("", "MTU_VALUE: jumbo\n", "MTU_VALUE"),
        ("", "WORKER_MACHINE_COUNT: [1]\n", "WORKER_MACHINE_COUNT"),
    ],
)
def test_non_numeric_counts_and_mtus_are_input_errors(
    tfvars: str, clusterctl: str | None, key: str
) -> None:
    """Issue #16 item 5: a bare int() gave a ValueError traceback."""
    with pytest.raises(SettingsError) as caught:
        convert_r1(tfvars, clusterctl)
    (problem,) = caught.value.problems
    assert (problem.setting, problem.message) == (key, "must be a whole number")


def test_counts_written_as_strings_of_digits_still_convert() -> None:
    conversion = convert_r1('kind_mtu = "1450"\nworker_count = " 4 "\n', "MTU_VALUE: '1400'\n")
    assert conversion.environment["network"] == {"mtu": 1450}
    assert conversion.environment["node_groups"] == [{"name": "md-0", "count": 4}]
    assert conversion.cluster["network"] == {"mtu": 1400}


@pytest.mark.parametrize("which", ["tfvars", "clusterctl.yaml"])
def test_binary_r1_files_are_input_errors(tmp_path: Path, which: str) -> None:
    """Issue #16 item 2: a UnicodeDecodeError traceback (only OSError was caught)."""
    (tmp_path / "r1.tfvars").write_text(TFVARS)
    (tmp_path / "clusterctl.yaml").write_text(CLUSTERCTL)
    (tmp_path / ("r1.tfvars" if which == "tfvars" else which)).write_bytes(b"\x89PNG\r\n\x1a\n\xff")
    result = kaas(
        "config", "import-r1", str(tmp_path / "r1.tfvars"), str(tmp_path / "clusterctl.yaml"),
        "--out", str(tmp_path / "env"),
    )  # fmt: skip
    assert result.exit_code == 2, result
    assert f"- {which}: " in result.stderr and "is not UTF-8 text" in result.stderr
    assert not (tmp_path / "env").exists()


def test_deep_or_long_tfvars_are_refused_before_the_hcl_parser() -> None:
    """python-hcl2 took half a minute to overflow on 50,000 brackets, 80 s for 50,000 lines."""
    with pytest.raises(SettingsError, match="nested deeper than 64 levels"):
        convert_r1("a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(SettingsError, match="has 50001 lines"):
        convert_r1("".join(f"k{i} = {i}\n" for i in range(50_000)))
    assert convert_r1('a = "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\n')


def test_an_out_that_is_a_file_is_an_input_error(tmp_path: Path) -> None:
    """Issue #16 item 4: FileExistsError from mkdir."""
    (tmp_path / "r1.tfvars").write_text(TFVARS)
    (tmp_path / "file").write_text("")
    result = kaas(
        "config", "import-r1", str(tmp_path / "r1.tfvars"), "--out", str(tmp_path / "file")
    )
    assert result.exit_code == 2, result
    assert "- --out: " in result.stderr and "is a file; name a folder" in result.stderr
