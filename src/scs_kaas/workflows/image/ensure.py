"""Make sure the node image of a Kubernetes version is in Glance, in the foreground or not.

Steps: plan (settings only, so bad input fails before any cloud call) -> reuse an active image
of the same name and version -> fetch the expected checksum -> download (or take `--file`) and
verify -> qcow2 to raw when `image.raw` -> min_disk from the virtual size -> streaming upload
-> wait for `active`. A failure at any step leaves no image behind.

Running beside the management host's boot (what `kaas mgmt create` does)::

    job = start(settings, ImageRequest(settings.kubernetes_version))
    ...                                 # create the management host meanwhile
    image = job.result(timeout=1800)    # ImageResult, or the job's KaasError is raised here
    job.cancel()                        # when giving up: stops at the next block, cleans up

`start` validates first (a SettingsError is raised in the caller), then works in
one thread with its own Connection (`connect(settings.cloud)`, or the `connect` given); the
caller's Connection is never shared between threads.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError, KaasError, SettingProblem, SettingsError
from scs_kaas.openstack.connection import connect as connect_cloud
from scs_kaas.openstack.images import (
    GlanceImage,
    UploadSpec,
    delete_image,
    find_images,
    is_owned,
    reusable_image,
    upload_image,
    wait_active,
)
from scs_kaas.render.image_properties import (
    MIN_RAM_MIB,
    Checksum,
    checksum_of,
    checksum_url,
    image_name,
    image_properties,
    image_url,
    min_disk_gib,
    parse_checksum,
)
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import defaults
from scs_kaas.workflows.image import diskimage
from scs_kaas.workflows.image.download import download, fetch_text

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = defaults.IMAGE_TIMEOUT
# Glance statuses while data arrives: another run (say `kaas mgmt create`'s) is uploading.
# `queued` is not among them: it is what R1's killed uploads left behind forever.
UPLOADING = frozenset({"saving", "uploading", "importing"})
HASH_CHUNK = 1024 * 1024


class ImageProgress(Protocol):
    """Where the steps are reported: a rich progress bar, a log, or nothing."""

    def step(self, message: str) -> None: ...

    def transfer(self, what: str) -> Callable[[int, int | None], None]:
        """Start a byte counter; the callable gets (bytes done, total bytes or None)."""
        ...


class LogProgress:
    """Steps go to the log (background jobs); byte counts are not reported."""

    def step(self, message: str) -> None:
        log.info("%s", message)

    def transfer(self, what: str) -> Callable[[int, int | None], None]:
        log.info("%s", what)
        return lambda done, total: None


@dataclass(frozen=True)
class ImageRequest:
    kubernetes_version: str  # resolved, e.g. v1.34.1 (settings.kubernetes_version)
    file: Path | None = None  # a local image instead of the download
    sha256: str | None = None  # expected digest; else the published `<url>.CHECKSUM`
    checksum_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    work_dir: Path | None = None  # where the download and the raw file go (default: $TMPDIR)


@dataclass(frozen=True)
class ImagePlan:
    name: str
    kubernetes_version: str
    url: str
    checksum_url: str
    expected: Checksum | None


@dataclass(frozen=True)
class ImageResult:
    id: str
    name: str
    kubernetes_version: str
    disk_format: str | None
    min_disk_gib: int
    reused: bool
    uploaded_bytes: int = 0


def plan(settings: Settings, request: ImageRequest) -> ImagePlan:
    """Everything that can be checked without a cloud; bad input raises SettingsError."""
    problems = []
    expected = None
    if request.sha256 is not None:
        try:
            expected = checksum_of(request.sha256)
        except ValueError as error:
            problems.append(SettingProblem("--sha256", str(error), value=repr(request.sha256)))
    if request.file is not None and not request.file.is_file():
        problems.append(SettingProblem("--file", "no such file", value=str(request.file)))
    elif request.file is not None:
        problems += _node_image_file_problems(request.file)
    if request.work_dir is not None and not request.work_dir.is_dir():
        problems.append(SettingProblem("--work-dir", "no such folder", value=str(request.work_dir)))
    if request.timeout <= 0:
        problems.append(SettingProblem("--timeout", "must be positive", value=str(request.timeout)))
    if problems:
        raise SettingsError(problems)
    version = request.kubernetes_version
    url = image_url(settings.image, version)
    return ImagePlan(
        name=image_name(settings.image, version),
        kubernetes_version=version,
        url=url,
        checksum_url=request.checksum_url or checksum_url(url),
        expected=expected,
    )


def _node_image_file_problems(path: Path) -> list[SettingProblem]:
    try:
        diskimage.check_node_image(path)
    except KaasError as error:
        return [SettingProblem("--file", str(error))]
    except OSError as error:
        return [SettingProblem("--file", f"cannot read {path}: {error.strerror}")]
    return []


def _hash_file(path: Path, algorithm: str, cancel: threading.Event) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK):
            if cancel.is_set():
                raise KaasError("image check cancelled")
            digest.update(chunk)
    return digest.hexdigest()


def _verify(actual: str, expected: Checksum, what: str) -> None:
    if actual != expected.hexdigest:
        raise KaasError(
            f"checksum mismatch for {what}: expected {expected}, got "
            f"{expected.algorithm}:{actual}; nothing was uploaded"
        )


def _running_upload(
    conn: Connection, images: list[GlanceImage], settings: Settings, plan: ImagePlan
) -> GlanceImage | None:
    """The tool's own upload of this image that another run has under way, if any."""
    for image in images:
        if (
            image.status in UPLOADING
            and is_owned(image, settings.prefix, conn.current_project_id)
            and image.properties.get("kubernetes_version") == plan.kubernetes_version
        ):
            return image
    return None


