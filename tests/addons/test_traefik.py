"""Traefik is the default ingress controller (ingress-nginx was retired upstream in March 2026):
behind a health-monitored Octavia LB, PROXY protocol on request, cert-manager's HTTP-01 solver
on its class; ingress-nginx only when asked for, warned."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scs_kaas.render.addons import render_addons
from scs_kaas.settings.addons import AddonsSettings
from tests.addons.support import chart_values, context, of_addon, workload_objects

HEALTH = "loadbalancer.openstack.org/enable-health-monitor"
PROXY = "loadbalancer.openstack.org/proxy-protocol"


def test_traefik_is_the_default_behind_a_health_monitored_load_balancer() -> None:
    settings = AddonsSettings()
    objects = render_addons(context(node_cidrs=("10.8.0.0/20",)), settings)
    assert of_addon(objects, "traefik") and not of_addon(objects, "ingress-nginx")
    values = chart_values(objects, "traefik")
    assert values["ingressClass"] == {"enabled": True, "isDefaultClass": True, "name": "traefik"}
    assert values["service"] == {
        "annotations": {HEALTH: "true"},
        "spec": {"externalTrafficPolicy": "Local"},
    }
    assert "ports" not in values
    assert settings.warnings() == []


def test_proxy_protocol_configures_both_ends_and_trusts_only_the_node_network() -> None:
    settings = AddonsSettings(ingress_proxy_protocol=True)
    values = chart_values(render_addons(context(node_cidrs=("10.8.0.0/20",)), settings), "traefik")
    assert values["service"]["annotations"] == {HEALTH: "true", PROXY: "true"}
    for entry_point in ("web", "websecure"):
        assert values["ports"][entry_point] == {"proxyProtocol": {"trustedIPs": ["10.8.0.0/20"]}}


def test_the_letsencrypt_solver_uses_the_chosen_controllers_class() -> None:
    def solver(**chosen: bool) -> dict[str, str]:
        settings = AddonsSettings(
            cert_manager=True, cert_manager_letsencrypt_email="ops@example.org", **chosen
        )
        (issuer,) = [
            o
            for o in workload_objects(render_addons(context(), settings))
            if o["kind"] == "ClusterIssuer"
        ]
        found: dict[str, str] = issuer["spec"]["acme"]["solvers"][0]["http01"]["ingress"]
        return found

    assert solver() == {"ingressClassName": "traefik"}
    assert solver(ingress_nginx=True) == {"ingressClassName": "nginx"}
    assert solver(traefik=False) == {}  # the cluster's default class, whatever it is


def test_ingress_nginx_is_an_explicit_warned_opt_in_that_replaces_traefik() -> None:
    chosen = AddonsSettings(ingress_nginx=True)
    assert (chosen.traefik, chosen.ingress_nginx) == (False, True)
    objects = render_addons(context(), chosen)
    assert of_addon(objects, "ingress-nginx") and not of_addon(objects, "traefik")
    (warning,) = chosen.warnings()
    assert "retired upstream in March 2026" in warning and "addons.ingress_nginx" in warning
    with pytest.raises(ValidationError, match="traefik and ingress_nginx are both on"):
        AddonsSettings(ingress_nginx=True, traefik=True)


def test_the_old_name_of_the_proxy_switch_is_still_read() -> None:
    old = AddonsSettings.model_validate({"ingress_nginx_proxy_protocol": True})
    assert old.ingress_proxy_protocol is True
    with pytest.raises(ValidationError, match="set only ingress_proxy_protocol"):
        AddonsSettings.model_validate(
            {"ingress_nginx_proxy_protocol": True, "ingress_proxy_protocol": False}
        )
