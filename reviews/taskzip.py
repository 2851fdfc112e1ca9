"""Read a stored task zip's CSVs back, and write them into a new zip (plain Python, no Django).

The portal stores each upload as sent; `SubmissionVersion.files` lists the CSVs its validator
accepted (name, kind, index, sha256). `read_csvs` finds each of them in the zip again, checking
its sha256, ignoring what the validator ignored (folders, macOS metadata, hidden files), and
`write_zip` writes files with fixed timestamps and no comment, so a rebuilt zip carries nothing
of the original's metadata.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable, Mapping
from typing import BinaryIO

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class DamagedZip(Exception):
    """The stored zip no longer holds a file its version lists (or holds different bytes)."""


def anonymous_name(file: Mapping) -> str:
    """task.csv, task-PART<n>.csv or task-CONTROL<n>.csv, from the file's kind and index; a k-shot variant
    (`shots` k > 0) of one of them adds -<k>shot: task-4shot.csv, task-PART1-4shot.csv."""
    kind = file["kind"]
    if kind == "main":
        stem = "task"
    elif kind == "part":
        stem = f"task-PART{file['index']}"
    elif kind == "control":
        stem = f"task-CONTROL{file['index']}"
    else:
        raise ValueError(f"Unknown kind of task file {kind!r}.")
    shots = file.get("shots") or 0
    return f"{stem}-{shots}shot.csv" if shots else f"{stem}.csv"


def _ignored(entry: str) -> bool:
    parts = entry.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts if p)


def read_csvs(source: BinaryIO, files: Iterable[Mapping]) -> list[tuple[Mapping, bytes]]:
    """Each listed file with its bytes, in the listed order. Raises DamagedZip if one is missing or changed."""
    with zipfile.ZipFile(source) as archive:
        by_name: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            if not info.is_dir() and not _ignored(info.filename):
                by_name.setdefault(info.filename.rsplit("/", 1)[-1], info)
        out = []
        for file in files:
            info = by_name.get(file["name"])
            if info is None:
                raise DamagedZip(f"The stored zip has no file {file['name']}.")
            data = archive.read(info)
            if file.get("sha256") and hashlib.sha256(data).hexdigest() != file["sha256"]:
                raise DamagedZip(f"The stored file {file['name']} does not match its recorded sha256.")
            out.append((file, data))
    return out


def add_member(archive: zipfile.ZipFile, name: str, data: bytes) -> str:
    """Add one file, deflated, with a fixed timestamp; returns its sha256."""
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)
    return hashlib.sha256(data).hexdigest()


def write_zip(target: BinaryIO, members: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """Write (name, bytes) members; returns each name's sha256."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        return {name: add_member(archive, name, data) for name, data in members}


def anonymised_members(source: BinaryIO, files: Iterable[Mapping],
                       transform: Callable[[bytes], bytes]) -> list[tuple[str, bytes]]:
    """The task's CSVs under anonymous names, each passed through `transform` (the redaction)."""
    return [(anonymous_name(file), transform(data)) for file, data in read_csvs(source, files)]