def _clear_the_way(conn: Connection, images: list[GlanceImage], settings: Settings) -> None:
    """Delete the tool's own dead uploads (R1's `queued` leftovers, #206); refuse foreign ones.

    Two images of one name would make CAPO's lookup by name ambiguous.
    """
    for image in images:
        if is_owned(image, settings.prefix, conn.current_project_id):
            log.info("deleting stale image %s (%s, %s)", image.name, image.id, image.status)
            delete_image(conn, image.id)
        else:
            raise CloudError(
                f"image {image.name} ({image.id}) exists with status {image.status} and was not "
                "made by scs-kaas for this prefix; delete it or change image.name_template"
            )


def _obtain(
    plan: ImagePlan,
    request: ImageRequest,
    work: Path,
    progress: ImageProgress,
    cancel: threading.Event,
) -> tuple[Path, str, str]:
    """The verified image file, its `image_source` and its build date (YYYY-MM-DD)."""
    if request.file is not None:
        path = request.file
        if plan.expected is not None:
            progress.step(f"checking {plan.expected.algorithm} of {path}")
            _verify(_hash_file(path, plan.expected.algorithm, cancel), plan.expected, str(path))
        else:
            progress.step(f"{path}: a local file, no checksum given (--sha256) to check")
        modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
        return path, f"file:{path.name}", modified.date().isoformat()
    expected = plan.expected
    if expected is None:
        progress.step(f"fetching the checksum {plan.checksum_url}")
        filename = plan.url.rsplit("/", 1)[-1]
        try:
            expected = parse_checksum(fetch_text(plan.checksum_url), filename)
        except ValueError as error:
            raise KaasError(f"{plan.checksum_url}: {error}") from error
    path = work / plan.url.rsplit("/", 1)[-1]
    on_chunk = progress.transfer(f"downloading {plan.url}")
    downloaded = download(plan.url, path, expected.algorithm, on_chunk, cancel)
    _verify(downloaded.hexdigest, expected, plan.url)
    today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    return path, plan.url, downloaded.last_modified or today


