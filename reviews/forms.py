"""Forms of the review side: they collect input; services decide."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.models import User

from portal.roles import REVIEWER, VALIDATOR

from . import evidence, licences, prizes
from .models import TIER_CHOICES, Cause, ValidationAnswer

GAP_CHOICES = [(evidence.ELIGIBILITY, "eligibility"), (evidence.RUNS, "runs not finished"),
               (evidence.REVIEWS, "fewer reviews than N")]


class BootstrapForm(forms.Form):
    """Bootstrap's classes on every input except radio buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.RadioSelect):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class ReviewForm(BootstrapForm):
    """One choice per criterion, each level shown with the rules' description."""

    to_authors = forms.CharField(label="Comments to the authors", required=False,
                                 widget=forms.Textarea(attrs={"rows": 6}),
                                 help_text="The authors read these (anonymously) once the round's feedback is released.")
    to_organizers = forms.CharField(label="Comments to the organizers", required=False,
                                    widget=forms.Textarea(attrs={"rows": 4}),
                                    help_text="Only the organizers read these.")

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"level_{criterion.key}"] = forms.ChoiceField(
                label=criterion.name, required=False, widget=forms.RadioSelect,
                choices=[(lv.level, f"{lv.get_level_display()}: {lv.description}") for lv in criterion.level_list])

    @classmethod
    def initial_from(cls, review) -> dict:
        if review is None:
            return {}
        return {"to_authors": review.to_authors, "to_organizers": review.to_organizers,
                **{f"level_{k}": v for k, v in review.levels.items()}}

    def levels(self) -> dict[str, str]:
        return {c.key: self.cleaned_data[f"level_{c.key}"] for c in self.criteria
                if self.cleaned_data.get(f"level_{c.key}")}


class DomainConflictForm(BootstrapForm):
    domain = forms.CharField(label="Email domain", max_length=253, help_text="Your institution's or employer's email domain, e.g. example.edu")
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def reviewer_accounts():
    return User.objects.filter(profile__role=REVIEWER).order_by("username")


