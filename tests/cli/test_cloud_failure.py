"""A cloud library error no adapter named still ends as one message with exit 1."""

from __future__ import annotations

from keystoneauth1 import exceptions as auth_exceptions
from openstack import exceptions

from scs_kaas.cli.app import _cloud_failure


def test_an_unnamed_cloud_error_becomes_one_message() -> None:
    refused = _cloud_failure(exceptions.HttpException(message="Error", details="Conflict here"))
    assert refused is not None and refused.exit_code == 1
    assert str(refused).startswith("a request: the cloud refused it (HTTP ?: Conflict here); ")
    unreachable = _cloud_failure(auth_exceptions.ConnectFailure("Unable to establish connection"))
    assert unreachable is not None
    assert "the cloud did not answer (Unable to establish connection)" in str(unreachable)
    other = _cloud_failure(exceptions.SDKException("no such service"))
    assert other is not None and "a request to the cloud failed: no such service" in str(other)


def test_other_errors_stay_what_they_are() -> None:
    assert _cloud_failure(ValueError("a bug")) is None
    assert _cloud_failure(KeyError("x")) is None
