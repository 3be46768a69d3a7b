"""The upload body: requests streams it in small blocks, with a Content-Length, hashed."""

from __future__ import annotations

import hashlib
import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from scs_kaas.errors import Cancelled
from scs_kaas.openstack.images import HashingReader

SIZE = 64 * 2**20


class _Sink(BaseHTTPRequestHandler):
    """Accepts a PUT, reads the body in blocks, answers with its length and sha512."""

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        digest, left = hashlib.sha512(), length
        while left:
            block = self.rfile.read(min(left, 2**20))
            digest.update(block)
            left -= len(block)
        answer = f"{length} {digest.hexdigest()}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _sink() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_body_streams_in_constant_memory(tmp_path: Path) -> None:
    source = tmp_path / "image.raw"
    source.write_bytes(b"\x01" * SIZE)
    reports: list[int] = []
    with _sink() as url, source.open("rb") as stream:
        reader = HashingReader(stream, SIZE, lambda n, t: reports.append(n), threading.Event())
        tracemalloc.start()
        response = requests.put(url, data=reader, timeout=60)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    length, digest = response.text.split()
    assert int(length) == SIZE
    assert digest == reader.digest.hexdigest() == hashlib.sha512(source.read_bytes()).hexdigest()
    assert peak < 4 * 2**20, f"{peak} bytes held while sending {SIZE}"
    assert reports[-1] == SIZE
    assert 60 <= len(reports) <= 70  # about once per MiB


def test_cancel_stops_the_body(tmp_path: Path) -> None:
    source = tmp_path / "image.raw"
    source.write_bytes(b"\x01" * 2**20)
    cancel = threading.Event()
    cancel.set()
    with source.open("rb") as stream:
        reader = HashingReader(stream, 2**20, lambda n, t: None, cancel)
        with pytest.raises(Cancelled):
            reader.read(16384)
