"""The one place where the Kubernetes client library's exceptions become the tool's errors.

`translated` wraps every call the adapter (`kube/`) makes; `describe` says what failed in one
short line without the headers and bodies (which may carry tokens and secrets) the library's
own messages include.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import urllib3
import yaml
from kubernetes.client.exceptions import ApiException

from scs_kaas.errors import ClusterError, Conflict, NotFound, WaitTimeout

# What the client library raises when a call fails: the server's answer or the lack of one.
LIBRARY_ERRORS = (ApiException, urllib3.exceptions.HTTPError, OSError)


@contextlib.contextmanager
def translated(action: str, *, secret: bool = False) -> Iterator[None]:
    """Turn what the client library raises in the block into the tool's error for `action`
    ("reading Cluster ns/name"): the one place where the library's exceptions are mapped.

    The message is `<action> failed: <what the server said>` (`describe`); the class tells what
    went wrong: `NotFound` (HTTP 404), `Conflict` (409), `WaitTimeout` (no answer in time), else
    `ClusterError`. The library's exception stays the cause, unless `secret`: a call that
    sent or read a secret, whose exception's text (headers and body) may echo it.
    """
    try:
        yield
    except LIBRARY_ERRORS as error:
        failure = _failure(error, f"{action} failed: {describe(error)}")
        if secret:
            raise failure from None
        raise failure from error


def _failure(error: BaseException, message: str) -> ClusterError:
    if isinstance(error, ApiException):
        if error.status == 404:
            return NotFound(message)
        if error.status == 409:
            return Conflict(message)
    if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason
    if isinstance(error, urllib3.exceptions.TimeoutError | TimeoutError):
        return WaitTimeout(message)
    return ClusterError(message)


def describe(error: BaseException) -> str:
    """A short, secret-free description of a failed API call.

    `str(ApiException)` includes response headers and the whole body; the Status message is
    enough and is what kubectl shows.
    """
    if isinstance(error, ApiException):
        message = error.reason or ""
        body = error.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        if isinstance(body, str):
            try:
                status = yaml.safe_load(body)
            except yaml.YAMLError:
                status = None
            if isinstance(status, dict) and status.get("message"):
                message = str(status["message"])
        return f"HTTP {error.status}: {message[:300]}"
    if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason
    # urllib3 and socket errors name the host, port and path, never headers or bodies.
    return f"{type(error).__name__}: {str(error)[:300]}"
