"""How far a version's runs have come, as the progress bars and the API's `evaluation` say it: per run the
examples scored out of those the version's files now ask for (a file's stored results count as done, whatever
new work is queued on the run), its phase, and why it ended without every result; over the runs, one status.
The series a user may see are the caller's (selectors.visible_series)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portal.models import SubmissionVersion

from .lifecycle import CANCELLED_BY_ORGANIZERS, CONTESTANT_FAILURE, FILES_NOT_SCORED, REPLACED, REPLACED_BEFORE_SCORING
from .models import FewShotRequest, ModelSeries, Run


@dataclass
class RunProgress:
    run: Run
    expected_total: int = 0  # the examples the run will score, known before it starts

    @property
    def total(self) -> int:
        """The run's own count while it runs or once done; otherwise what the version's files promise."""
        if self.run.status in (Run.RUNNING, Run.DONE) and self.run.total_examples:
            return self.run.total_examples
        return max(self.expected_total, self.run.total_examples)

    @property
    def done(self) -> int:
        """Examples scored: all of them once done; once failed or cancelled, the rows of the files whose
        results are stored (`Run.scored`, kept while new work is queued on the run); while queued or
        running, those or the holder's own count, if more."""
        if self.run.status == Run.DONE:
            return self.total
        stored = sum(f["rows"] for f in self.run.files if f.get("sha256") in self.run.scored)
        if self.run.status in (Run.FAILED, Run.CANCELLED):
            return min(self.total, stored)  # final: what has a result, not what was tried
        return min(self.total, max(self.run.done_examples, stored))

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def message(self, *, for_organizer: bool) -> str:
        """Why the run ended without every result: the organizers read its error log; the contestant a
        plain sentence (the reasons of files that could not be scored are in `file_errors`)."""
        return run_message(self.run, for_organizer=for_organizer)

    def as_dict(self, *, for_organizer: bool) -> dict:
        run = self.run
        return {"series": run.model.series.name, "model": run.model.name, "status": run.status,
                "phase": run.phase if run.status == Run.RUNNING else "", "done": self.done,
                "total": self.total, "message": self.message(for_organizer=for_organizer),
                "file_errors": run.file_errors}


def run_message(run: Run, *, for_organizer: bool) -> str:
    """Why a failed or cancelled run ended: its error log for organizers, a plain sentence for anyone else."""
    if run.status not in (Run.FAILED, Run.CANCELLED):
        return ""
    if for_organizer:
        return run.error
    if run.status == Run.CANCELLED:
        return run.error if run.error in (REPLACED, REPLACED_BEFORE_SCORING) else CANCELLED_BY_ORGANIZERS
    return FILES_NOT_SCORED if run.file_errors else CONTESTANT_FAILURE


def expected_examples(*, version: SubmissionVersion) -> int:
    """What a run of the version scores: every file's rows, once as uploaded and once per few-shot
    variant asked for (a variant has its source's rows)."""
    variants = FewShotRequest.objects.filter(submission_id=version.submission_id).count()
    return sum(f["rows"] for f in version.files) * (1 + variants)


def progress_of(*, version: SubmissionVersion, series: Sequence[ModelSeries]) -> list[RunProgress]:
    runs = list(Run.objects.filter(version=version, model__series__in=series)
                .select_related("model__series").order_by("model__series__position", "model__position"))
    expected = expected_examples(version=version) if runs else 0
    return [RunProgress(run, expected) for run in runs]


def evaluation_status(progress: Sequence[RunProgress]) -> dict:
    """{"status": queued|running|done|failed|cancelled, "done", "total"} over the runs (the API's
    `evaluation`). Cancelled runs count only when every run was cancelled: then the status is the final
    "cancelled" (a status with no run at all stays "queued" with a total of 0: nothing has started yet)."""
    live = [p for p in progress if p.run.status != Run.CANCELLED]
    statuses = {p.run.status for p in live}
    if not progress:
        status = "queued"
    elif not live:
        status, live = Run.CANCELLED, list(progress)
    elif statuses <= {Run.DONE, Run.FAILED}:
        status = Run.FAILED if Run.FAILED in statuses else Run.DONE
    elif statuses == {Run.QUEUED}:
        status = "queued"
    else:
        status = "running"
    return {"status": status, "done": sum(p.done for p in live), "total": sum(p.total for p in live)}
