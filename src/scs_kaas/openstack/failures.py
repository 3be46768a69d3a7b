"""A refused OpenStack call as one CloudError: which resource, what the cloud said, what to do.

The adapters wrap each call that makes or changes something in `cloud_call`, naming the
resource, so no workflow sees a raw openstacksdk exception (which printed as a traceback).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from keystoneauth1 import exceptions as auth_exceptions
from openstack import exceptions

from scs_kaas.errors import CloudError

MAX_SAID = 500  # the cloud's message; Nova's fault texts can be long

QUOTA = (
    "the project's quota does not allow it: free some of these resources or ask the cloud's "
    "operator for a larger quota; `kaas cloud check` compares the quotas with what is needed"
)
CONFLICT = (
    "it conflicts with what the cloud holds (made meanwhile by someone else?): look at it in "
    "the cloud, then run the command again"
)
INVALID = "the cloud rejected the request as invalid"
BY_STATUS = {
    401: "the credential is not (or no longer) valid: renew it in clouds.yaml",
    403: "this credential may not do this: ask the cloud's operator for the role it needs",
    404: "something it needs is gone (deleted meanwhile?): run the command again",
}
SERVER_SIDE = "the cloud failed: run the command again later, or ask its operator"


def _said(error: exceptions.HttpException) -> str:
    text = " ".join(str(error.details or error.message or type(error).__name__).split())
    return text if len(text) <= MAX_SAID else text[: MAX_SAID - 3] + "..."


def _is_quota(error: exceptions.HttpException) -> bool:
    # Neutron says 409 OverQuota, Nova 403, Cinder 413: all say "quota"
    return error.status_code == 413 or "quota" in _said(error).lower()


def _advice(error: exceptions.HttpException, conflict: str | None, invalid: str | None) -> str:
    status = error.status_code or 0
    if _is_quota(error):
        return QUOTA
    if status == 409:
        return conflict or CONFLICT
    if status == 400:
        return invalid or INVALID
    if status >= 500:
        return SERVER_SIDE + (f" (request {error.request_id})" if error.request_id else "")
    return BY_STATUS.get(status, "see `kaas -v` for the request")


def cloud_error(
    error: exceptions.HttpException | auth_exceptions.ConnectionError,
    resource: str,
    conflict: str | None = None,
    invalid: str | None = None,
) -> CloudError:
    """The CloudError for `error` of a call on `resource` ("network demo-mgmt-net").

    `conflict` and `invalid` are what to do about a 409 or a 400 of this call in particular.
    """
    if isinstance(error, exceptions.HttpException):
        status = error.status_code or "?"
        return CloudError(
            f"{resource}: the cloud refused it (HTTP {status}: {_said(error)}); "
            f"{_advice(error, conflict, invalid)}"
        )
    # no answer at all: an endpoint that does not listen, a TLS failure, a timeout
    return CloudError(f"{resource}: the cloud did not answer ({error}); check its endpoints")


@contextmanager
def cloud_call(
    resource: str, conflict: str | None = None, invalid: str | None = None
) -> Iterator[None]:
    """Turn a refused call on `resource` into `cloud_error`'s CloudError."""
    try:
        yield
    except (exceptions.HttpException, auth_exceptions.ConnectionError) as error:
        raise cloud_error(error, resource, conflict, invalid) from None


def unnamed_cloud_error(error: Exception) -> CloudError | None:
    """The CloudError of an openstacksdk error no adapter wrapped (a read, mostly), so that the
    CLI still prints one message instead of a traceback; None for any other exception."""
    if isinstance(error, exceptions.HttpException):
        request = f"{_text(error.method)} {_text(error.url)}" if error.url else "a request"
        return cloud_error(error, request)
    if isinstance(error, auth_exceptions.ConnectionError):
        return cloud_error(error, "a request to the cloud")
    if isinstance(error, exceptions.SDKException | auth_exceptions.ClientException):
        return CloudError(f"a request to the cloud failed: {error}")
    return None


def _text(value: str | bytes | None) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
