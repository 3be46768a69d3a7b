"""Downloads: streamed, hashed, dated, and their failures named (127.0.0.1 HTTP server)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from scs_kaas.errors import Cancelled, KaasError
from scs_kaas.workflows.image.download import download, fetch_text
from tests.support.http_server import serve


def test_download_streams_and_hashes(tmp_path: Path) -> None:
    served = tmp_path / "www"
    served.mkdir()
    data = bytes(range(256)) * 12_000  # ~3 MiB: several chunks
    (served / "img.qcow2").write_bytes(data)
    reports: list[tuple[int, int | None]] = []
    with serve(served) as base:
        done = download(
            f"{base}/img.qcow2",
            tmp_path / "out",
            "sha256",
            lambda n, total: reports.append((n, total)),
            threading.Event(),
        )
    assert done.hexdigest == hashlib.sha256(data).hexdigest()
    assert done.size == len(data)
    assert (tmp_path / "out").read_bytes() == data
    assert reports[-1] == (len(data), len(data))
    assert len(reports) >= 3
    assert done.last_modified is not None and len(done.last_modified) == 10


def test_a_missing_file_hints_at_the_version(tmp_path: Path) -> None:
    with serve(tmp_path) as base, pytest.raises(KaasError, match=r"HTTP 404.*with its 'v'"):
        fetch_text(f"{base}/ubuntu-2404-kube-1.34.1.qcow2")


def test_unreachable_and_non_http_urls(tmp_path: Path) -> None:
    with pytest.raises(KaasError, match="only http"):
        fetch_text("file:///etc/passwd")
    with serve(tmp_path) as base:
        port = base.rsplit(":", 1)[1]
    with pytest.raises(KaasError, match="failed"):
        fetch_text(f"http://127.0.0.1:{port}/gone")


def test_cancel_stops_a_download(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 3 * 2**20)
    cancel = threading.Event()
    cancel.set()
    with serve(tmp_path) as base, pytest.raises(Cancelled):
        download(f"{base}/big", tmp_path / "out", "sha256", lambda n, t: None, cancel)
