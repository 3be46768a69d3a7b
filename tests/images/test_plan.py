"""Bad image input is refused before any cloud call, naming the option or setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from scs_kaas.errors import SettingsError
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.images import ImageRequest, plan_image


def test_plan_of_the_defaults() -> None:
    plan = plan_image(Settings(), ImageRequest("v1.33.5"))
    assert plan.name == "ubuntu-capi-image-v1.33.5"
    assert plan.url.endswith("ubuntu-2404-kube-v1.33/ubuntu-2404-kube-v1.33.5.qcow2")
    assert plan.checksum_url == plan.url + ".CHECKSUM"
    assert plan.expected is None


def test_every_bad_option_is_named_at_once(tmp_path: Path) -> None:
    request = ImageRequest(
        "v1.33.5", file=tmp_path / "nope", sha256="abc", timeout=0, work_dir=tmp_path / "none"
    )
    with pytest.raises(SettingsError) as caught:
        plan_image(Settings(), request)
    assert [p.setting for p in caught.value.problems] == [
        "--sha256",
        "--file",
        "--work-dir",
        "--timeout",
    ]


def test_bad_templates_are_named() -> None:
    settings = Settings.model_validate({"image": {"name_template": "capi-{kube}"}})
    with pytest.raises(SettingsError) as caught:
        plan_image(settings, ImageRequest("v1.33.5"))
    assert caught.value.problems[0].setting == "image.name_template"
