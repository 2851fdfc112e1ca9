"""Uploaded zips: the limits from the settings, the message for a request over them, and storage.

A zip is never read whole into memory: Django spools an upload larger than
FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file, the engine validates it from that file, and it is
hashed and stored in chunks. Each stored upload gets a name of its own
(`submissions/<sha[:2]>/<sha>-<random>.zip`), so removing the file of a version that was never saved
can never take away a file another version uses.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import datetime
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from evaluation.engine.taskfile import Limits

ZIP_FOLDER = "submissions"
CHUNK_BYTES = 1024 * 1024


def limits_from_settings() -> Limits:
    return Limits(
        max_compressed_bytes=settings.UPLOAD_MAX_COMPRESSED_BYTES,
        max_uncompressed_bytes=settings.UPLOAD_MAX_UNCOMPRESSED_BYTES,
        max_entries=settings.UPLOAD_MAX_ENTRIES,
        max_compression_ratio=settings.UPLOAD_MAX_COMPRESSION_RATIO,
    )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def request_too_large_message(size: int) -> str:
    """What a contestant reads when the request carrying their zip is over the limit."""
    return (f"The upload is {megabytes(size)}; the limit for a task zip is "
            f"{megabytes(settings.UPLOAD_MAX_COMPRESSED_BYTES)}. Remove files or split the task so the "
            "zip fits, then upload it again.")


def as_binary_file(source: bytes | BinaryIO) -> BinaryIO:
    """A binary file object for bytes, an UploadedFile, a storage file or an open file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source))
    return source


def digest(fileobj: BinaryIO) -> tuple[str, int]:
    """(sha256, size) of the whole file, read in chunks; the file is left at its start."""
    fileobj.seek(0)
    sha, size = hashlib.sha256(), 0
    while chunk := fileobj.read(CHUNK_BYTES):
        sha.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return sha.hexdigest(), size


def store_zip(fileobj: BinaryIO, *, sha256: str) -> str:
    """Store the zip under a name of its own, outside any public path; returns the storage name."""
    name = f"{ZIP_FOLDER}/{sha256[:2]}/{sha256}-{secrets.token_hex(6)}.zip"
    fileobj.seek(0)
    return default_storage.save(name, File(fileobj, name=name))


def discard_zip(name: str) -> None:
    default_storage.delete(name)


def stored_zips_older_than(moment: datetime) -> list[str]:
    """Names of the stored zips last modified before `moment` (any storage backend)."""
    try:
        folders, _ = default_storage.listdir(ZIP_FOLDER)
    except FileNotFoundError:
        return []
    names = []
    for folder in folders:
        _, files = default_storage.listdir(f"{ZIP_FOLDER}/{folder}")
        names += [f"{ZIP_FOLDER}/{folder}/{f}" for f in files if f.endswith(".zip")]
    return [name for name in names if _modified_before(name, moment)]


def _modified_before(name: str, moment: datetime) -> bool:
    try:
        return default_storage.get_modified_time(name) < moment
    except FileNotFoundError:  # removed meanwhile
        return False
