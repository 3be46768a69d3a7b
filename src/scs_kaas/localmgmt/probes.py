"""Is a process of the management cluster ready? HTTP(S) health endpoints and TLS handshakes."""

from __future__ import annotations

import socket
import ssl
import urllib.error
import urllib.request

from scs_kaas.localmgmt.pki import Pki


def _context(pki: Pki) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    context.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
    return context


def answers(url: str, pki: Pki, timeout: float = 2.0) -> bool:
    """True if `url` answers 200 (HTTPS verified against our CA, with the admin certificate)."""
    context = _context(pki) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def serves_tls(port: int, pki: Pki, timeout: float = 2.0) -> bool:
    """True if 127.0.0.1:`port` completes a TLS handshake with a certificate of our CA."""
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1"),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False
