"""The human validation's plain rules (no Django, no database): the agreement statistics on a planted case with
known answers, the sample drawn with a fixed seed, what a validator is shown per metric, and who answers what."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.engine.taskfile import read_task_csv
from reviews.agreement import Disagreement, ExampleAnswers, agreement, majority
from reviews.sampling import SEQUENCE_CHOICES, Given, Plan, Sampled, Shown, plan, sample
from tests import datasets

ROOT = Path(__file__).resolve().parents[2]


def test_the_validation_rules_and_the_licences_import_no_django():
    code = ("import sys, reviews.agreement, reviews.sampling, reviews.licences\n"
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


# --- agreement -----------------------------------------------------------------------------------------------

# Six examples, 2 answers needed each: (label, choices, skips).
PLANTED = [
    ExampleAnswers(0, (0, 0)),      # both agree
    ExampleAnswers(1, (1, 0)),      # a tie: no majority
    ExampleAnswers(2, (0, 0)),      # both disagree: the majority says 0
    ExampleAnswers(0, (0,), 1),     # one agrees, one skipped: short of 2 answers
    ExampleAnswers(1, (), 2),       # both skipped: unanswered
    ExampleAnswers(0, (0, 0, 1)),   # a third validator disagrees; the majority agrees
]


def test_agreement_on_a_planted_case_with_known_answers():
    result = agreement(PLANTED, needed=2)
    assert (result.answers, result.agreeing, result.share) == (10, 6, 0.6)
    # Wilson 95% of 6/10: the textbook 0.3127 .. 0.8318
    assert result.interval == pytest.approx((0.31267376973365824, 0.8318196702937638), abs=1e-12)
    assert (result.examples, result.majority_agreeing, result.ties, result.human_agreement) == (5, 3, 1, 0.6)
    assert result.human_interval == pytest.approx((0.2307242812760128, 0.882379225767352), abs=1e-12)  # 3/5
    assert (result.unanswered, result.skips, result.short, result.complete) == (1, 3, 2, False)
    assert result.disagreeing == (
        Disagreement(index=1, label=1, choices=(1, 0), majority=None, majority_agrees=False),
        Disagreement(index=2, label=2, choices=(0, 0), majority=0, majority_agrees=False),
        Disagreement(index=5, label=0, choices=(0, 0, 1), majority=0, majority_agrees=True))


def test_a_skip_is_not_a_disagreement():
    answered = agreement([ExampleAnswers(0, (0, 0)), ExampleAnswers(1, (1,))], needed=1)
    with_skips = agreement([ExampleAnswers(0, (0, 0), 3), ExampleAnswers(1, (1,), 2), ExampleAnswers(1, (), 1)],
                           needed=1)
    assert (answered.share, answered.human_agreement, answered.disagreeing) == (1.0, 1.0, ())
    assert (with_skips.share, with_skips.human_agreement, with_skips.disagreeing) == (1.0, 1.0, ())
    assert (with_skips.answers, with_skips.skips, with_skips.unanswered, with_skips.short) == (3, 6, 1, 1)


def test_no_answer_gives_no_share_and_a_full_agreement_keeps_an_interval_below_one():
    nothing = agreement([ExampleAnswers(0, ())], needed=2)
    assert (nothing.share, nothing.interval, nothing.human_agreement, nothing.human_interval) == (None,) * 4
    all_right = agreement([ExampleAnswers(0, (0, 0))] * 50, needed=2)  # 100 answers, all right
    assert (all_right.share, all_right.human_agreement, all_right.complete) == (1.0, 1.0, True)
    # at k = n the Wilson interval is [n / (n + z²), 1]
    assert all_right.interval == pytest.approx((100 / (100 + 1.959963984540054 ** 2), 1.0), abs=1e-12)  # 0.96301
    assert all_right.human_interval == pytest.approx((50 / (50 + 1.959963984540054 ** 2), 1.0), abs=1e-12)  # 0.92865


@pytest.mark.parametrize(("choices", "expected"), [
    ((), None), ((1,), 1), ((1, 0), None), ((2, 2, 0), 2), ((0, 1, 0, 1), None), ((0, 1, 2), None), ((3, 3, 1, 1, 3), 3)])
def test_a_majority_is_strict(choices, expected):
    assert majority(choices) == expected


# --- the sample ------------------------------------------------------------------------------------------------


def task_file(name: str, rows: list[dict], *, metric: str, kind: str, index: int | None = None):
    parsed, errors, _ = read_task_csv(name, datasets.to_csv_bytes(rows), metric=metric, kind=kind, index=index)
    assert errors == []
    return parsed


def test_the_sample_is_drawn_with_its_seed_from_the_non_control_files_in_the_order_drawn():
    rows = datasets.syllogism_classification_rows(n=12, seed=0)
    files = [task_file("t-PART1.csv", rows[:5], metric="classification", kind="part", index=1),
             task_file("t-CONTROL1.csv", rows[5:7], metric="classification", kind="control", index=1),
             task_file("t-PART2.csv", rows[7:], metric="classification", kind="part", index=2)]
    drawn, population = sample(files, size=4, seed=7)
    # the population: PART1 rows 0-4 (numbered 0-4) and PART2 rows 0-4 (5-9); seed 7 draws 5, 2, 6, 9. Each
    # prompt spans 11 lines, so row r is at line 2 + 11 r.
    assert population == 10
    assert [(s.file_name, s.row, s.line) for s in drawn] == [
        ("t-PART2.csv", 0, 2), ("t-PART1.csv", 2, 24), ("t-PART2.csv", 1, 13), ("t-PART2.csv", 4, 46)]
    assert drawn[1] == Sampled("t-PART1.csv", "part", 1, 2, 24, Shown(rows[2]["prompt"], "", (" Yes", " No"),
                                                                     int(rows[2]["answer_index"])))
    assert sample(files, size=4, seed=7) == (drawn, 10)  # the same seed, the same sample
    assert sample(files, size=4, seed=8)[0] != drawn
    everything, _ = sample(files, size=50, seed=7)  # fewer examples than asked: all of them
    assert sorted((s.file_name, s.row) for s in everything) == sorted(
        [("t-PART1.csv", r) for r in range(5)] + [("t-PART2.csv", r) for r in range(5)])


def test_what_a_validator_is_shown_for_each_metric():
    [sequence] = sample([task_file("s.csv", datasets.lambada_sequence_prob_rows(n=1, seed=0), metric="sequence_prob",
                                   kind="main")], size=1, seed=0)[0]
    row = datasets.lambada_sequence_prob_rows(n=1, seed=0)[0]
    assert sequence.shown == Shown(row["prompt"], row["completion"], SEQUENCE_CHOICES, 0)
    assert SEQUENCE_CHOICES == ("The completion is right", "The completion is not right")
    for metric in ("logodds", "absolute_logodds"):
        rows = datasets.logodds_rows(n=1, seed=0)
        [drawn] = sample([task_file("l.csv", rows, metric=metric, kind="main")], size=1, seed=0)[0]
        classes = tuple(ast.literal_eval(rows[0]["classes"]))
        assert drawn.shown == Shown(rows[0]["prompt"], "", classes, int(rows[0]["answer_index"]))  # not other_prompt
        assert rows[0]["other_prompt"] not in drawn.shown.prompt


# --- who answers what ----------------------------------------------------------------------------------------


def test_each_example_goes_to_the_least_loaded_validators_not_yet_given_it():
    fresh = {position: Given() for position in range(1, 6)}
    assert plan(examples=fresh, validators=[1, 2, 3], per_example=2) == Plan(given=[
        (1, 1), (1, 2), (2, 3), (2, 1), (3, 2), (3, 3), (4, 1), (4, 2), (5, 3), (5, 1)])  # loads 4, 3, 3
    assert plan(examples=fresh, validators=[1], per_example=2) == Plan(
        given=[(p, 1) for p in range(1, 6)], short=dict.fromkeys(range(1, 6), 1))


def test_a_skip_sends_the_example_to_one_more_validator_or_leaves_it_short():
    # example 1: validator 1 answered, 2 skipped; example 2: 1 answered, 3 waiting; example 3: both answered
    state = {1: Given(answered=1, waiting=0, validators=frozenset({1, 2})),
             2: Given(answered=1, waiting=1, validators=frozenset({1, 3})),
             3: Given(answered=2, waiting=0, validators=frozenset({2, 3}))}
    assert plan(examples=state, validators=[1, 2, 3], per_example=2) == Plan(given=[(1, 3)])
    assert plan(examples=state, validators=[1, 2], per_example=2) == Plan(short={1: 1})
