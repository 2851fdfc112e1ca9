"""A model's identity: a stable string that names exactly the weights and tokenizer that produce
its numbers. The portal keys its result cache on it (model identity, task file sha256, metric),
so two loads that could score differently never share an identity.

    hub model      hf:ORG/NAME@COMMIT       the commit its revision (default: "main") resolves to
                                            in the local hub cache; a branch or tag moves, so it
                                            is never an identity
    local folder   local:NAME:FINGERPRINT   a sha256 over the content of the folder's files that
                                            transformers reads (weights, config, tokenizer), 16 hex
    GGUF file      gguf:FILE:SHA            the file's sha256, 16 hex digits
    OpenAI server  openai:BASE_URL#MODEL    the served model's name (a server reports no revision)

Hashing a 13B folder reads 26 GB, so each file's sha256 is remembered in
``<model cache dir>/file-hashes.json`` (`default_cache_dir`) under its path, with the size,
modification time, change time and inode it had when hashed; a file whose stat differs is hashed
again. A file modified in the last `RECENT_SECONDS` is hashed but not remembered, since a write
within the same time-stamp tick would leave its stat unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

HASHES_FILE = "file-hashes.json"
RECENT_SECONDS = 2.0
FINGERPRINT_HEX = 16

# files of a model folder that transformers does not read for a causal LM, or that cannot change a
# score: documentation and a Trainer checkpoint's own state
_IGNORED_NAMES = {"optimizer.pt", "scheduler.pt", "trainer_state.json", "training_args.bin"}
_IGNORED_PREFIXES = (".", "README", "LICENSE", "NOTICE", "rng_state")
_IGNORED_SUFFIXES = (".md",)


def default_cache_dir() -> Path:
    """The model cache directory: $PORTAL_MODEL_CACHE_DIR, or ~/.cache/isp-portal/models. It holds
    GGUF files converted to safetensors, assembled GGUF files and the file hashes."""
    env = os.environ.get("PORTAL_MODEL_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "isp-portal" / "models"


# --- content hashes ----------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _read_hashes(store: Path) -> dict:
    try:
        data = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_hashes(store: Path, learned: dict) -> None:
    """Merge `learned` into the store (written whole, atomically); entries of deleted files go.
    Remembering is an optimisation: a store that cannot be written is left as it is."""
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        data = {path: entry for path, entry in _read_hashes(store).items() if os.path.exists(path)}
        data.update(learned)
        fd, tmp = tempfile.mkstemp(prefix=".file-hashes-", dir=store.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, store)
    except OSError:
        pass


def file_hashes(paths: Iterable[Path], *, cache_dir: Path | None = None) -> dict[Path, str]:
    """{resolved path: sha256 of its content}, taken from the store where the stat still matches."""
    store = Path(cache_dir or default_cache_dir()) / HASHES_FILE
    known = _read_hashes(store)
    learned: dict[str, dict] = {}
    out: dict[Path, str] = {}
    now = time.time_ns()
    for path in paths:
        path = Path(path).resolve()
        st = path.stat()
        entry = known.get(str(path))
        if isinstance(entry, dict) and entry.get("stat") == _stamp(st):
            out[path] = entry["sha256"]
            continue
        out[path] = _sha256(path)
        if now - st.st_mtime_ns > RECENT_SECONDS * 1e9:
            learned[str(path)] = {"stat": _stamp(st), "sha256": out[path]}
    if learned:
        _write_hashes(store, learned)
    return out


def file_sha256(path: Path, *, cache_dir: Path | None = None) -> str:
    """The sha256 of one file's content (remembered as `file_hashes` says)."""
    return next(iter(file_hashes([path], cache_dir=cache_dir).values()))


def scored_files(folder: Path) -> list[Path]:
    """The files of a model folder that can change its scores: every file at its top level (what
    transformers reads) but hidden files, documentation and a Trainer checkpoint's own state."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file()
                  and p.name not in _IGNORED_NAMES and not p.name.startswith(_IGNORED_PREFIXES)
                  and not p.name.endswith(_IGNORED_SUFFIXES))


def folder_fingerprint(folder: Path, *, cache_dir: Path | None = None) -> str:
    """A sha256 over the names and content hashes of `scored_files(folder)`, 16 hex digits."""
    folder = Path(folder).resolve()
    files = scored_files(folder)
    hashes = file_hashes(files, cache_dir=cache_dir)
    h = hashlib.sha256()
    for path in files:
        h.update(f"{path.name}\0{hashes[path.resolve()]}\n".encode())
    return h.hexdigest()[:FINGERPRINT_HEX]


# --- identities ----------------------------------------------------------------------------------


def hub_commit(repo_id: str, revision: str | None = None) -> str | None:
    """The commit that `revision` (a branch, tag or commit; default "main") of a hub model resolves
    to in the local hub cache ($HF_HUB_CACHE), read through huggingface_hub without the network;
    None when the model's config is not in the cache or `repo_id` is no hub id."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    except ValueError:  # not a hub id at all (say a folder that is not there)
        return None
    if not isinstance(found, str):
        return None
    return Path(found).parent.name  # .../models--ORG--NAME/snapshots/<commit>/config.json


def hub_identity(repo_id: str, commit: str) -> str:
    return f"hf:{repo_id}@{commit}"


def folder_identity(folder: Path, *, cache_dir: Path | None = None) -> str:
    folder = Path(folder).resolve()
    return f"local:{folder.name}:{folder_fingerprint(folder, cache_dir=cache_dir)}"


def gguf_identity(name: str, sha256: str) -> str:
    return f"gguf:{name}:{sha256[:FINGERPRINT_HEX]}"


def server_root(base_url: str) -> str:
    """An OpenAI-compatible server's address without a trailing slash or /v1."""
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def openai_identity(base_url: str, model: str) -> str:
    return f"openai:{server_root(base_url)}#{model}"
