"""The cloud.conf secret never shows up in a ConfigMap, Helm values, a log line or an error."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from scs_kaas.render.addons import AddonRenderError, render_addons
from scs_kaas.settings.addons import AddonsSettings
from tests.addons.support import CA, CLOUD_CONF, SECRET, by_kind, context

EVERYTHING = AddonsSettings(
    cert_manager=True,
    cert_manager_letsencrypt_email="ops@example.org",
    monitoring=True,
    nvidia_gpu_operator=True,
)


def _encodings(text: str) -> list[str]:
    """The secret as it could leak: plain, or base64 of the cloud.conf that holds it."""
    return [text, base64.b64encode(CLOUD_CONF.encode()).decode()]


def test_no_secret_in_config_maps_chart_values_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        objects = render_addons(context(ca_bundle=CA), EVERYTHING)
    assert caplog.records, "the renderer logs what it renders; the check below must see lines"
    public = by_kind(objects, "ConfigMap") + by_kind(objects, "HelmChartProxy")
    public += by_kind(objects, "ClusterResourceSet")
    for leak in _encodings(SECRET):
        assert leak not in json.dumps(public)
        assert leak not in caplog.text
        for record in caplog.records:
            assert leak not in record.getMessage()
    # Plain text appears nowhere, not even in the Secrets (they hold base64 only).
    assert SECRET not in json.dumps(objects)


def test_the_secret_is_delivered_only_through_the_resource_set_secret() -> None:
    objects = render_addons(context(), AddonsSettings())
    carriers = by_kind(objects, "Secret")
    assert [c["metadata"]["name"] for c in carriers] == ["prod-cloud-config-manifests"]
    (inner_text,) = [base64.b64decode(v).decode() for v in carriers[0]["data"].values()]
    assert SECRET not in inner_text  # still base64 inside the workload Secret manifest
    assert "kind: Secret" in inner_text


def test_errors_and_reprs_do_not_show_the_cloud_conf() -> None:
    broken = f"[Global\napplication-credential-secret={SECRET}\n"
    with pytest.raises(AddonRenderError) as error:
        render_addons(context(cloud_conf=broken), AddonsSettings())
    assert SECRET not in str(error.value)
    assert SECRET not in repr(context())
