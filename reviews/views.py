"""Review-side pages. Thin: forms collect, services decide, selectors say who sees what."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from evaluation import figures
from evaluation.engine.trends import RULE as TREND_RULE
from portal import refusals
from portal import selectors as portal_selectors
from portal.access import organizer_required
from portal.models import Contest, Round, Submission
from portal.refusals import Refused, act, ensure_valid
from portal.roles import CONTESTANT, ORGANIZER, REVIEWER, role_of

from . import export, outcome, prizes, release, selectors, services, suggestions
from .annotation_views import annotation_context
from .forms import (
    AddReviewerForm,
    AssignForm,
    AutoAssignForm,
    ConfirmForm,
    DomainConflictForm,
    LicenceForm,
    NonprofitForm,
    OrganizerConflictForm,
    OverrideForm,
    RankingForm,
    ReasonForm,
    ReviewForm,
)
from .models import Award


def _site(request) -> str:
    return request.build_absolute_uri("/")


def _refused(request, message: str, *, status: int = 403):
    return refusals.refused_page(request, Refused(message, status=status))


# --- reviewers --------------------------------------------------------------------------------------


@login_required
def home(request):
    role = role_of(request.user)
    if role == ORGANIZER:
        return render(request, "reviews/organizer_home.html", {"contests": selectors.contests_for_organizers()})
    if role != REVIEWER:
        return _refused(request, "Only reviewers and organizers have a reviews page.")
    rounds = selectors.reviewer_rounds(request.user)
    return render(request, "reviews/reviewer_home.html", {
        "rounds": [(r, RankingForm(items=r.ranked)) for r in rounds],
        "seats": [] if rounds else selectors.panel_seats(request.user),  # why nothing is assigned
        "conflicts": selectors.conflicts_of(request.user), "domain_form": DomainConflictForm(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def assignment_detail(request, pk: int):
    assignment = selectors.get_assignment_for(user=request.user, pk=pk)
    own = assignment.reviewer_id == request.user.pk
    criteria = selectors.rubric()
    reviews = selectors.shown_reviews(viewer=request.user, submission=assignment.submission)
    stored = getattr(assignment, "review", None)
    form = ReviewForm(request.POST or None, criteria=criteria, initial=ReviewForm.initial_from(stored if own else None))
    status = 200
    if request.method == "POST":
        try:
            ensure_valid(form)
            services.save_review(assignment=assignment, user=request.user, levels=form.levels(),
                                 to_authors=form.cleaned_data["to_authors"],
                                 to_organizers=form.cleaned_data["to_organizers"],
                                 submit=request.POST.get("action") == "submit")
        except Refused as refused:
            refusals.add_to_form(form, refused)
            status = refused.status
        else:
            messages.success(request, "Review submitted." if request.POST.get("action") == "submit"
                             else "Draft saved.")
            return redirect("reviews-assignment", pk=pk)
    round = assignment.submission.round
    return render(request, "reviews/assignment.html", {
        "assignment": assignment, "own": own, "form": form, "criteria": criteria, "reviews": reviews,
        "submission": selectors.anonymous_submission(assignment, preview=True),
        "open": selectors.reviews_open(round=round), "deadline": selectors.review_deadline(round),
        "submitted": stored is not None and stored.status == stored.SUBMITTED,
        "validation": selectors.validation_for_assignment(assignment, viewer=request.user),
        **_results_context(selectors.results_for_assignment(assignment)),
    }, status=status)


def _results_context(reviewer_results: selectors.ReviewerResults) -> dict:
    """The assignment page's results section: each file (the whole task first) with its Plotly figures,
    and the suggested levels beside Strength and Generality."""
    results = reviewer_results.results
    files = results.shown
    return {
        "results": results, "trend_rule": TREND_RULE, "suggestion_rule": suggestions.RULE,
        "suggestions": reviewer_results.suggestions, "suggested": (suggestions.STRENGTH, suggestions.GENERALITY),
        "has_results": any(row.points for f in files for row in f.series),
        "result_files": [figures.file_view(f, metric=results.metric) for f in files],
    }


@login_required
def assignment_zip(request, pk: int):
    assignment = selectors.get_assignment_for(user=request.user, pk=pk)
    response = HttpResponse(selectors.anonymised_zip(assignment), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="task.zip"'
    return response


@login_required
@require_POST
def assignment_conflict(request, pk: int):
    assignment = selectors.get_assignment_for(user=request.user, pk=pk)

    def declare():
        services.declare_conflict(reviewer=request.user, by=request.user, submission=assignment.submission,
                                  reason=request.POST.get("reason", ""))
        return "Conflict declared; the submission is no longer assigned to you."
    return act(request, declare, back=reverse("reviews-assignment", args=[pk]), done=reverse("reviews-home"))


@login_required
@require_POST
def domain_conflict(request):
    form = DomainConflictForm(request.POST)

    def declare():
        ensure_valid(form)
        services.declare_conflict(reviewer=request.user, by=request.user, domain=form.cleaned_data["domain"],
                                  reason=form.cleaned_data["reason"])
        return f"Conflict with {form.cleaned_data['domain']} declared."
    return act(request, declare, back=reverse("reviews-home"))


@login_required
@require_POST
def ranking(request, round_pk: int):
    round = get_object_or_404(Round, pk=round_pk)
    reviewer_round = next((r for r in selectors.reviewer_rounds(request.user) if r.round.pk == round.pk), None)
    if reviewer_round is None:
        return _refused(request, "You have no submissions to rank in this round.", status=404)
    form = RankingForm(request.POST, items=reviewer_round.ranked)

    def save():
        ensure_valid(form)
        services.save_ranking(reviewer=request.user, round=round, submission_ids=form.ordered_ids())
        return f"Ranking of {round} saved."
    return act(request, save, back=reverse("reviews-home"))


# --- organizers ------------------------------------------------------------------------------------


@organizer_required
def contest_reviews(request, slug: str):
    contest = get_object_or_404(Contest, slug=slug)
    return render(request, "reviews/contest.html", {
        "contest": contest, "settings": selectors.review_settings(contest), "rounds": selectors.review_overview(contest),
        "panel": selectors.panel(contest), "add_reviewer_form": AddReviewerForm(),
        "assign_form": AssignForm(contest=contest), "auto_form": AutoAssignForm(prefix="auto"),
        "conflict_form": OrganizerConflictForm(contest=contest),
        "licence": (licence := selectors.release_licence(contest)),
        "licence_form": LicenceForm(initial={"licence": licence.spdx}),
    })


def _organizer_post(request, slug: str, form_class, action, **form_kwargs):
    """Validate the form, run the service, say what happened, and go back to the contest's review page."""
    contest = get_object_or_404(Contest, slug=slug)
    form = form_class(request.POST, **form_kwargs)

    def run():
        ensure_valid(form)
        return action(contest, form.cleaned_data)
    return act(request, run, back=reverse("reviews-contest", args=[slug]))


