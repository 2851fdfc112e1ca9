"""Opening an upload safely: size limits, zip bombs, and entries that do not belong in a task.

Decisions:
* The CSVs sit at the top of the zip, or all inside one single top-level folder (what zipping a
  folder produces); that folder is dropped from the names silently. CSVs in deeper folders, or
  spread over several folders, are errors.
* ``__MACOSX/`` entries and dotfiles (any path part starting with ".") are ignored with one
  warning; directory entries are skipped silently.
* Refused with an error: absolute paths, ``..`` parts, symlinks, encrypted entries, nested
  archives (by name or by magic bytes), anything else that is not ``.csv``, and duplicate names.
* Limits (`Limits`): the upload's size; the number of entries; the total uncompressed size, both
  as declared in the central directory and as actually read (reads are capped, declared sizes are
  not trusted); the compression ratio of each entry and of the whole zip. The ratio is checked
  only for data above `Limits.min_bytes_for_ratio_check` (1 MiB), since a tiny file can compress
  very well without being a threat.

A path or a seekable binary file is read in place (zipfile seeks to the entries it needs); only
a file object that cannot seek is read into memory.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from ..types import Issue
from .names import expected_names

_REZIP = "zip the CSV files again with a standard zip tool and upload that"
_ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".tbz", ".tbz2", ".xz", ".txz",
                     ".7z", ".rar", ".zst", ".lz", ".lzma", ".z", ".jar", ".cab", ".arj")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\x1f\x8b", b"BZh",
                  b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\x28\xb5\x2f\xfd",
                  b"\x5d\x00\x00", b"MSCF")


@dataclass(frozen=True)
class Limits:
    max_compressed_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024
    max_entries: int = 100
    max_compression_ratio: int = 200  # uncompressed/compressed, per entry and overall (zip bombs)
    min_bytes_for_ratio_check: int = 1024 * 1024  # ratios are checked above this many bytes


def size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} kB"
    return f"{n} bytes"


def _upload_error(message: str) -> Issue:
    return Issue(None, None, None, message)


def _source(source) -> tuple[object, int]:
    """(something zipfile can open, its size in bytes)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return io.BytesIO(data), len(data)
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source), os.path.getsize(source)
    fileobj: BinaryIO = source
    try:
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(0)
        return fileobj, size
    except (AttributeError, OSError, io.UnsupportedOperation):
        data = fileobj.read()
        return io.BytesIO(data), len(data)


def open_zip(source, limits: Limits) -> tuple[zipfile.ZipFile | None, int, Issue | None]:
    """(the archive, the upload's size, None) or (None, size, the error that refuses it)."""
    try:
        opened, size = _source(source)
    except OSError as exc:
        return None, 0, _upload_error(f"The upload could not be read ({exc}); upload it again.")
    if size > limits.max_compressed_bytes:
        return None, size, _upload_error(
            f"The zip is {size_text(size)}; the limit is {size_text(limits.max_compressed_bytes)}. "
            f"Remove files or split the task so the zip fits.")
    try:
        return zipfile.ZipFile(opened), size, None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None, size, _upload_error(
            "The upload is not a zip file; put your CSV files in a .zip archive (for example "
            "`zip task.zip task.csv`) and upload that.")
    except Exception as exc:  # a damaged or exotic zip: never crash on a user's upload
        return None, size, _upload_error(
            f"The zip could not be opened ({type(exc).__name__}: {exc}); {_REZIP}.")


def check_totals(infos: list[zipfile.ZipInfo], size: int, limits: Limits) -> Issue | None:
    """The whole archive's limits, from its central directory: entries, size, ratio."""
    if len(infos) > limits.max_entries:
        return _upload_error(f"The zip has {len(infos)} entries; the limit is {limits.max_entries}. "
                             f"Upload only the task's CSV files.")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_uncompressed_bytes:
        return _upload_error(f"The zip's contents are {size_text(declared)} uncompressed; the limit "
                             f"is {size_text(limits.max_uncompressed_bytes)}. Make the task smaller.")
    if declared > limits.min_bytes_for_ratio_check and declared > limits.max_compression_ratio * max(size, 1):
        return _upload_error(f"The zip expands {declared // max(size, 1)} times when unpacked; the "
                             f"limit is {limits.max_compression_ratio} times. Upload the CSV files "
                             f"zipped normally.")
    return None


def _content_problem(info: zipfile.ZipInfo, task_name: str) -> str | None:
    """Why a file entry cannot be a task's CSV, if it cannot."""
    lower = info.filename.lower()
    if lower.endswith(_ARCHIVE_SUFFIXES):
        return ("The zip contains another archive; archives inside the zip are not accepted, so "
                "put the CSV files directly in the zip.")
    if not lower.endswith(".csv"):
        return (f"Only CSV files belong in the zip; remove this file (the task's files are "
                f"{expected_names(task_name)}).")
    if info.flag_bits & 0x1:
        return "The zip entry is encrypted; zip the CSV files without a password."
    return None


