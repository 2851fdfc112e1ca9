"""The organizers' additions to a task, posted from its review page (reviews-submission): the meta-review, the
causes, the published example; and the contest's release licence, from the contest's review page. Thin: forms
collect, the writes of reviews/annotations.py decide."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal import selectors as portal_selectors
from portal.access import organizer_required
from portal.models import Contest, Submission
from portal.refusals import act, ensure_valid

from . import annotations, selectors
from .forms import CausesForm, LicenceForm, MetaReviewForm, PublishExampleForm


def annotation_context(submission: Submission) -> dict:
    """The forms of the organizers' submission page, filled with what is stored."""
    meta = selectors.meta_review_to_edit(submission)
    chosen = selectors.published_example_of(submission)
    causes = selectors.causes_of(submission)
    return {
        "meta_review": meta,
        "meta_review_form": MetaReviewForm(initial={"summary": meta.summary, "why_it_won": meta.why_it_won}
                                           if meta else None),
        "causes": causes, "causes_form": CausesForm(initial={"causes": causes}),
        "published_example": chosen,
        "example_form": PublishExampleForm(version=submission.current_version,
                                           initial={"file_name": chosen.file_name, "row": chosen.row} if chosen
                                           else None),
        "validation": selectors.agreement_of(submission),
    }


def _submission_action(request, pk: int, run):
    submission = portal_selectors.get_submission_for(user=request.user, pk=pk)
    return act(request, lambda: run(submission), back=reverse("reviews-submission", args=[pk]))


@organizer_required
@require_POST
def meta_review(request, pk: int):
    form = MetaReviewForm(request.POST)

    def run(submission):
        ensure_valid(form)
        annotations.write_meta_review(submission=submission, by=request.user, summary=form.cleaned_data["summary"],
                                      why_it_won=form.cleaned_data["why_it_won"])
        return f"Meta-review of {submission.task_name} saved."
    return _submission_action(request, pk, run)


@organizer_required
@require_POST
def causes(request, pk: int):
    form = CausesForm(request.POST)

    def run(submission):
        ensure_valid(form)
        tagged = annotations.tag_causes(submission=submission, causes=list(form.cleaned_data["causes"]),
                                        new_cause=form.cleaned_data["new_cause"], by=request.user)
        return f"{submission.task_name}: {', '.join(c.name for c in tagged) or 'no cause'}."
    return _submission_action(request, pk, run)


@organizer_required
@require_POST
def publish_example(request, pk: int):
    def run(submission):
        form = PublishExampleForm(request.POST, version=submission.current_version)
        ensure_valid(form)
        chosen = annotations.publish_example(submission=submission, by=request.user,
                                             file_name=form.cleaned_data["file_name"], row=form.cleaned_data["row"])
        return f"The published example of {submission.task_name} is {chosen.file_name} row {chosen.row}."
    return _submission_action(request, pk, run)


@organizer_required
@require_POST
def licence(request, slug: str):
    contest = get_object_or_404(Contest, slug=slug)
    form = LicenceForm(request.POST)

    def run():
        ensure_valid(form)
        annotations.choose_licence(contest=contest, licence=form.cleaned_data["licence"], by=request.user)
        chosen = selectors.release_licence(contest)
        return f"The release of {contest} is licensed {chosen.name} ({chosen.spdx})."
    return act(request, run, back=reverse("reviews-contest", args=[slug]))
