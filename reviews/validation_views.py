"""The human validation's pages: the organizers' (a contest's validations, one validation, starting them, naming
validators) and the validators' (their validations; one example at a time). Thin: forms collect, the writes of
reviews/validation.py decide, selectors/validation.py says who sees what."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from portal import refusals
from portal.access import organizer_required
from portal.models import Contest, Round, Submission
from portal.refusals import Refused, act, ensure_valid
from portal.roles import REVIEWER, VALIDATOR, role_of

from . import selectors, validation
from .forms import AnswerForm, NameValidatorsForm, StartValidationForm, ValidationSettingsForm


def _settings(data: dict) -> validation.Settings:
    return validation.Settings(sample_size=data["sample_size"], seed=data["seed"],
                               answers_per_example=data["answers_per_example"])


# --- organizers ---------------------------------------------------------------------------------------------------


@organizer_required
def contest_validation(request, slug: str):
    contest = get_object_or_404(Contest, slug=slug)
    submissions = list(Submission.objects.filter(contest=contest, current_version__isnull=False)
                       .select_related("round", "owner", "current_version").order_by("round__number", "task_name"))
    summaries = selectors.agreement_of_each(submissions)
    rounds = []
    for round in contest.rounds.order_by("number"):
        rows = [(s, summaries[s.pk]) for s in submissions if s.round_id == round.pk]
        rounds.append((round, rows))
    return render(request, "reviews/validation_contest.html", {
        "contest": contest, "rounds": rounds, "start_form": StartValidationForm(contest=contest),
        "round_form": ValidationSettingsForm(prefix="round"), "validators_form": NameValidatorsForm(prefix="round"),
    })


@organizer_required
@require_POST
def start_validation(request, slug: str):
    contest = get_object_or_404(Contest, slug=slug)
    form = StartValidationForm(request.POST, contest=contest)
    back = reverse("reviews-validation-contest", args=[slug])

    def start():
        ensure_valid(form)
        started = validation.start_validation(submission=form.cleaned_data["submission"], by=request.user,
                                              settings=_settings(form.cleaned_data))
        return (f"Started the validation of {started.version.task_name}: {started.examples.count()} examples; name "
                "its validators below.")
    return act(request, start, back=back)


@organizer_required
@require_POST
def start_round_validations(request, slug: str, number: int):
    round = get_object_or_404(Round.objects.select_related("contest"), contest__slug=slug, number=number)
    form = ValidationSettingsForm(request.POST, prefix="round")

    def start():
        ensure_valid(form)
        result = validation.start_round_validations(round=round, by=request.user, settings=_settings(form.cleaned_data))
        left = "".join(f" {name}: {why}." for name, why in result.left.items())
        return (f"Started {len(result.started)} validation{'s' if len(result.started) != 1 else ''} in {round}"
                + (f"; left {len(result.left)}:{left}" if result.left else "."))
    return act(request, start, back=reverse("reviews-validation-contest", args=[slug]))


@organizer_required
@require_POST
def name_round_validators(request, slug: str, number: int):
    round = get_object_or_404(Round.objects.select_related("contest"), contest__slug=slug, number=number)
    form = NameValidatorsForm(request.POST, prefix="round")

    def name():
        ensure_valid(form)
        result = validation.name_validators_in_round(round=round, users=list(form.cleaned_data["validators"]),
                                                     by=request.user)
        left = "".join(f" {name}: {why}" for name, why in result.left.items())
        return (f"Named validators to {len(result.named)} validation{'s' if len(result.named) != 1 else ''} of "
                f"{round}" + (f"; left {len(result.left)}:{left}" if result.left else "."))
    return act(request, name, back=reverse("reviews-validation-contest", args=[slug]))


@organizer_required
def validation_page(request, pk: int):
    found = selectors.get_validation_for(user=request.user, pk=pk)
    return render(request, "reviews/validation.html", {
        "validation": found, "detail": selectors.validation_detail(found, viewer=request.user),
        "form": NameValidatorsForm(),
    })


@organizer_required
@require_POST
def name_validators(request, pk: int):
    found = selectors.get_validation_for(user=request.user, pk=pk)
    form = NameValidatorsForm(request.POST)

    def name():
        ensure_valid(form)
        seats = validation.name_validators(validation=found, users=list(form.cleaned_data["validators"]),
                                           by=request.user)
        return f"Named {', '.join(s.user.username for s in seats)}."
    return act(request, name, back=reverse("reviews-validation", args=[pk]))


# --- validators ---------------------------------------------------------------------------------------------------


def _may_validate(user) -> bool:
    return role_of(user) in (REVIEWER, VALIDATOR)


@login_required
def validate_home(request):
    if not _may_validate(request.user):
        return refusals.refused_page(request, Refused("Only validators and reviewers named to a validation have "
                                                      "this page.", status=403))
    seats = selectors.validator_seats(request.user)
    return render(request, "reviews/validate_home.html", {
        "seats": seats, "tasks": selectors.task_labels(row.seat for row in seats)})


@login_required
@require_http_methods(["GET", "POST"])
def validate(request, pk: int):
    seat = selectors.get_seat_for(user=request.user, pk=pk)
    shown = selectors.next_example(seat)
    form = AnswerForm(request.POST or None, choices=shown.choices if shown else [],
                      initial={"answer": shown.answer_id} if shown else None)
    status = 200
    if request.method == "POST":
        skipping = request.POST.get("action") == "skip"
        try:
            ensure_valid(form)
            validation.answer(seat=seat, user=request.user, answer_id=form.cleaned_data["answer"],
                              choice=None if skipping else form.cleaned_data["choice"],
                              skip_reason=form.cleaned_data["skip_reason"] if skipping else "",
                              skip_note=form.cleaned_data["skip_note"] if skipping else "")
        except Refused as refused:
            refusals.add_to_form(form, refused)
            status = refused.status
        else:
            messages.success(request, "Skipped." if skipping else "Answer saved.")
            return redirect("reviews-validate", pk=pk)
    return render(request, "reviews/validate.html", {
        "seat": seat, "shown": shown, "form": form, "task": selectors.task_labels([seat])[seat.validation_id],
    }, status=status)
