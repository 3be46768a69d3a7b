"""The management cluster's key material: one CA, the API server's and the webhooks' serving
certificates, the service-account signing key and an admin client certificate.

Generated once per state folder with `cryptography`; private keys are written 0600.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from scs_kaas.files import write_atomic

_VALIDITY = datetime.timedelta(days=3650)
LOOPBACK_NAMES = ("localhost",)
LOOPBACK_IPS = ("127.0.0.1",)
# The in-cluster names of the API server, so a kubeconfig for `kubernetes.default` verifies too.
APISERVER_NAMES = (
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


@dataclass(frozen=True)
class Pki:
    """Paths of the key material under one folder."""

    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    @property
    def serving_cert(self) -> Path:
        return self.root / "serving.crt"

    @property
    def serving_key(self) -> Path:
        return self.root / "serving.key"

    @property
    def webhook_dir(self) -> Path:
        """tls.crt/tls.key as controller-runtime's `--webhook-cert-dir` expects them."""
        return self.root / "webhook"

    @property
    def service_account_key(self) -> Path:
        return self.root / "sa.key"

    @property
    def service_account_pub(self) -> Path:
        return self.root / "sa.pub"

    @property
    def admin_cert(self) -> Path:
        return self.root / "admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.root / "admin.key"

    def exists(self) -> bool:
        return all(
            p.is_file()
            for p in (
                self.ca_cert,
                self.serving_cert,
                self.webhook_dir / "tls.crt",
                self.service_account_key,
                self.admin_cert,
            )
        )

    def ca_pem(self) -> bytes:
        return self.ca_cert.read_bytes()

    def ensure(self, now: datetime.datetime | None = None) -> None:
        """Create whatever is missing; existing material is kept (clients keep trusting it)."""
        if self.exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        start = (now or datetime.datetime.now(datetime.UTC)) - datetime.timedelta(minutes=5)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scs-kaas local management")])
        ca = (
            _builder(ca_name, ca_name, ca_key.public_key(), start)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(self.ca_key, ca_key)
        self.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        names = (*LOOPBACK_NAMES, *APISERVER_NAMES)
        self._leaf(ca, ca_key, "kube-apiserver", None, names, self.serving_cert, self.serving_key)
        self.webhook_dir.mkdir(exist_ok=True)
        self._leaf(
            ca,
            ca_key,
            "webhooks",
            None,
            LOOPBACK_NAMES,
            self.webhook_dir / "tls.crt",
            self.webhook_dir / "tls.key",
        )
        # system:masters makes the admin a superuser without any RBAC object.
        self._leaf(ca, ca_key, "kaas-admin", "system:masters", (), self.admin_cert, self.admin_key)
        sa_key = ec.generate_private_key(ec.SECP256R1())
        _write_key(self.service_account_key, sa_key)
        self.service_account_pub.write_bytes(
            sa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def _leaf(
        self,
        ca: x509.Certificate,
        ca_key: ec.EllipticCurvePrivateKey,
        common_name: str,
        organization: str | None,
        dns_names: tuple[str, ...],
        cert_path: Path,
        key_path: Path,
    ) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organization:
            attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        start = ca.not_valid_before_utc
        builder = _builder(x509.Name(attributes), ca.subject, key.public_key(), start)
        builder = builder.add_extension(_usage(cert_sign=False), critical=True)
        if dns_names:
            alt: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
            alt += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in LOOPBACK_IPS]
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
            purpose = [ExtendedKeyUsageOID.SERVER_AUTH]
        else:
            purpose = [ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(purpose), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        _write_key(key_path, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    start: datetime.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + _VALIDITY)
    )


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomic(path, pem.decode(), mode=0o600)
