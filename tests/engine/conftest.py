"""Session-scoped engine fixtures: tiny real models (built in well under a second each) and
SmolLM2-135M converted from its GGUF once per session into a pytest temporary cache."""

from __future__ import annotations

import pytest

from tests.engine.tiny_models import build

WINDOW = 48  # tiny models' context window: long prompts get cut


@pytest.fixture(scope="session")
def tiny_gpt2():
    return build("gpt2", "xs", window=WINDOW)


@pytest.fixture(scope="session")
def tiny_llama():
    return build("llama", "s", window=WINDOW)


@pytest.fixture(scope="session")
def tiny_gpt2_s():
    return build("gpt2", "s", window=WINDOW, seed=1)


@pytest.fixture(scope="session")
def smollm2_cache(tmp_path_factory):
    """(first backend, second backend, cache dir): two loads of SmolLM2 from its GGUF."""
    from evaluation.engine.backends import load_backend
    from evaluation.engine.pretrained import smollm2_spec

    cache = tmp_path_factory.mktemp("model-cache")
    first = load_backend(smollm2_spec(), cache_dir=cache, device="cpu")
    second = load_backend(smollm2_spec(), cache_dir=cache, device="cpu")
    return first, second, cache


@pytest.fixture(scope="session")
def smollm2(smollm2_cache):
    return smollm2_cache[1]


@pytest.fixture(scope="session")
def gemma3():
    """Gemma 3 270M from its GGUF, converted once into the default model cache (kept between runs)."""
    from evaluation.engine.backends import load_backend
    from evaluation.engine.pretrained import gemma3_spec

    return load_backend(gemma3_spec(), device="cpu")
