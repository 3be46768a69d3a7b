"""The node image's name, URL, properties, min_disk and checksum parsing (pure)."""

from __future__ import annotations

import pytest

from scs_kaas.errors import SettingsError
from scs_kaas.render.image_properties import (
    Checksum,
    checksum_of,
    checksum_url,
    image_name,
    image_properties,
    image_url,
    min_disk_gib,
    minor_version,
    parse_checksum,
)
from scs_kaas.settings.management import ImageSettings

SHA256 = "a" * 64
SHA512 = "b" * 128


def test_default_name_and_url_carry_the_v_of_the_version() -> None:
    settings = ImageSettings()
    assert image_name(settings, "v1.34.1") == "ubuntu-capi-image-v1.34.1"
    url = image_url(settings, "v1.34.1")
    assert url.endswith("/ubuntu-2404-kube-v1.34/ubuntu-2404-kube-v1.34.1.qcow2")
    assert checksum_url(url) == url + ".CHECKSUM"
    assert minor_version("v1.34.1") == "v1.34"


@pytest.mark.parametrize(
    ("field", "template"),
    [
        ("name_template", "ubuntu-capi-image"),
        ("name_template", "image-{version}-{arch}"),
        ("url_template", "https://x/{release}.qcow2"),
        ("url_template", "ftp://x/{version}.qcow2"),
    ],
)
def test_bad_templates_name_the_setting(field: str, template: str) -> None:
    settings = ImageSettings.model_validate({field: template})
    with pytest.raises(SettingsError) as caught:
        image_name(settings, "v1.34.1") if field == "name_template" else image_url(
            settings, "v1.34.1"
        )
    assert caught.value.problems[0].setting == f"image.{field}"


def test_properties_are_r1_scs_metadata_plus_ownership() -> None:
    settings = ImageSettings(
        os_version="24.04", extra_properties={"hw_vif_multiqueue_enabled": "true"}
    )
    properties = image_properties(settings, "capi", "v1.34.1", "https://x/y.qcow2", "2026-11-01")
    assert properties == {
        "architecture": "x86_64",
        "hypervisor_type": "kvm",
        "os_distro": "ubuntu",
        "os_purpose": "k8snode",
        "hw_disk_bus": "scsi",
        "hw_scsi_model": "virtio-scsi",
        "hw_rng_model": "virtio",
        "image_original_user": "ubuntu",
        "os_version": "24.04",
        "image_build_date": "2026-11-01",
        "image_source": "https://x/y.qcow2",
        "hw_vif_multiqueue_enabled": "true",
        "kubernetes_version": "v1.34.1",
        "managed_by": "scs-kaas",
        "kaas_prefix": "capi",
    }


def test_extra_properties_cannot_replace_ownership() -> None:
    settings = ImageSettings(extra_properties={"managed_by": "me", "kaas_prefix": "x"})
    with pytest.raises(SettingsError) as caught:
        image_properties(settings, "capi", "v1.34.1", "u", "d")
    assert [p.setting for p in caught.value.problems] == [
        "image.extra_properties.managed_by",
        "image.extra_properties.kaas_prefix",
    ]


@pytest.mark.parametrize(
    ("size", "gib"),
    [(1, 1), (2**30, 1), (2**30 + 1, 2), (64 * 2**20, 1), (20 * 2**30, 20), (int(2.2 * 2**30), 3)],
)
def test_min_disk_rounds_the_virtual_size_up(size: int, gib: int) -> None:
    assert min_disk_gib(size) == gib


def test_min_disk_refuses_a_zero_size() -> None:
    # R1's typo registered min_disk=0; a zero size is an error, never a silent 0
    with pytest.raises(ValueError, match="positive"):
        min_disk_gib(0)


@pytest.mark.parametrize(
    "text",
    [
        f"{SHA256}  img.qcow2\n",
        f"{SHA256} *img.qcow2\n",
        f"SHA256 (img.qcow2) = {SHA256}\n",
        f"{SHA256}\n",
        f"# comment\n{'c' * 64}  other.qcow2\n{SHA256}  img.qcow2\n",
    ],
)
def test_checksum_files_in_the_common_formats(text: str) -> None:
    assert parse_checksum(text, "img.qcow2") == Checksum("sha256", SHA256)


def test_sha512_by_its_length_and_prefixed_digests() -> None:
    assert parse_checksum(f"{SHA512}  img.qcow2", "img.qcow2").algorithm == "sha512"
    assert checksum_of(f"sha256:{SHA256.upper()}") == Checksum("sha256", SHA256)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{SHA256}  a.qcow2\n{'c' * 64}  b.qcow2\n", "no single entry"),
        ("", "no single entry"),
        ("d41d8cd98f00b204e9800998ecf8427e  img.qcow2", "SHA-256"),
        (f"sha512:{SHA256}", "SHA-256"),
        ("z" * 64, "SHA-256"),
    ],
)
def test_unusable_checksum_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_checksum(text, "img.qcow2")