@organizer_required
@require_POST
def add_reviewer(request, slug: str):
    def action(contest, data):
        services.add_reviewer(contest=contest, user=data["reviewer"], by=request.user)
        return f"{data['reviewer'].username} is on the panel."
    return _organizer_post(request, slug, AddReviewerForm, action)


@organizer_required
@require_POST
def assign(request, slug: str):
    def action(contest, data):
        services.assign(submission=data["submission"], reviewer=data["reviewer"], by=request.user,
                        due_at=data["due_at"], site=_site(request))
        return f"Assigned {data['reviewer'].username} to {data['submission'].task_name}."
    return _organizer_post(request, slug, AssignForm, action, contest=_contest_of(slug))


def _contest_of(slug: str) -> Contest:
    return get_object_or_404(Contest, slug=slug)


@organizer_required
@require_POST
def auto_assign(request, slug: str, number: int):
    round = get_object_or_404(Round, contest__slug=slug, number=number)

    def action(contest, data):
        result = services.auto_assign(round=round, by=request.user, due_at=data["due_at"], site=_site(request))
        short = f"; {len(result.short)} submission(s) stay short of N (see why below)" if result.short else ""
        return f"Made {len(result.created)} assignment(s) in {round}{short}."
    return _organizer_post(request, slug, AutoAssignForm, action, prefix="auto")


