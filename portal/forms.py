"""Forms only collect and shape what the user typed; the rules are in services.py."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from evaluation.engine.metrics import ALL_METRICS

from .models import TASK_NAME_VALIDATOR, SubmissionVersion
from .services import AuthorData, SubmissionData


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="We write to you about your submissions here.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class SubmissionForm(forms.ModelForm):
    """Every field the contest rules ask for, plus the zip of CSV files."""

    zip_file = forms.FileField(
        label="Zip of CSV files",
        help_text="NAME.csv, or NAME-PART1.csv, NAME-PART2.csv, …, plus optional NAME-CONTROL1.csv, …, "
                  "where NAME is the task name; read with pandas' default arguments.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    generation_code_url = forms.URLField(
        label="Link to the code that generated the data", required=False, assume_scheme="https")

    class Meta:
        model = SubmissionVersion
        fields = [
            "task_name", "metric", "what_it_tests", "correct_behaviour", "why_it_matters",
            "shot_setting", "data_generation", "dataset_sources", "generation_code_url",
            "has_control_data", "persists_few_shot", "persists_finetuning", "persists_rlhf",
        ]
        help_texts = {
            "task_name": "Letters, digits, '-' and '_'; unique within the contest. The CSV files must use it.",
            "metric": " ".join(m.help_text for m in ALL_METRICS),
            "dataset_sources": "One link per line.",
        }
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in [
            "what_it_tests", "correct_behaviour", "why_it_matters", "data_generation", "dataset_sources",
            "persists_few_shot", "persists_finetuning", "persists_rlhf"]}

    def __init__(self, *args, zip_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task_name"].validators = [TASK_NAME_VALIDATOR]
        self.fields["zip_file"].required = zip_required
        if not zip_required:
            self.fields["zip_file"].help_text = "Leave empty to keep the current files. " + \
                self.fields["zip_file"].help_text
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset("Task", "task_name", "metric", "shot_setting", "zip_file", "has_control_data"),
            Fieldset("Description", "what_it_tests", "correct_behaviour", "why_it_matters",
                     "data_generation", "dataset_sources", "generation_code_url"),
            Fieldset("Optional questions", "persists_few_shot", "persists_finetuning", "persists_rlhf"),
        )

    def to_data(self, authors: tuple[AuthorData, ...]) -> SubmissionData:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return SubmissionData(authors=authors, **values)


class AuthorForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    affiliation = forms.CharField(max_length=200, required=False)


class BaseAuthorFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        authors = self.authors()
        if not authors:
            raise forms.ValidationError("Name at least one author (name and email).")
        emails = [a.email.lower() for a in authors]
        if len(set(emails)) != len(emails):
            raise forms.ValidationError("Each author must have a different email address.")

    def authors(self) -> tuple[AuthorData, ...]:
        """The filled author rows, in the order shown."""
        return tuple(
            AuthorData(f.cleaned_data["name"].strip(), f.cleaned_data["email"].strip(),
                       f.cleaned_data.get("affiliation", "").strip())
            for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE"))


AuthorFormSet = forms.formset_factory(
    AuthorForm, formset=BaseAuthorFormSet, extra=3, max_num=20, validate_max=True)


def author_formset_helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.template = "bootstrap5/table_inline_formset.html"
    return helper