class OrganizerConflictForm(BootstrapForm):
    reviewer = forms.ModelChoiceField(queryset=User.objects.none(), to_field_name="username")
    submission = forms.ModelChoiceField(queryset=None, required=False)
    domain = forms.CharField(label="Email domain", max_length=253, required=False)
    reason = forms.CharField(required=False)

    def __init__(self, *args, contest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewer_accounts()
        self.fields["submission"].queryset = contest.submissions.order_by("task_name")


class AddReviewerForm(BootstrapForm):
    reviewer = forms.ModelChoiceField(label="Reviewer account", queryset=User.objects.none(), to_field_name="username")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewer_accounts()


class AssignForm(BootstrapForm):
    submission = forms.ModelChoiceField(queryset=None)
    reviewer = forms.ModelChoiceField(queryset=User.objects.none(), to_field_name="username")
    due_at = forms.DateTimeField(label="Due (UTC)", required=False,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                 help_text="Empty: the round's review deadline.")

    def __init__(self, *args, contest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission"].queryset = contest.submissions.order_by("task_name")
        self.fields["reviewer"].queryset = reviewer_accounts()


class AutoAssignForm(BootstrapForm):
    due_at = forms.DateTimeField(label="Due (UTC)", required=False,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                 help_text="Empty: the round's review deadline.")


class ReasonForm(BootstrapForm):
    reason = forms.CharField(max_length=2000)


class OverrideForm(BootstrapForm):
    """One award set by hand; `acknowledge`: the gaps of the task's evidence awarded despite (the reason covers
    them too)."""

    submission = forms.IntegerField(widget=forms.HiddenInput)
    tier = forms.ChoiceField(choices=[*TIER_CHOICES, (prizes.NONE, "No prize")])
    reason = forms.CharField(max_length=2000, required=False,
                             widget=forms.TextInput(attrs={"placeholder": "Reason (required)"}))
    acknowledge = forms.MultipleChoiceField(label="Award despite", choices=GAP_CHOICES, required=False)

    def acknowledgement(self) -> evidence.Acknowledgement | None:
        gaps = frozenset(self.cleaned_data["acknowledge"])
        return evidence.Acknowledgement(gaps=gaps, reason=self.cleaned_data["reason"]) if gaps else None


class ConfirmForm(BootstrapForm):
    """Confirm the rules' proposal. For each task whose evidence has gaps, the gaps awarded despite
    (ack_<submission id>, one value a gap) and why (ack_reason_<submission id>); fields for the ids posted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        posted = {int(m.group(1)) for key in (self.data or {}) if (m := re.fullmatch(r"ack(?:_reason)?_(\d+)", key))}
        for pk in sorted(posted):
            self.fields[f"ack_{pk}"] = forms.MultipleChoiceField(label="Award despite", choices=GAP_CHOICES,
                                                                 required=False)
            self.fields[f"ack_reason_{pk}"] = forms.CharField(label="Reason", max_length=2000, required=False)

    def acknowledged(self) -> dict[int, evidence.Acknowledgement]:
        """Submission id -> what the organizer acknowledged, for each task with a gap ticked or a reason given."""
        out = {}
        for name in self.fields:
            if m := re.fullmatch(r"ack_(\d+)", name):
                gaps = frozenset(self.cleaned_data[name])
                reason = self.cleaned_data[f"ack_reason_{m.group(1)}"]
                if gaps or reason.strip():
                    out[int(m.group(1))] = evidence.Acknowledgement(gaps=gaps, reason=reason)
        return out


class NonprofitForm(BootstrapForm):
    nonprofit = forms.CharField(label="Non-profit to receive the prize money", max_length=300, required=False,
                                help_text="Leave empty to receive it yourselves.")


class RankingForm(BootstrapForm):
    """A position (1 = best) for each submission the reviewer reviewed in a round. Each field is named by the
    submission's number in its contest (rank_<number>), never its id."""

    def __init__(self, *args, items: list[tuple[int, int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items  # (submission id, number in the contest, label)
        for position, (_, number, label) in enumerate(items, start=1):
            self.fields[f"rank_{number}"] = forms.IntegerField(
                label=label, min_value=1, max_value=len(items), initial=position)

    def clean(self):
        cleaned = super().clean()
        positions = [cleaned.get(f"rank_{number}") for _, number, _ in self.items]
        if None not in positions and len(set(positions)) != len(positions):
            raise forms.ValidationError(f"Give each submission a different position from 1 to {len(self.items)}.")
        return cleaned

    def ordered_ids(self) -> list[int]:
        """The submissions' ids, best first."""
        return [sid for sid, number, _ in sorted(self.items, key=lambda item: self.cleaned_data[f"rank_{item[1]}"])]


# --- the human validation of labels ----------------------------------------------------------------------------


class ValidationSettingsForm(BootstrapForm):
    """How a validation samples (the services check the bounds and say them)."""

    sample_size = forms.IntegerField(label="Examples (N)", initial=50, min_value=1,
                                     help_text="Sampled from the task's non-control files; all of them if fewer.")
    seed = forms.IntegerField(initial=0, min_value=0, help_text="The same seed draws the same sample.")
    answers_per_example = forms.IntegerField(label="Answers per example", initial=2, min_value=2,
                                             help_text="Validators who answer each example (at least 2).")


class StartValidationForm(ValidationSettingsForm):
    submission = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, contest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission"].queryset = contest.submissions.filter(current_version__isnull=False).order_by(
            "task_name")
        self.order_fields(["submission"])


def validator_accounts():
    """The accounts that can be named validators: reviewers and validators, by username."""
    return User.objects.filter(profile__role__in=(REVIEWER, VALIDATOR)).order_by("username")


class NameValidatorsForm(BootstrapForm):
    validators = forms.ModelMultipleChoiceField(queryset=User.objects.none(), to_field_name="username",
                                                help_text="Reviewer or validator accounts.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["validators"].queryset = validator_accounts()


class AnswerForm(BootstrapForm):
    """One example's answer: a choice, or a skip with its reason."""

    answer = forms.IntegerField(widget=forms.HiddenInput)
    choice = forms.TypedChoiceField(label="Your answer", coerce=int, required=False,
                                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                                    empty_value=None)
    skip_reason = forms.ChoiceField(label="Or skip it, with a reason", required=False,
                                    choices=[("", "—"), *ValidationAnswer.SKIP_REASONS])
    skip_note = forms.CharField(label="Note", required=False, max_length=500,
                                widget=forms.TextInput(attrs={"placeholder": "Why (required for Other)"}))

    def __init__(self, *args, choices: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = list(enumerate(choices))


# --- meta-reviews, causes, the published example, the licence -----------------------------------------------------


class MetaReviewForm(BootstrapForm):
    summary = forms.CharField(label="Summary for the authors", widget=forms.Textarea(attrs={"rows": 5}),
                              help_text="The authors read it above the reviews once the round's feedback is released.")
    why_it_won = forms.CharField(label="Why it won", required=False, max_length=1000,
                                 widget=forms.Textarea(attrs={"rows": 2}),
                                 help_text="For a winner only: a few sentences for its public page.")


class CausesForm(BootstrapForm):
    causes = forms.ModelMultipleChoiceField(queryset=Cause.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    new_cause = forms.CharField(label="Or name a new cause", required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["causes"].queryset = Cause.objects.all()


class PublishExampleForm(BootstrapForm):
    file_name = forms.ChoiceField(label="File")
    row = forms.IntegerField(label="Row", min_value=0, help_text="The example's row in the file, counted from 0 "
                                                                  "(pandas' index).")

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file_name"].choices = [(f["name"], f"{f['name']} ({f['rows']} rows)") for f in version.files
                                            if f["kind"] != "control"]


class LicenceForm(BootstrapForm):
    licence = forms.ChoiceField(label="Release licence", choices=licences.CHOICES)