@organizer_required
@require_POST
def organizer_conflict(request, slug: str):
    def action(contest, data):
        services.declare_conflict(reviewer=data["reviewer"], by=request.user, submission=data["submission"],
                                  domain=data["domain"], reason=data["reason"], contest=contest)
        return f"Conflict of {data['reviewer'].username} recorded."
    return _organizer_post(request, slug, OrganizerConflictForm, action, contest=_contest_of(slug))


@organizer_required
@require_POST
def unassign(request, pk: int):
    assignment = selectors.get_assignment_for(user=request.user, pk=pk)
    slug = assignment.submission.contest.slug

    def action(contest, data):
        services.unassign(assignment=assignment, by=request.user, reason=data["reason"])
        return f"Removed {assignment.reviewer.username} from {assignment.submission.task_name}."
    return _organizer_post(request, slug, ReasonForm, action)


@organizer_required
def submission_reviews(request, pk: int):
    submission = portal_selectors.get_submission_for(user=request.user, pk=pk)
    return render(request, "reviews/submission.html", {
        "submission": submission, "version": submission.current_version,
        "reviews": selectors.shown_reviews(viewer=request.user, submission=submission),
        "criteria": selectors.rubric(), "removed": submission.review_assignments.filter(removed_at__isnull=False),
        "warnings": selectors.author_scan_warnings(submission.current_version),
        "awards": selectors.awards_visible_to(user=request.user, submission=submission),
        "levels": prizes.combine(selectors.submitted_levels(submission)),
        **annotation_context(submission),
    })


@organizer_required
def awards(request, slug: str, number: int):
    round = get_object_or_404(Round.objects.select_related("contest"), contest__slug=slug, number=number)
    return render(request, "reviews/awards.html", {
        "round": round, "contest": round.contest, "proposal": selectors.award_proposal(round),
        "criteria": selectors.rubric(), "released": portal_selectors.feedback_released(round=round),
        "settings": selectors.review_settings(round.contest),
    })


def _round_action(request, slug: str, number: int, run):
    round = get_object_or_404(Round.objects.select_related("contest"), contest__slug=slug, number=number)
    return act(request, lambda: run(round), back=reverse("reviews-awards", args=[slug, number]))


@organizer_required
@require_POST
def confirm_awards(request, slug: str, number: int):
    form = ConfirmForm(request.POST)

    def run(round):
        ensure_valid(form)
        awards = outcome.confirm_awards(round=round, by=request.user, acknowledged=form.acknowledged())
        return f"Confirmed {len(awards)} award(s) of {round}."
    return _round_action(request, slug, number, run)


@organizer_required
@require_POST
def override_award(request, slug: str, number: int):
    form = OverrideForm(request.POST)

    def run(round):
        ensure_valid(form)
        submission = get_object_or_404(Submission, pk=form.cleaned_data["submission"], contest=round.contest)
        outcome.override_award(round=round, submission=submission, tier=form.cleaned_data["tier"],
                               reason=form.cleaned_data["reason"], by=request.user,
                               acknowledgement=form.acknowledgement())
        return f"{submission.task_name}: {form.cleaned_data['tier']}."
    return _round_action(request, slug, number, run)


@organizer_required
@require_POST
def announce_awards(request, slug: str, number: int):
    def run(round):
        awards = outcome.announce_awards(round=round, by=request.user, site=_site(request))
        return f"Announced {len(awards)} award(s) of {round}; the winners were emailed."
    return _round_action(request, slug, number, run)


@organizer_required
@require_POST
def release_feedback(request, slug: str, number: int):
    def run(round):
        outcome.release_feedback(round=round, by=request.user, site=_site(request))
        return f"Released the feedback of {round}; each contestant was emailed."
    return _round_action(request, slug, number, run)


