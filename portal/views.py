"""Contestant pages. Thin: forms collect, services decide, selectors say who sees what."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .forms import AuthorFormSet, SignupForm, SubmissionForm, author_formset_helper
from .models import Contest, Profile
from .roles import CONTESTANT, role_of


def home(request):
    return render(request, "portal/home.html", {"contests": selectors.contests_with_rounds()})


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        Profile.objects.create(user=user, role=CONTESTANT)
        login(request, user)
        messages.success(request, f"Welcome, {user.username}. You can now submit a task.")
        return redirect("submission-list")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def submission_list(request):
    return render(request, "portal/submission_list.html", {
        "submissions": selectors.submissions_visible_to(request.user),
        "contests": selectors.contests_with_rounds(),
        "may_submit": role_of(request.user) == CONTESTANT,
    })


def _read_upload(form) -> bytes | None:
    upload = form.cleaned_data.get("zip_file")
    return upload.read() if upload else None


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
    except services.SubmissionRefused as refused:
        return render(request, "portal/refused.html", {"message": refused.message}, status=403)
    form = SubmissionForm(request.POST or None, request.FILES or None)
    authors = AuthorFormSet(request.POST or None, prefix="authors")
    if request.method == "POST" and form.is_valid() and authors.is_valid():
        try:
            submission = services.create_submission(
                user=request.user, contest=contest, data=form.to_data(authors.authors()),
                zip_bytes=_read_upload(form))
        except services.SubmissionRefused as refused:
            form.add_error(refused.field, refused.message)
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
    })


@login_required
@require_http_methods(["GET", "POST"])
def submission_edit(request, pk: int):
    submission = selectors.get_submission_for(user=request.user, pk=pk)
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
                zip_bytes=_read_upload(form))
        except services.SubmissionRefused as refused:
            if refused.field:
                form.add_error(refused.field, refused.message)
            else:
                return render(request, "portal/refused.html", {"message": refused.message}, status=403)
        except services.UploadRejected as rejected:
            return _render_form(request, form=form, authors=authors, contest=submission.contest,
                                submission=submission, report=rejected.report, status=400)
        else:
            messages.success(request, f"Saved version {version.number} of '{version.task_name}'.")
            return redirect("submission-detail", pk=submission.pk)
    elif request.method == "GET" and not selectors.edits_open(submission=submission):
        messages.warning(request, "This submission's round has closed: edits will be refused.")
    status = 400 if request.method == "POST" else 200
    return _render_form(request, form=form, authors=authors, contest=submission.contest,
                        submission=submission, status=status)


@login_required
def version_download(request, pk: int, number: int):
    version = selectors.get_version_for(user=request.user, submission_pk=pk, number=number)
    return FileResponse(version.zip_file.open("rb"), as_attachment=True,
                        filename=f"{version.task_name}-v{version.number}.zip",
                        content_type="application/zip")