def _prepare_and_upload(
    conn: Connection,
    settings: Settings,
    plan: ImagePlan,
    request: ImageRequest,
    progress: ImageProgress,
    cancel: threading.Event,
) -> tuple[GlanceImage, int]:
    """Obtain, verify, convert and upload in a temporary folder; (image, bytes uploaded)."""
    with tempfile.TemporaryDirectory(prefix="kaas-image-", dir=request.work_dir) as temporary:
        work = Path(temporary)
        path, source, build_date = _obtain(plan, request, work, progress, cancel)
        info = diskimage.inspect(path)
        if settings.image.raw and info.format == "qcow2":
            progress.step("converting qcow2 to raw (qemu-img)")
            raw = work / f"{plan.name}.raw"
            diskimage.convert_to_raw(path, raw)
            if path.parent == work:
                path.unlink()  # the raw copy may be large; keep only one
            path, disk_format = raw, "raw"
        else:
            disk_format = info.format
        spec = UploadSpec(
            name=plan.name,
            disk_format=disk_format,
            min_disk=min_disk_gib(info.virtual_size),
            min_ram=MIN_RAM_MIB,
            properties=image_properties(
                settings.image, settings.prefix, plan.kubernetes_version, source, build_date
            ),
            tags=naming.ownership_tags(settings.prefix),
        )
        on_chunk = progress.transfer(f"uploading {plan.name} ({disk_format})")
        uploaded = upload_image(conn, spec, path, on_chunk, cancel)
        size = path.stat().st_size
    return uploaded, size


def run(
    conn: Connection,
    settings: Settings,
    request: ImageRequest,
    progress: ImageProgress | None = None,
    cancel: threading.Event | None = None,
) -> ImageResult:
    """Reuse or upload the node image; see the module docstring for the steps."""
    progress = progress or LogProgress()
    cancel = cancel or threading.Event()
    planned = plan(settings, request)
    images = find_images(conn, planned.name)
    found = reusable_image(images, planned.kubernetes_version, settings.prefix)
    if found is not None:
        progress.step(f"reusing image {found.name} ({found.id})")
        return ImageResult(
            found.id,
            found.name,
            planned.kubernetes_version,
            found.disk_format,
            found.min_disk,
            True,
        )
    running = _running_upload(conn, images, settings, planned)
    if running is not None:
        progress.step(f"waiting for the upload of {running.name} ({running.id}) under way")
        done = wait_active(conn, running.id, request.timeout, cancel)
        return ImageResult(
            done.id, done.name, planned.kubernetes_version, done.disk_format, done.min_disk, True
        )
    _clear_the_way(conn, images, settings)
    try:
        uploaded, size = _prepare_and_upload(conn, settings, planned, request, progress, cancel)
    except OSError as error:  # a full or unwritable work folder, an unreadable --file
        raise KaasError(f"node image {planned.name}: {error}") from error
    progress.step(f"waiting for image {planned.name} ({uploaded.id}) to become active")
    active = wait_active(conn, uploaded.id, request.timeout, cancel)
    return ImageResult(
        active.id,
        active.name,
        planned.kubernetes_version,
        active.disk_format,
        active.min_disk,
        False,
        size,
    )


class ImageJob:
    """A running `run`; see the module docstring."""

    def __init__(self, future: concurrent.futures.Future[ImageResult], cancel: threading.Event):
        self._future = future
        self._cancel = cancel

    def done(self) -> bool:
        return self._future.done()

    def cancel(self) -> None:
        self._cancel.set()

    def result(self, timeout: float | None = None) -> ImageResult:
        """The image, once ready; the job's own error is raised here."""
        try:
            return self._future.result(timeout)
        except concurrent.futures.TimeoutError as error:
            raise KaasError(
                f"the node image is still not ready after waiting {timeout:.0f} s"
            ) from error


def start(
    settings: Settings,
    request: ImageRequest,
    connect: Callable[[], Connection] | None = None,
    progress: ImageProgress | None = None,
) -> ImageJob:
    """Start `run` in a thread and return at once (after validating)."""
    plan(settings, request)
    cancel = threading.Event()

    def ensure_in_thread() -> ImageResult:
        with connect() if connect is not None else connect_cloud(settings.cloud) as conn:
            return run(conn, settings, request, progress, cancel)

    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaas-image")
    try:
        future = executor.submit(ensure_in_thread)
    finally:
        executor.shutdown(wait=False)  # the thread finishes the job; nothing else is queued
    return ImageJob(future, cancel)
