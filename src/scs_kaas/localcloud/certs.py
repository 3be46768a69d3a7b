"""The throwaway CA Octavia insists on (its noop amphora driver never uses it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from scs_kaas.errors import CloudError


def ensure_octavia_ca(certs: Path) -> None:
    key, cert = certs / "ca.key", certs / "ca.pem"
    if key.exists() and cert.exists():
        return
    certs.mkdir(parents=True, exist_ok=True)
    command = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "365",
        "-subj",
        "/CN=localcloud-octavia-ca",
        "-keyout",
        str(key),
        "-out",
        str(cert),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CloudError(f"openssl could not make Octavia's CA: {result.stderr.strip()}")
    (certs / "client.pem").write_text(
        cert.read_text(encoding="utf-8") + key.read_text(encoding="utf-8"), encoding="utf-8"
    )
