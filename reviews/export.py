"""The organizers' exports: the benchmark of Accepted Tasks (one zip), and CSVs of reviews and awards
(written by evaluation.engine.safecsv: a cell a contestant or reviewer wrote never runs as a formula).

Everything is read through selectors (accepted_submissions, shown_reviews as the organizer who
exports sees them), so an export holds nothing its reader could not see on the pages.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from typing import BinaryIO

from django.template.loader import render_to_string

from evaluation import selectors as evaluation_selectors
from evaluation.api import ResultsSerializer, results_payload
from evaluation.engine.safecsv import csv_text
from evaluation.engine.taskfile import read_task_csv
from portal.models import Contest, Submission, SubmissionVersion

from . import prizes, selectors, taskzip
from .models import Award

DESCRIPTION_FIELDS = ("what_it_tests", "correct_behaviour", "why_it_matters", "data_generation", "dataset_sources",
                      "generation_code_url", "has_control_data", "persists_few_shot", "persists_finetuning",
                      "persists_rlhf")


class ExportFailed(Exception):
    """A stored task could not be read back; the message names it."""


def stored_files(version: SubmissionVersion) -> list[tuple[dict, bytes]]:
    """The version's CSVs with their bytes, read back from its stored zip (each checked against its sha256).
    Raises ExportFailed, naming the task and version, if the zip cannot be read or no longer holds them."""
    try:
        with version.zip_file.open("rb") as stored:
            return taskzip.read_csvs(stored, version.files)
    except (OSError, zipfile.BadZipFile, taskzip.DamagedZip) as exc:
        raise ExportFailed(f"The stored zip of {version.task_name} (version {version.number}) could not be "
                           f"read: {exc}") from exc


def examples_of(version: SubmissionVersion, files: list[tuple[dict, bytes]]) -> list[tuple[dict, dict]]:
    """(file, record) for each example of the non-control files, in order: the record holds the fields the
    metric evaluates (the typed example's, as the engine reads them; `classes` a list) and "line" (its line
    in the CSV). Raises ExportFailed if a file no longer reads as a valid file."""
    out = []
    for file, data in files:
        if file["kind"] == "control":
            continue
        task_file, errors, _ = read_task_csv(file["name"], data, metric=version.metric, kind=file["kind"],
                                             index=file["index"])
        if task_file is None or errors:
            raise ExportFailed(f"{file['name']} of {version.task_name} no longer reads as a valid file.")
        for example in task_file.examples:
            out.append((file, {f.name: (list(value) if isinstance(value := getattr(example, f.name), tuple)
                                        else value) for f in dataclasses.fields(example)}))
    return out


def _jsonl(version: SubmissionVersion, files: list[tuple[dict, bytes]], round_number: int) -> bytes:
    """One JSON object per example of the non-control files: the fields the metric evaluates (the typed
    example's, as the engine reads them), "part" (the N of a PART<N> file, null for a task in one file)
    and "round"."""
    lines = []
    for file, example in examples_of(version, files):
        record = {name: value for name, value in example.items() if name != "line"}
        record.update(part=file["index"] if file["kind"] == "part" else None, round=round_number)
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _award(prize: prizes.Prize | None) -> dict | None:
    """The task's prize over the contest: its highest tier, what is paid in all, the round it was won in,
    the earlier award it upgrades, and the non-profit named for the latest payment."""
    if prize is None:
        return None
    was = prize.upgraded_from
    return {"tier": prize.tier, "amount_usd": prize.total, "round": prize.award.round.number,
            "upgraded_from": {"tier": was.tier, "round": was.round.number, "amount_usd": prize.paid_earlier} if was else None,
            "nonprofit": prize.award.nonprofit or None}


def _metadata(submission: Submission, tier: str, prize: prizes.Prize | None) -> dict:
    version = submission.current_version
    return {
        "task_name": version.task_name,
        "metric": version.metric,
        "shot_setting": version.shot_setting,
        "round": submission.round.number,
        "version": version.number,
        "authors": [{"name": a.name, "email": a.email, "affiliation": a.affiliation} for a in version.authors.all()],
        "description": {name: getattr(version, name) for name in DESCRIPTION_FIELDS},
        "eligible_tier": tier,
        "award": _award(prize),
        "files": [{"name": f["name"], "kind": f["kind"], "index": f["index"], "rows": f["rows"],
                   "sha256": f.get("sha256")} for f in version.files],
    }


def _results(submission: Submission) -> bytes:
    """The current version's results on every series (private ones included: this export is for the
    organizers), as GET /api/submissions/<id>/results/ gives them, without the per-example CSV links."""
    results = evaluation_selectors.results_on_every_series(version=submission.current_version)
    payload = ResultsSerializer(results_payload(None, submission, results)).data  # no request: no CSV links
    return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")


def _task_members(submission: Submission, tier: str, prize: prizes.Prize | None) -> list[tuple[str, bytes]]:
    version = submission.current_version
    files = stored_files(version)
    folder = f"tasks/{version.task_name}"
    members = [(f"{folder}/{file['name']}", data) for file, data in files]
    members.append((f"{folder}/{version.task_name}.jsonl", _jsonl(version, files, submission.round.number)))
    members.append((f"{folder}/metadata.json",
                    json.dumps(_metadata(submission, tier, prize), indent=2, ensure_ascii=False).encode("utf-8")))
    members.append((f"{folder}/results.json", _results(submission)))
    return members


def write_benchmark(contest: Contest, target: BinaryIO) -> list[str]:
    """Write the benchmark zip of the contest's Accepted Tasks into `target`; returns their task names.
    Raises ExportFailed, naming the task, if a stored task cannot be read back."""
    accepted = selectors.accepted_submissions(contest)
    digests: dict[str, str] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        readme = render_to_string("reviews/export/README.md", {"contest": contest, "accepted": accepted})
        digests["README.md"] = taskzip.add_member(archive, "README.md", readme.encode("utf-8"))
        for submission, tier, prize in accepted:
            for name, data in _task_members(submission, tier, prize):
                digests[name] = taskzip.add_member(archive, name, data)
        sums = "".join(f"{sha}  {name}\n" for name, sha in sorted(digests.items()))
        taskzip.add_member(archive, "SHA256SUMS", sums.encode("utf-8"))
    return [s.current_version.task_name for s, _, _ in accepted]


def reviews_csv(contest: Contest, *, viewer, identities: bool = False) -> str:
    """One row per review of the contest's submissions; reviewers as "Reviewer N" unless `identities`. Each
    submission by its id and by its number in the contest (what reviewers read as "Submission N")."""
    keys = selectors.criterion_keys()
    header = ["round", "submission_id", "submission_number", "task_name", "reviewer", "status", "submitted_at", "revisions", *keys,
              "to_authors", "to_organizers"]
    rows = []
    submissions = list(Submission.objects.filter(contest=contest).select_related("round")
                       .order_by("round__number", "pk"))
    shown = selectors.shown_reviews_of_each(viewer=viewer, submissions=submissions)
    for submission in submissions:
        for review in shown[submission.pk]:
            who = review.reviewer if identities and review.reviewer else selectors.numbered_reviewer(review.number)
            rows.append([submission.round.number, submission.pk, submission.number, submission.task_name, who, review.status,
                         review.submitted_at.isoformat() if review.submitted_at else "",
                         len(review.revisions or []), *[review.levels.get(k, "") for k in keys],
                         review.to_authors, review.to_organizers or ""])
    return csv_text(header=header, rows=rows)


def awards_csv(contest: Contest) -> str:
    """One row per award decided in the contest's rounds: what is paid in that round. A round-1 winner
    kept in round 2 has no round-2 row; an upgrade names the tier it upgrades and pays the difference, so
    `total_paid_usd` (the submission's awards so far) is the highest tier's amount."""
    header = ["round", "submission_id", "task_name", "owner", "authors", "tier", "upgraded_from",
              "amount_paid_usd", "total_paid_usd", "proposed_tier", "override_reason", "nonprofit", "decided_by",
              "decided_at", "announced"]
    awards = (Award.objects.filter(round__contest=contest).select_related("round", "submission__owner", "decided_by",
                                                                          "submission__current_version")
              .prefetch_related("submission__current_version__authors").order_by("round__number", "submission_id"))
    paid: dict[int, int] = {}
    announced: dict[int, bool] = {}  # round id -> whether its awards are announced
    rows = []
    for a in awards:
        paid[a.submission_id] = paid.get(a.submission_id, 0) + a.amount
        if a.round_id not in announced:
            announced[a.round_id] = selectors.awards_announced(a.round)
        rows.append([a.round.number, a.submission_id, a.submission.task_name, a.submission.owner.username,
                     "; ".join(f"{x.name} <{x.email}>" for x in a.submission.current_version.authors.all()),
                     a.tier, a.upgraded_from, a.amount, paid[a.submission_id], a.proposed_tier or "none",
                     a.override_reason, a.nonprofit, a.decided_by.username if a.decided_by else "",
                     a.decided_at.isoformat(), "yes" if announced[a.round_id] else "no"])
    return csv_text(header=header, rows=rows)


def overview_csv(overview, rows) -> str:
    """The organizers' overview of a round (selectors.round_overview), its rows as the page sorts and filters them."""
    header = (["number", "task", "metric", "owner"] + [f"trend: {s.name}{' (private)' if s.is_private else ''}"
                                                     for s in overview.series]
              + ["eligibility", "eligibility reason", "reviews", "reviews required"] + overview.criteria
              + ["eligible tier", "award", "human agreement", "human agreement 95% low", "human agreement 95% high",
                 "answers agreeing", "answers", "validation complete"])
    out = []
    for r in rows:
        a = r.validation.agreement if r.validation else None
        low, high = (a.human_interval if a and a.human_interval else (None, None))
        shown = r.trends_shown
        out.append([r.submission.number, r.submission.task_name, r.submission.metric, r.submission.owner,
                    *(shown[s.name] for s in overview.series),
                    r.eligibility, r.eligibility_reason, r.reviews, r.required,
                    *(r.levels.get(c, "") for c in overview.criteria), r.tier, r.award,
                    a.human_agreement if a else None, low, high, a.agreeing if a else None, a.answers if a else None,
                    a.complete if a else None])
    return csv_text(header=header, rows=out)
