"""The management cluster's key material."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from scs_kaas.localmgmt.pki import Pki


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_every_certificate_is_signed_by_the_ca_and_keys_are_private(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    pki.ensure()
    ca = _cert(pki.ca_cert)
    for leaf in (pki.serving_cert, pki.webhook_dir / "tls.crt", pki.admin_cert):
        _cert(leaf).verify_directly_issued_by(ca)
    for key in (pki.ca_key, pki.serving_key, pki.webhook_dir / "tls.key", pki.admin_key):
        assert key.stat().st_mode & 0o777 == 0o600
    assert pki.service_account_key.stat().st_mode & 0o777 == 0o600


def test_serving_certificates_name_loopback_and_the_admin_is_a_superuser(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    pki.ensure()
    serving = _cert(pki.serving_cert)
    names = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kubernetes.default.svc" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    admin = _cert(pki.admin_cert)
    organization = admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert [o.value for o in organization] == ["system:masters"]
    usage = admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_ensure_keeps_existing_material(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    pki.ensure()
    before = pki.ca_cert.read_bytes()
    pki.ensure()
    assert pki.ca_cert.read_bytes() == before
