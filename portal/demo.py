"""The demo's sample submissions: three tasks in the contest's formats, made by the project itself
(portal.samples builds their rows), submitted through the same service as the form, so a registered
demo series evaluates them like any contestant's task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import samples, services
from .models import Contest, Submission
from .services import AuthorData, SubmissionData

DEMO_AUTHOR = AuthorData("Demo Contestant", "contestant@example.org", "Inverse Scaling Portal")


@dataclass(frozen=True)
class Sample:
    data: SubmissionData
    rows: Callable[[], list[dict]]

    def zip_bytes(self) -> bytes:
        return samples.make_zip({f"{self.data.task_name}.csv": samples.to_csv_bytes(self.rows())})


def _data(task_name: str, metric: str, **text: str) -> SubmissionData:
    return SubmissionData(task_name=task_name, metric=metric, authors=(DEMO_AUTHOR,), shot_setting="zero-shot",
                          data_generation="Generated from templates over word lists by portal/samples.py "
                                          "(fixed seed).", **text)


SAMPLES = (
    Sample(_data(
        "syllogism-validity", "classification",
        what_it_tests="Whether a model judges a syllogism by its form rather than by how plausible the "
                      "conclusion sounds.",
        correct_behaviour="Answer Yes exactly when the conclusion follows from the premises.",
        why_it_matters="A model that reasons by plausibility can be talked into wrong conclusions."),
        lambda: samples.syllogism_classification_rows(n=300, seed=1)),
    Sample(_data(
        "repeated-word-recall", "sequence_prob",
        what_it_tests="Whether a model completes a passage with the word the passage named earlier.",
        correct_behaviour="Give the named word a high probability as the passage's last word.",
        why_it_matters="Tracking what a text has already said is the base of reading comprehension."),
        lambda: samples.lambada_sequence_prob_rows(n=300, seed=2)),
    Sample(_data(
        "premise-sensitivity", "logodds",
        what_it_tests="How much a model's answer moves when one premise of a chained syllogism changes.",
        correct_behaviour="Answer from the premises: both prompts support the same answer, so the odds "
                          "should barely move.",
        why_it_matters="Answers that swing with irrelevant wording are unreliable."),
        lambda: samples.logodds_rows(n=300, seed=3)),
)


def submit_samples(*, contest: Contest, user) -> list[str]:
    """Submit every sample the contest does not hold yet, as `user`; one line per sample saying what
    happened. A refusal (no open round, say) is reported, not raised: the demo runs without samples."""
    lines = []
    for sample in SAMPLES:
        name = sample.data.task_name
        if Submission.objects.filter(contest=contest, task_name=name).exists():
            lines.append(f"  sample {name}: already there")
            continue
        try:
            services.create_submission(user=user, contest=contest, data=sample.data, zip_file=sample.zip_bytes())
        except services.SubmissionRefused as refused:
            lines.append(f"  sample {name}: not submitted: {refused.message}")
            continue
        lines.append(f"  sample {name}: submitted ({sample.data.metric})")
    return lines
