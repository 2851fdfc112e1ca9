"""The per-example CSV (page and API) neutralises the contestant's text: a predicted class is a class
from the task file, so one written as a formula comes out with a single quote in front, quoted; the
numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from evaluation.models import LanguageModel, ModelSeries, Result, Run
from tests.evaluation.conftest import submit

pytestmark = pytest.mark.django_db

CLASS = '=HYPERLINK("http://evil.test/","Yes")'


def test_a_predicted_class_written_as_a_formula_is_neutralised(contest, client):
    submission = submit(contest=contest, task_name="syllo")
    version = submission.current_version
    sha = version.files[0]["sha256"]
    series = ModelSeries.objects.create(name="tiny")
    model = LanguageModel.objects.create(series=series, name="tiny-1", spec="tiny", params=1_000_000)
    Run.objects.create(version=version, model=model, status=Run.DONE, model_identity="tiny@1")
    Result.objects.create(model_identity="tiny@1", file_sha256=sha, metric=version.metric, n=2, mean=0.5,
                          examples={"line": [2, 3], "value": [-0.25, 1.5], "correct": [True, False],
                                    "predicted": [CLASS, "-1"], "total_logprob": [-0.5, None]})
    client.force_login(submission.owner)
    for url in (reverse("evaluation-example-csv", args=[submission.pk, sha, "tiny-1"]),
                f"/api/submissions/{submission.pk}/results/{sha}/tiny-1.csv"):
        body = client.get(url).content.decode()
        assert body == ('line,value,correct,predicted,total_logprob\r\n'
                        '2,-0.25,"true","\'=HYPERLINK(""http://evil.test/"",""Yes"")",-0.5\r\n'
                        '3,1.5,"false","\'-1",""\r\n'), url
        assert [r["predicted"] for r in csv.DictReader(io.StringIO(body))] == [f"'{CLASS}", "'-1"]

