"""CSV for spreadsheets (evaluation/engine/safecsv.py): formula triggers neutralised, text quoted,
numbers bare; the command line's per-example CSV goes through it."""

from __future__ import annotations

import csv
import io

import pytest

from evaluation.engine.evaluate import _write_examples
from evaluation.engine.metrics import ExampleResult
from evaluation.engine.safecsv import csv_text, safe_cell


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://evil.test\",\"x\")", "'=HYPERLINK(\"http://evil.test\",\"x\")"),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Ada Lovelace", "Ada Lovelace"),
    (" =not first", " =not first"),
    ("", ""),
    (None, ""),
    (True, "true"),
    (False, "false"),
    (-2.5, -2.5),
    (-3, -3),
])
def test_each_cell(value, written):
    assert safe_cell(value) == written


def test_text_is_quoted_so_a_separator_inside_never_starts_a_cell_and_numbers_stay_bare():
    text = csv_text(header=["name", "score", "note"],
                    rows=[['=1+2";=1+2', -0.125, "a;=1+2"], ["x,y", 3, None]])
    # OWASP's example: =1+2";=1+2 is written "'=1+2"";=1+2" (one cell, quoted, quote doubled)
    assert text == ('name,score,note\r\n'
                    '"\'=1+2"";=1+2",-0.125,"a;=1+2"\r\n'
                    '"x,y",3,""\r\n')
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "score", "note"], ["'=1+2\";=1+2", "-0.125", "a;=1+2"], ["x,y", "3", ""]]


def test_the_command_lines_per_example_csv_neutralises_a_predicted_class(tmp_path):
    path = tmp_path / "t__m.csv"
    _write_examples(path, [ExampleResult(line=2, value=-0.5, correct=True, predicted="=HYPERLINK(\"x\")",
                                         total_logprob=-1.25, n_classes=2),
                           ExampleResult(line=3, value=0.75, correct=None, predicted=None, total_logprob=None,
                                         n_classes=None)])
    assert path.read_text(encoding="utf-8") == (
        'line,value,correct,predicted,total_logprob\n'
        '2,-0.5,"true","\'=HYPERLINK(""x"")",-1.25\n'
        '3,0.75,"","",""\n')
