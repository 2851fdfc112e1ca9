"""The whole task's pooled numbers and its verdict (evaluation/verdicts.py): plain Python, no database."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from evaluation.verdicts import Pooled, Verdict, pooled, verdict
from tests.trend_cases import series_trend as trend

ROOT = Path(__file__).resolve().parents[2]


def test_the_verdict_module_imports_no_django():
    code = ("import sys, evaluation.verdicts\n"
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


@dataclass
class Part:
    n: int
    mean: float | None
    sem: float | None
    accuracy: float | None = None
    class_mass: float | None = None
    baseline: float | None = None
    baseline_accuracy: float | None = None


def test_pooling_weights_each_file_by_its_rows():
    parts = [Part(100, mean=1.0, sem=0.03, accuracy=0.5, class_mass=0.75, baseline=0.5, baseline_accuracy=0.5),
             Part(300, mean=2.0, sem=0.04, accuracy=None, class_mass=0.25, baseline=1.0, baseline_accuracy=0.25)]
    assert pooled(parts) == Pooled(n=400, mean=1.75, sem=((100 * 0.03) ** 2 + (300 * 0.04) ** 2) ** 0.5 / 400,
                                   accuracy=None,  # a file without it: no pooled value
                                   class_mass=0.375, baseline=0.875, baseline_accuracy=0.3125)


def test_the_pooled_standard_error_adds_the_files_variances():
    # √(100²·0.03² + 100²·0.04²) / 200 = √(9 + 16) / 200 = 5 / 200
    assert pooled([Part(100, mean=0.0, sem=0.03), Part(100, mean=0.0, sem=0.04)]).sem == 0.025
    # a file without a standard error counts 0: √(0 + 100²·0.04²) / 200 = 4 / 200
    assert pooled([Part(100, mean=0.0, sem=None), Part(100, mean=0.0, sem=0.04)]).sem == 0.02
    assert pooled([Part(7, mean=1.5, sem=0.25, accuracy=0.5)]) == Pooled(7, 1.5, 0.25, 0.5, None, None, None)


@dataclass
class Decision:
    eligible: bool
    reason: str


def test_no_public_trend_leaves_the_eligibility_unknown():
    assert verdict(trends=[], override=None) == Verdict(
        inverse=[], strictly_inverse=[], series_with_trend=0, eligible=None,
        eligibility_reason="Not known yet: no public series has results on two or more models.")
    held = verdict(trends=[trend("held-out", "inverse", private=True, monotonic=True)], override=None)
    assert (held.inverse, held.strictly_inverse, held.series_with_trend, held.eligible) == (
        ["held-out"], ["held-out"], 1, None)


def test_standard_scaling_on_a_public_series_makes_a_task_ineligible():
    found = verdict(trends=[trend("tiny", "standard"), trend("pythia", "inverse", monotonic=True),
                            trend("gpt2", "standard"), trend("held-out", "standard", private=True)], override=None)
    assert found == Verdict(
        inverse=["pythia"], strictly_inverse=["pythia"], series_with_trend=4, eligible=False,
        eligibility_reason="Standard scaling on tiny, gpt2: the rules require that the plot does not show a "
                           "standard scaling law.")


def test_a_task_without_standard_public_scaling_is_eligible():
    found = verdict(trends=[trend("tiny", "inverse"), trend("pythia", "U-shaped"),
                            trend("held-out", "standard", private=True)], override=None)
    assert (found.inverse, found.strictly_inverse, found.eligible, found.eligibility_reason) == (
        ["tiny"], [], True, "No public series shows standard scaling.")


def test_the_organizers_decision_overrides_the_rule():
    decision = Decision(eligible=True, reason="the standard trend is within the noise")
    found = verdict(trends=[trend("tiny", "standard")], override=decision)
    assert (found.eligible, found.eligibility_reason, found.override) == (
        True, "Decided by the organizers: the standard trend is within the noise", decision)
    assert verdict(trends=[], override=Decision(eligible=False, reason="labels are wrong")).eligible is False


def test_eligibility_from_two_models_says_it_rests_on_two_models():
    found = verdict(trends=[trend("tiny", "inverse", models=2), trend("held-out", "inverse", private=True, models=2)],
                    override=None)
    assert found == Verdict(
        inverse=["tiny", "held-out"], strictly_inverse=[], series_with_trend=2, eligible=True,
        eligibility_reason="No public series shows standard scaling. On tiny it rests on two models (the larger is "
                           "worse).", on_two_models=["tiny", "held-out"])
    assert found.inverse_described == ["tiny (two models)", "held-out (two models)"]
    standard = verdict(trends=[trend("tiny", "standard", models=2), trend("pythia", "inverse", monotonic=True)],
                       override=None)
    assert (standard.eligible, standard.eligibility_reason, standard.strictly_inverse, standard.inverse_described) == (
        False, "Standard scaling on tiny: the rules require that the plot does not show a standard scaling law. "
               "On tiny it rests on two models (the larger is better).", ["pythia"], ["pythia"])
    flat = verdict(trends=[trend("tiny", "flat", models=2), trend("gpt2", "flat", models=2)], override=None)
    assert flat.eligibility_reason == ("No public series shows standard scaling. On tiny it rests on two models (the "
                                       "larger is no different). On gpt2 it rests on two models (the larger is no "
                                       "different).")


def test_a_series_of_two_models_is_never_strictly_inverse_nor_shaped():
    two = trend("held-out", "inverse", models=2)
    assert (two.on_two_models, two.inverse, two.strictly_inverse, two.headline, two.comparison, two.trend.monotonic) == (
        True, True, False, "two models: the larger is worse", "worse", False)
    three = trend("tiny", "inverse", monotonic=True)
    assert (three.on_two_models, three.strictly_inverse, three.headline, three.two_models_note) == (
        False, True, "inverse", "")
