"""`manage.py register_series`: idempotent, updates in place, every problem reported with its place."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from evaluation.models import LanguageModel, ModelSeries
from evaluation.registry import parse_series_file

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

FILE = """
series:
  - name: tiny
    visibility: public
    x_axis: params
    models:
      - name: tiny-a
        spec: "/models/a"
        params: 1000
        flops: null
        queue: cpu
      - name: tiny-b
        spec: "/models/b"
        params: 2000
        flops: null
        queue: cpu
  - name: held-out
    visibility: private
    x_axis: flops
    models:
      - {name: secret-1, spec: "openai:http://10.0.0.1/v1#m1", params: null, flops: 1.5e21, queue: gpu-private}
"""


def register(tmp_path, text: str) -> list[str]:
    path = tmp_path / "series.yaml"
    path.write_text(text)
    out = StringIO()
    call_command("register_series", str(path), stdout=out)
    return [line.removeprefix(f"{path}: ") for line in out.getvalue().splitlines()]


def test_registering_twice_changes_nothing_and_an_edit_updates_in_place(tmp_path):
    assert register(tmp_path, FILE) == [
        "series tiny: created", "model tiny-a (tiny): created", "model tiny-b (tiny): created",
        "series held-out: created", "model secret-1 (held-out): created"]
    first = {m.name: m.pk for m in LanguageModel.objects.all()}
    assert register(tmp_path, FILE) == ["tiny, held-out: unchanged"]

    edited = FILE.replace('spec: "/models/b"', 'spec: "/models/b2"').replace(
        "      - name: tiny-a\n        spec: \"/models/a\"\n        params: 1000\n        flops: null\n        queue: cpu\n", "")
    assert register(tmp_path, edited) == [
        "model tiny-b (tiny): updated", "model tiny-a (tiny): disabled (no longer in the file)"]
    b = LanguageModel.objects.get(name="tiny-b")
    assert (b.pk, b.spec, b.position) == (first["tiny-b"], "/models/b2", 0)
    assert LanguageModel.objects.get(name="tiny-a").enabled is False
    secret = LanguageModel.objects.get(name="secret-1")
    assert (secret.series.visibility, secret.series.x_axis, secret.flops, secret.size, secret.queue) == (
        "private", "flops", 1.5e21, 1.5e21, "gpu-private")


def test_every_problem_is_reported_with_its_place_and_nothing_is_written(tmp_path):
    bad = """
series:
  - name: tiny
    visibility: secret
    x_axis: params
    models:
      - {name: a, spec: "", params: -3, queue: cpu}
      - {name: a, spec: "x", params: 10, queue: cpu, colour: red}
"""
    with pytest.raises(CommandError) as caught:
        register(tmp_path, bad)
    path = tmp_path / "series.yaml"
    assert str(caught.value).splitlines() == [
        f"{path}: series[0]: 'visibility' is 'secret'; use one of public, private.",
        f"{path}: series[0].models[0]: 'spec' must be a non-empty string.",
        f"{path}: series[0].models[0]: 'params' is -3; give a positive number or null.",
        f"{path}: series[0].models[0]: the series is plotted by params, so give this model's 'params'.",
        f"{path}: series[0].models[1]: unknown key(s) colour; allowed: enabled, flops, name, params, queue, spec.",
        f"{path}: The model name 'a' appears twice; names must be unique.",
    ]
    assert ModelSeries.objects.count() == LanguageModel.objects.count() == 0


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    with pytest.raises(CommandError, match=r"series.yaml: line 3, column 5: the file is not valid YAML"):
        register(tmp_path, "series:\n  - name: x\n    : broken: [\n")


def test_the_shipped_series_files_parse():
    demo = parse_series_file((ROOT / "series" / "demo.yaml").read_text())
    assert [(m.name, m.spec, m.params, m.queue) for s in demo for m in s.models] == [
        ("smollm2-135m", "pretrained:smollm2-135m", 134515008, "cpu"),
        ("gemma3-270m", "pretrained:gemma3-270m", 268098176, "cpu")]
    public = parse_series_file((ROOT / "series" / "public-gpu.yaml").read_text())
    assert [(s.name, s.visibility, len(s.models)) for s in public] == [
        ("gpt2", "public", 4), ("pythia", "public", 8), ("opt", "public", 6)]
    sizes = {m.name: m.params for s in public for m in s.models}
    assert (sizes["gpt2-1.5b"], sizes["pythia-12b"], sizes["opt-13b"]) == (1557611200, 11846072320, 13000000000)
    assert all(m.queue == "gpu" for s in public for m in s.models)