def _path_problem(entry: str, parts: list[str]) -> str | None:
    if entry.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", entry):
        return "The zip entry has an absolute path; zip the CSV files with relative names."
    if ".." in parts:
        return "The zip entry's path contains '..'; zip the CSV files with plain relative names."
    return None


def _ignored_warning(ignored: list[str]) -> Issue:
    what = "entries that are" if len(ignored) > 1 else "entry that is"
    return Issue(None, None, None,
                 f"Ignored {len(ignored)} {what} not part of the task (macOS metadata or hidden "
                 f"files): {', '.join(ignored[:5])}{' and more' if len(ignored) > 5 else ''}.")


def screen_entries(infos: list[zipfile.ZipInfo], task_name: str
                   ) -> tuple[list[zipfile.ZipInfo], list[Issue], list[Issue]]:
    """(the CSV entries that may be task files, errors, warnings) in the zip's order."""
    candidates, errors, ignored, seen = [], [], [], set()
    for info in infos:
        entry = info.filename
        parts = entry.replace("\\", "/").split("/")
        problem = _path_problem(entry, parts)
        if problem is None and (parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts if p)):
            ignored.append(entry)
            continue
        if problem is None and info.is_dir():
            continue
        if problem is None and stat.S_ISLNK(info.external_attr >> 16):
            problem = "The zip entry is a symbolic link; put the CSV file itself in the zip."
        if problem is None and entry in seen:
            problem = "The zip holds two entries with this name; keep only one."
        if problem is None:
            seen.add(entry)
            problem = _content_problem(info, task_name)
        if problem:
            errors.append(Issue(entry, None, None, problem))
        else:
            candidates.append(info)
    return candidates, errors, [_ignored_warning(ignored)] if ignored else []


def place_entries(candidates: list[zipfile.ZipInfo]) -> tuple[list[tuple[zipfile.ZipInfo, str]], list[Issue]]:
    """Names without the one top folder: all at the top, or all inside one single folder."""
    folders = {info.filename.rsplit("/", 1)[0] if "/" in info.filename else "" for info in candidates}
    strip = ""
    if len(folders) == 1 and (folder := next(iter(folders))) and "/" not in folder:
        strip = folder + "/"
    named, errors = [], []
    for info in candidates:
        if strip:
            named.append((info, info.filename[len(strip):]))
        elif "/" in info.filename:
            errors.append(Issue(info.filename, None, None,
                                "The CSV file is inside a folder; put the CSV files at the top of "
                                "the zip (or all of them inside one single folder)."))
        else:
            named.append((info, info.filename))
    return named, errors


class ByteBudget:
    """What may still be unpacked from the whole zip (declared sizes are not trusted)."""

    def __init__(self, limits: Limits):
        self.limits, self.left = limits, limits.max_uncompressed_bytes


class TooLarge(Exception):
    """The zip's contents exceed the uncompressed limit: stop reading it."""


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: ByteBudget
               ) -> tuple[bytes | None, Issue | None]:
    """(the entry's bytes, None) or (None, why it cannot be read); raises TooLarge with the
    error to report when the whole zip is over its limit."""
    limits = budget.limits
    cap = budget.left
    if info.compress_size > 0:
        cap = min(cap, max(limits.max_compression_ratio * info.compress_size, limits.min_bytes_for_ratio_check))
    try:
        with archive.open(info) as handle:
            data = handle.read(cap + 1)
    except Exception as exc:  # BadZipFile, zlib.error, unsupported methods, truncation…
        detail = str(exc).strip() or type(exc).__name__
        return None, Issue(name, None, None, f"The file could not be unpacked from the zip ({detail}); "
                                             f"zip it again with a standard zip tool and upload it.")
    if len(data) > cap:
        if cap == budget.left:
            raise TooLarge(Issue(name, None, None,
                                 f"The zip's contents are more than "
                                 f"{size_text(limits.max_uncompressed_bytes)} uncompressed; make the "
                                 f"task smaller."))
        return None, Issue(name, None, None, f"The file expands more than {limits.max_compression_ratio} "
                                             f"times when unpacked; upload the CSV files zipped normally.")
    budget.left -= len(data)
    if data.startswith(_ARCHIVE_MAGIC) or data[257:262] == b"ustar":
        return None, Issue(name, None, None, "The file is a compressed archive, not a CSV; archives "
                                             "inside the zip are not accepted, so put the CSV file "
                                             "itself in the zip.")
    return data, None
