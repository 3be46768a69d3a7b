"""Bad image input is refused before any cloud call, naming the option or setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from scs_kaas.errors import SettingsError
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.image import ensure as image_ensure
from scs_kaas.workflows.image.ensure import ImageRequest
from tests.support.cli import kaas


def test_plan_of_the_defaults() -> None:
    plan = image_ensure.plan(Settings(), ImageRequest("v1.33.5"))
    assert plan.name == "ubuntu-capi-image-v1.33.5"
    assert plan.url.endswith("ubuntu-2404-kube-v1.33/ubuntu-2404-kube-v1.33.5.qcow2")
    assert plan.checksum_url == plan.url + ".CHECKSUM"
    assert plan.expected is None


def test_every_bad_option_is_named_at_once(tmp_path: Path) -> None:
    request = ImageRequest(
        "v1.33.5", file=tmp_path / "nope", sha256="abc", timeout=0, work_dir=tmp_path / "none"
    )
    with pytest.raises(SettingsError) as caught:
        image_ensure.plan(Settings(), request)
    assert [p.setting for p in caught.value.problems] == [
        "--sha256",
        "--file",
        "--work-dir",
        "--timeout",
    ]


def test_bad_templates_are_named() -> None:
    settings = Settings.model_validate({"image": {"name_template": "capi-{kube}"}})
    with pytest.raises(SettingsError) as caught:
        image_ensure.plan(settings, ImageRequest("v1.33.5"))
    assert caught.value.problems[0].setting == "image.name_template"


def test_a_file_that_is_no_node_image_is_refused_before_the_cloud(tmp_path: Path) -> None:
    """Issue #16 item 10: 1 MB of random bytes or a YAML file became every prefix's node image.
    `kaas image ensure` fails in image_ensure.plan, before it connects (no clouds.yaml here)."""
    (tmp_path / "random.img").write_bytes(bytes(range(256)) * 4096)
    (tmp_path / "tiny.yaml").write_text("a: b\n")
    for name in ("random.img", "tiny.yaml"):
        with pytest.raises(SettingsError) as caught:
            image_ensure.plan(Settings(), ImageRequest("v1.33.5", file=tmp_path / name))
        (problem,) = caught.value.problems
        assert problem.setting == "--file" and "a node image has 64 MiB" in problem.message
        result = kaas("image", "ensure", "-e", str(tmp_path), "--file", str(tmp_path / name))
        assert result.exit_code == 2, result
        assert "- --file: " in result.stderr and "virtual size" in result.stderr
