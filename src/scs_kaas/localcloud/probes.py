"""Does a service answer? Any HTTP response counts: a 401 still proves the API is serving."""

from __future__ import annotations

import urllib.error
import urllib.request

from scs_kaas.localcloud.ports import LOOPBACK, port_answers
from scs_kaas.localcloud.services import Kind, Service


def http_answers(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 - loopback http only
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def service_answers(service: Service) -> bool:
    if service.port is None:
        return False
    if service.kind is Kind.API:
        return http_answers(f"http://{LOOPBACK}:{service.port}{service.probe_path}")
    return port_answers(service.port)
