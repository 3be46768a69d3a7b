"""known_hosts editing, checked against OpenSSH's own reading of the file (ssh-keygen -F/-H)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from scs_kaas.ssh.known_hosts import has_host, names, with_host_keys
from tests.support.host_key_samples import ECDSA, ED25519, REBUILT

ADDRESS = "203.0.113.7"
OTHER = f"198.51.100.1 {ED25519.type} {ED25519.key}\n"


def _ssh_keygen_finds(path: Path, address: str) -> list[str]:
    """The key lines OpenSSH itself would use for `address` (`ssh-keygen -F`)."""
    result = subprocess.run(
        ["ssh-keygen", "-F", address, "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if line and not line.startswith("#")]


def test_keys_replace_older_lines_for_the_address_only(tmp_path: Path) -> None:
    old = f"# comment\n{ADDRESS} {REBUILT.type} {REBUILT.key}\n{OTHER}"
    text = with_host_keys(old, ADDRESS, (ED25519, ECDSA))
    assert text == (
        f"# comment\n{OTHER}"
        f"{ADDRESS} {ED25519.type} {ED25519.key}\n"
        f"{ADDRESS} {ECDSA.type} {ECDSA.key}\n"
    )
    path = tmp_path / "known_hosts"
    path.write_text(text)
    assert _ssh_keygen_finds(path, ADDRESS) == [
        f"{ADDRESS} {ED25519.type} {ED25519.key}",
        f"{ADDRESS} {ECDSA.type} {ECDSA.key}",
    ]
    assert with_host_keys("", ADDRESS, ()) == ""


def test_hashed_lines_written_by_ssh_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"{ADDRESS} {REBUILT.type} {REBUILT.key}\n{OTHER}")
    subprocess.run(["ssh-keygen", "-H", "-f", str(path)], capture_output=True, check=True)
    hashed = path.read_text()
    assert ADDRESS not in hashed and hashed.count("|1|") == 2
    assert has_host(hashed, ADDRESS) and has_host(hashed, "198.51.100.1")
    assert not has_host(hashed, "203.0.113.70")
    replaced = with_host_keys(hashed, ADDRESS, (ED25519,))
    path.write_text(replaced)
    assert _ssh_keygen_finds(path, ADDRESS) == [f"{ADDRESS} {ED25519.type} {ED25519.key}"]
    assert len(_ssh_keygen_finds(path, "198.51.100.1")) == 1


def test_which_lines_name_an_address() -> None:
    assert names(f"a.example,{ADDRESS} {ED25519.type} {ED25519.key}", ADDRESS)
    assert not names(f"{ADDRESS}0 {ED25519.type} {ED25519.key}", ADDRESS)
    assert not names(f"@revoked {ADDRESS} {ED25519.type} {ED25519.key}", ADDRESS)
    assert not names(f"# {ADDRESS}", ADDRESS)
    assert not names("|1|not base64|x ssh-ed25519 AAAA", ADDRESS)
    assert not names("", ADDRESS)
