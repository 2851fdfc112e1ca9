"""Model backends. `load_backend(spec)` turns a model spec into a Backend (types.Backend).

Specs:
  HUB_ID or HUB_ID@REVISION       a Hugging Face hub model (transformers)
  /path/to/folder                 a local transformers folder
  /path/to/folder::FILE.gguf      a GGUF file, converted once into a cached safetensors folder
  openai:BASE_URL#MODEL           an OpenAI-compatible completions endpoint (prompt logprobs)
"""

from __future__ import annotations

import os
from pathlib import Path

from ..types import Backend


def load_backend(spec: str, *, cache_dir: Path | None = None, device: str | None = None,
                 dtype: str | None = None, params: int | None = None) -> Backend:
    if spec.startswith("openai:"):
        from .openai import OpenAIBackend

        rest = spec[len("openai:"):]
        if "#" not in rest:
            raise ValueError("an OpenAI spec reads openai:BASE_URL#MODEL")
        url, model = rest.rsplit("#", 1)
        return OpenAIBackend(url, model, api_key=os.environ.get("OPENAI_API_KEY"), params=params)

    from .hf import load_hf

    if "::" in spec:
        folder, gguf_file = spec.split("::", 1)
        return load_hf(folder, gguf_file=gguf_file, cache_dir=cache_dir, device=device,
                       dtype=dtype, params=params)
    if Path(spec).expanduser().is_dir():
        return load_hf(str(Path(spec).expanduser()), cache_dir=cache_dir, device=device,
                       dtype=dtype, params=params)
    revision = None
    if "@" in spec:
        spec, revision = spec.rsplit("@", 1)
    return load_hf(spec, revision=revision, cache_dir=cache_dir, device=device, dtype=dtype,
                   params=params)