@organizer_required
def audit_log(request, slug: str):
    contest = get_object_or_404(Contest, slug=slug)
    return render(request, "reviews/audit.html", {"contest": contest, "entries": selectors.audit_entries(contest)})


def _zip_download(request, contest: Contest, *, write, what: str, name: str):
    """The zip `write(contest, target)` makes, as a download named <slug>-<name>-<date>.zip, recorded in the audit
    log as `what`; a refusal of the export (Refused) is its page, a failure to read a stored file a 500 page."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    try:
        names = write(contest, target)
    except Refused as refused:
        target.close()
        return refusals.refused_page(request, refused)
    except export.ExportFailed as failed:
        target.close()
        return _refused(request, str(failed), status=500)
    services.record_export(contest=contest, by=request.user, what=f"{what} ({len(names)} tasks)")
    target.seek(0)
    stamp = timezone.now().strftime("%Y%m%d")
    return FileResponse(target, as_attachment=True, filename=f"{contest.slug}-{name}-{stamp}.zip",
                        content_type="application/zip")


@organizer_required
def export_benchmark(request, slug: str):
    contest = get_object_or_404(Contest, slug=slug)
    return _zip_download(request, contest, write=export.write_benchmark, what="the benchmark", name="benchmark")


@organizer_required
def export_release(request, slug: str):
    """The public release (reviews/release.py); before a round is announced, the refusal export_release gives."""
    contest = get_object_or_404(Contest, slug=slug)
    return _zip_download(request, contest, write=release.write_release, what="the public release", name="release")


def _csv_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@organizer_required
def export_reviews(request, slug: str):
    contest = get_object_or_404(Contest, slug=slug)
    identities = request.GET.get("identities") == "1"
    body = export.reviews_csv(contest, viewer=request.user, identities=identities)
    services.record_export(contest=contest, by=request.user,
                           what=f"the reviews CSV ({'with' if identities else 'without'} reviewer identities)")
    return _csv_response(body, f"{contest.slug}-reviews.csv")


@organizer_required
def export_awards(request, slug: str):
    contest = get_object_or_404(Contest, slug=slug)
    body = export.awards_csv(contest)
    services.record_export(contest=contest, by=request.user, what="the awards CSV")
    return _csv_response(body, f"{contest.slug}-awards.csv")


# --- contestants ----------------------------------------------------------------------------------------


@login_required
@require_POST
def nonprofit(request, pk: int):
    award = get_object_or_404(Award.objects.select_related("submission", "round__contest"), pk=pk)
    if award not in selectors.awards_visible_to(user=request.user, submission=award.submission):
        return _refused(request, "There is no such award.", status=404)
    form = NonprofitForm(request.POST)

    def save():
        ensure_valid(form)
        outcome.name_nonprofit(award=award, user=request.user, nonprofit=form.cleaned_data["nonprofit"])
        return "Saved: " + (form.cleaned_data["nonprofit"] or "the prize is paid to you") + "."
    return act(request, save, back=reverse("submission-detail", args=[award.submission_id]))


def feedback_panel(request, submission: Submission) -> str | None:
    """The review section of the submission page: the owner's feedback once released; a summary for organizers."""
    role = role_of(request.user)
    if role == ORGANIZER:
        return render_to_string("reviews/_organizer_panel.html", {
            "submission": submission, "reviews": selectors.shown_reviews(viewer=request.user, submission=submission),
            "awards": selectors.awards_visible_to(user=request.user, submission=submission)}, request=request)
    if role != CONTESTANT or not portal_selectors.feedback_released(round=submission.round):
        return None
    prize = prizes.prize_of(selectors.awards_visible_to(user=request.user, submission=submission))
    return render_to_string("reviews/_feedback_panel.html", {
        "submission": submission, "criteria": selectors.rubric(),
        "meta_review": selectors.meta_review_for(viewer=request.user, submission=submission),
        "reviews": selectors.shown_reviews(viewer=request.user, submission=submission),
        "prize": prize, "current_award": prize.award if prize else None,
        "nonprofit_form": NonprofitForm(initial={"nonprofit": prize.award.nonprofit} if prize else None),
    }, request=request)
