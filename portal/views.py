"""Contestant pages. Thin: forms collect, services decide, selectors say who sees what."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from . import accounts, panels, refusals, selectors, services
from .forms import AuthorFormSet, SignupForm, SubmissionForm, author_formset_helper
from .models import Contest
from .refusals import Refused
from .roles import CONTESTANT, role_of

SUBMISSIONS_PER_PAGE = 50


def home(request):
    contests = selectors.contests_with_rounds()
    return render(request, "portal/home.html", {"contests": contests, "open_ids": selectors.open_contest_ids(contests)})


@require_http_methods(["GET", "POST"])
def signup(request):
    """The same answer for a new email and one that has an account (accounts.sign_up says why)."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            accounts.sign_up(username=form.cleaned_data["username"], email=email,
                             password=form.cleaned_data["password1"], request=request)
        except Refused as refused:
            refusals.add_to_form(form, refused)
        except accounts.EmailNotSent:
            messages.warning(request, accounts.NOT_SENT_MESSAGE)
            return redirect("login")
        else:
            messages.success(request, accounts.signed_up_message(email))
            return redirect("login")
    return render(request, "registration/signup.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, throttled per email and per client address (accounts.count_password_reset)."""

    def form_valid(self, form):
        try:
            accounts.count_password_reset(email=form.cleaned_data["email"], address=accounts.client_ip(self.request))
        except Refused as refused:
            refusals.add_to_form(form, refused)
            return self.render_to_response(self.get_context_data(form=form), status=refused.status)
        return super().form_valid(form)


@login_required
@require_http_methods(["GET", "POST"])
def confirmation_status(request):
    """Says whether the account's email is confirmed; sends a new link on request."""
    confirmed = accounts.email_confirmed(request.user)
    if request.method == "POST" and not confirmed:
        try:
            sent = accounts.resend_confirmation(user=request.user, request=request)
        except accounts.EmailNotSent:
            messages.error(request, accounts.NOT_SENT_MESSAGE)
        else:
            if sent:
                messages.success(request, f"We sent a new link to {request.user.email}.")
            else:
                messages.warning(request, "We sent a link less than a minute ago; check your inbox (and spam "
                                          "folder) before asking for another.")
        return redirect("confirmation-status")
    return render(request, "registration/confirmation_status.html", {"confirmed": confirmed})


def confirm_email(request, uidb64: str, token: str):
    user = accounts.confirm_email(uidb64=uidb64, token=token)
    status = 200 if user is not None else 400
    return render(request, "registration/email_confirmed.html", {"confirmed_user": user}, status=status)


@login_required
def submission_list(request):
    submissions = selectors.submissions_visible_to(request.user).order_by("-updated_at", "-pk")
    page = Paginator(submissions, SUBMISSIONS_PER_PAGE).get_page(request.GET.get("page"))
    open_contests = []  # reviewers and organizers may not submit (services.ensure_may_submit)
    if role_of(request.user) == CONTESTANT:  # nobody into a closed round
        contests = selectors.contests_with_rounds()
        open_ids = selectors.open_contest_ids(contests)
        open_contests = [c for c in contests if c.pk in open_ids]
    return render(request, "portal/submission_list.html", {"page": page, "open_contests": open_contests})


def _refused(request, refused: Refused, *, status: int | None = None):
    """The refused page, with the link to confirm the account's email while it is not confirmed."""
    return refusals.refused_page(request, refused, status=status, confirm_email=(
        request.user.is_authenticated and not accounts.email_confirmed(request.user)))


def _render_form(request, *, form, authors, contest, submission=None, report=None, status=200):
    return render(request, "portal/submission_form.html", {
        "form": form, "authors": authors, "authors_helper": author_formset_helper(),
        "contest": contest, "submission": submission, "report": report,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def submission_create(request, contest_slug: str):
    contest = get_object_or_404(Contest, slug=contest_slug)
    try:
        services.ensure_may_submit(user=request.user)
    except Refused as refused:
        return _refused(request, refused)
    if request.method == "GET":
        try:
            services.ensure_round_open(contest=contest)
        except Refused as closed:  # news before anything is posted, not an error
            return _refused(request, closed, status=200)
    form = SubmissionForm(request.POST or None, request.FILES or None)
    authors = AuthorFormSet(request.POST or None, prefix="authors")
    if request.method == "POST" and form.is_valid() and authors.is_valid():
        try:
            submission = services.create_submission(
                user=request.user, contest=contest, data=form.to_data(authors.authors()),
                zip_file=form.cleaned_data["zip_file"])
        except Refused as refused:
            refusals.add_to_form(form, refused)
        except services.UploadRejected as rejected:
            return _render_form(request, form=form, authors=authors, contest=contest,
                                report=rejected.report, status=400)
        else:
            messages.success(request, f"Submitted '{submission.task_name}' (version 1).")
            return redirect("submission-detail", pk=submission.pk)
    status = 400 if request.method == "POST" else 200
    return _render_form(request, form=form, authors=authors, contest=contest, status=status)


@login_required
def submission_detail(request, pk: int):
    submission = selectors.get_submission_for(user=request.user, pk=pk)
    versions = submission.versions.prefetch_related("authors")
    return render(request, "portal/submission_detail.html", {
        "submission": submission, "version": submission.current_version, "versions": versions,
        "edits_open": selectors.edits_open(submission=submission),
        "is_owner": submission.owner_id == request.user.pk,
        "panels": panels.render_all(request=request, submission=submission),
    })


@login_required
@require_http_methods(["GET", "POST"])
def submission_edit(request, pk: int):
    submission = selectors.get_submission_for(user=request.user, pk=pk)
    try:
        services.ensure_may_edit(user=request.user, submission=submission)
    except Refused as refused:
        return _refused(request, refused)
    if request.method == "POST":
        form = SubmissionForm(request.POST, request.FILES, zip_required=False)
        authors = AuthorFormSet(request.POST, prefix="authors")
    else:
        current = submission.current_version
        form = SubmissionForm(instance=current, zip_required=False)
        authors = AuthorFormSet(prefix="authors", initial=[
            {"name": a.name, "email": a.email, "affiliation": a.affiliation} for a in current.authors.all()])
    if request.method == "POST" and form.is_valid() and authors.is_valid():
        try:
            version = services.edit_submission(
                user=request.user, submission=submission, data=form.to_data(authors.authors()),
                zip_file=form.cleaned_data["zip_file"])
        except Refused as refused:
            if not refused.field:
                return _refused(request, refused)
            refusals.add_to_form(form, refused)
        except services.UploadRejected as rejected:
            return _render_form(request, form=form, authors=authors, contest=submission.contest,
                                submission=submission, report=rejected.report, status=400)
        else:
            messages.success(request, f"Saved version {version.number} of '{version.task_name}'.")
            return redirect("submission-detail", pk=submission.pk)
    status = 400 if request.method == "POST" else 200
    return _render_form(request, form=form, authors=authors, contest=submission.contest,
                        submission=submission, status=status)


@login_required
def version_download(request, pk: int, number: int):
    version = selectors.get_version_for(user=request.user, submission_pk=pk, number=number)
    return FileResponse(version.zip_file.open("rb"), as_attachment=True,
                        filename=f"{version.task_name}-v{version.number}.zip",
                        content_type="application/zip")
