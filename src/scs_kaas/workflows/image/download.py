"""HTTP(S) downloads in constant memory, hashed while they stream to disk."""

from __future__ import annotations

import hashlib
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.client import HTTPResponse
from pathlib import Path

from scs_kaas.errors import Cancelled, KaasError

CHUNK = 1024 * 1024
TIMEOUT = 60.0  # seconds without a byte before a download is given up
SMALL_LIMIT = 1024 * 1024  # checksum files are a few lines


@dataclass(frozen=True)
class Downloaded:
    size: int
    hexdigest: str
    # From Last-Modified, as YYYY-MM-DD: R1 dated the image by its file (`date -r file +%F`).
    last_modified: str | None


def _open(url: str) -> HTTPResponse:
    if not url.startswith(("https://", "http://")):
        raise KaasError(f"{url}: only http(s):// URLs are downloaded")
    try:
        response: HTTPResponse = urllib.request.urlopen(url, timeout=TIMEOUT)  # noqa: S310
    except urllib.error.HTTPError as error:
        hint = " (is the version right, e.g. v1.34.1, with its 'v'?)" if error.code == 404 else ""
        raise KaasError(
            f"downloading {url} failed: HTTP {error.code} {error.reason}{hint}"
        ) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise KaasError(f"downloading {url} failed: {reason}") from error
    return response


def fetch_text(url: str) -> str:
    """A small text document (a checksum file); refuses anything over 1 MiB."""
    with _open(url) as response:
        data = response.read(SMALL_LIMIT + 1)
    if len(data) > SMALL_LIMIT:
        raise KaasError(f"{url} is larger than a checksum file can be")
    return data.decode("utf-8", errors="replace")


def download(
    url: str,
    target: Path,
    algorithm: str,
    on_chunk: Callable[[int, int | None], None],
    cancel: threading.Event,
) -> Downloaded:
    """Stream `url` into `target`, hashing with `algorithm`; `on_chunk(done, total)` reports."""
    digest = hashlib.new(algorithm)
    size = 0
    with _open(url) as response, target.open("wb") as out:
        modified = response.headers.get("Last-Modified")
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        while chunk := response.read(CHUNK):
            if cancel.is_set():
                raise Cancelled(f"download of {url} cancelled")
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            on_chunk(size, total)
    date = None
    if modified:
        try:
            date = parsedate_to_datetime(modified).date().isoformat()
        except (TypeError, ValueError):
            date = None
    return Downloaded(size=size, hexdigest=digest.hexdigest(), last_modified=date)
