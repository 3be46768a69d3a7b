"""The management host's local files: state, key pair, and where they live."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from scs_kaas.errors import KaasError, SettingsError
from scs_kaas.ssh.keypair import KeyFiles, ensure_key, fingerprint
from scs_kaas.workflows.mgmt.state import (
    MgmtState,
    Recorded,
    StatePaths,
    check_state_access,
    default_state_dir,
    load_state,
    remove_local_files,
    save_state,
)


def test_default_state_dir_follows_xdg(tmp_path: Path) -> None:
    assert default_state_dir({}, tmp_path) == tmp_path / ".local/state/scs-kaas"
    assert default_state_dir({"XDG_STATE_HOME": "/x"}, tmp_path) == Path("/x/scs-kaas")


def test_state_round_trip_is_private(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    assert load_state(paths, "prod") == MgmtState(prefix="team", cloud="prod")
    state = MgmtState(prefix="team", cloud="prod", key_fingerprint="aa:bb")
    state.resources["network"] = Recorded(id="n-1", name="team-mgmt-net")
    save_state(paths, state)
    assert load_state(paths, "prod") == state
    assert stat.S_IMODE(paths.state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.root.stat().st_mode) == 0o700


def test_state_of_another_cloud_is_refused(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    save_state(paths, MgmtState(prefix="team", cloud="prod"))
    with pytest.raises(KaasError, match="belongs to prefix 'team' on cloud 'prod'"):
        load_state(paths, "staging")


def test_broken_state_file_is_named(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    paths.root.mkdir(parents=True)
    paths.state_file.write_text("{not json")
    with pytest.raises(KaasError, match=r"mgmt\.json is not a valid state file"):
        load_state(paths, "prod")


def test_key_is_ed25519_private_0600_and_stable(tmp_path: Path) -> None:
    files = KeyFiles(tmp_path / "team" / "id_ed25519")
    public = ensure_key(files, "scs-kaas team")
    assert public.startswith("ssh-ed25519 ") and public.endswith(" scs-kaas team")
    assert stat.S_IMODE(files.private.stat().st_mode) == 0o600
    assert files.private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert ensure_key(files, "ignored on reuse") == public
    # ssh-keygen agrees with the MD5 fingerprint Nova shows
    result = subprocess.run(
        ["ssh-keygen", "-l", "-E", "md5", "-f", str(files.public)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split()[1] == "MD5:" + fingerprint(public)


def test_a_missing_or_foreign_public_half_is_rewritten_from_the_private_key(
    tmp_path: Path,
) -> None:
    files = KeyFiles(tmp_path / "id_ed25519")
    public = ensure_key(files, "x")
    files.public.unlink()
    assert ensure_key(files, "x") == public
    other = ensure_key(KeyFiles(tmp_path / "other"), "x")
    files.public.write_text(other + "\n")  # what two unsynchronised runs could leave
    assert ensure_key(files, "x") == public
    assert files.public.read_text() == public + "\n"


def test_an_unreadable_private_key_is_refused(tmp_path: Path) -> None:
    files = KeyFiles(tmp_path / "id_ed25519")
    files.private.write_text("not a key")
    with pytest.raises(KaasError, match="is not an unencrypted OpenSSH private key"):
        ensure_key(files, "x")


def test_fingerprint_rejects_garbage() -> None:
    with pytest.raises(KaasError, match="not an OpenSSH public key"):
        fingerprint("nonsense")


def test_remove_local_files(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path, "team")
    save_state(paths, MgmtState(prefix="team", cloud="prod"))
    ensure_key(KeyFiles(paths.private_key), "x")
    paths.known_hosts.write_text("")
    removed = remove_local_files(paths)
    assert {p.name for p in removed} == {"mgmt.json", "id_ed25519", "id_ed25519.pub", "known_hosts"}
    assert not paths.root.exists()


def test_a_new_state_directory_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """Issue #16 item 14: under `umask 000` mkdir(parents=True) made the state directory 0777."""
    paths = StatePaths(tmp_path / "xdg" / "scs-kaas", "team")
    previous = os.umask(0)
    try:
        save_state(paths, MgmtState(prefix="team", cloud="c"))
    finally:
        os.umask(previous)
    for folder in (tmp_path / "xdg", paths.state_dir, paths.root):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(paths.state_file.stat().st_mode) == 0o600


def test_state_access_is_checked_before_anything_else(tmp_path: Path) -> None:
    check_state_access(StatePaths(tmp_path / "new" / "deeper", "team"))  # can be created
    (tmp_path / "team").write_text("")
    with pytest.raises(SettingsError, match="is not a folder"):
        check_state_access(StatePaths(tmp_path, "team"))
