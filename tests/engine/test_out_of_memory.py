"""On a GPU, out of memory halves the batch and retries before it fails (HFBackend.score).

No GPU is needed: a backend whose forward pass raises torch.OutOfMemoryError when a batch holds
more tokens than `fits` stands in for device memory; everything else is the real engine on a
tiny real model.
"""

from __future__ import annotations

import pytest
import torch

from evaluation.engine.backends.hf import MIN_TOKEN_BUDGET, HFBackend
from evaluation.engine.metrics import get_metric
from evaluation.engine.types import ScoreRequest
from tests.engine.conftest import WINDOW
from tests.engine.test_engine_hf import CLASSIFICATION, LOGODDS, SEQUENCE


class SmallMemoryBackend(HFBackend):
    def __init__(self, *args, fits: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.failed_batches = 0
        forward = self.base

        def limited(**inputs):
            if inputs["input_ids"].numel() > fits:
                self.failed_batches += 1
                raise torch.OutOfMemoryError(f"CUDA out of memory: a batch of {inputs['input_ids'].numel()} tokens")
            return forward(**inputs)

        self.base = limited


def requests() -> list[ScoreRequest]:
    out = []
    for examples, metric in ((CLASSIFICATION, "classification"), (SEQUENCE, "sequence_prob"),
                             (LOGODDS, "logodds")):
        for ex in examples:
            out += get_metric(metric).requests(ex)
    return out * 3  # repeated requests are scored once and counted three times


def test_out_of_memory_halves_the_budgets_and_scores_exactly_as_an_unfailed_run(tiny_llama):
    model, tok = tiny_llama
    # with these budgets the largest batch is 3 rows x 47 tokens; 100 tokens "fit on the device"
    backend = SmallMemoryBackend(model, tok, identity="t", max_length=WINDOW, token_budget=1024,
                                 kv_budget=8192, fits=100)
    counted = []
    scores = backend.score(requests(), progress=counted.append)
    # 1024 and 512 and 256 still batch 141 tokens; at 128 the batch splits and fits
    assert (backend.oom_retries, backend.failed_batches) == (3, 3)
    assert (backend.token_budget, backend.kv_budget) == (128, 1024)
    assert sum(counted) == len(requests())  # the failed passes' progress is not counted twice
    # an un-failed run with the budgets the retries ended with gives exactly the same numbers
    plain = HFBackend(model, tok, identity="t", max_length=WINDOW, token_budget=backend.token_budget,
                      kv_budget=backend.kv_budget)
    assert scores == plain.score(requests())
    # and the same numbers as with the original budgets, up to float rounding of other batch shapes
    original = HFBackend(model, tok, identity="t", max_length=WINDOW, token_budget=1024, kv_budget=8192)
    assert [s.logprob for s in scores] == pytest.approx([s.logprob for s in original.score(requests())], abs=1e-5)
    # the budgets stay halved: the next call does not run out of memory again
    failed = backend.failed_batches
    assert backend.score(requests()[:5]) == plain.score(requests()[:5]) and backend.failed_batches == failed


def test_out_of_memory_at_the_floor_is_raised(tiny_gpt2):
    model, tok = tiny_gpt2
    backend = SmallMemoryBackend(model, tok, identity="t", max_length=WINDOW, token_budget=512, fits=1)
    with pytest.raises(torch.OutOfMemoryError, match="CUDA out of memory"):
        backend.score(requests())
    assert backend.token_budget == MIN_TOKEN_BUDGET
    assert backend.oom_retries == 3  # 512 -> 256 -> 128 -> 64, then the fourth failure is final
