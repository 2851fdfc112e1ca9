"""The author scan compares names folded (case and accents ignored): "Zébulon Quixoté" in a file is
the author "Zebulon Quixote", "Jose Nunez" is "José Núñez", "JOSÉ" is "josé", and a name written with
combining accents (NFD, as macOS writes file names) is found too; the warning points at the right line."""

from __future__ import annotations

from evaluation.engine.taskfile.authors import FoldedText, fold
from evaluation.engine.types import Issue
from tests.datasets import syllogism_classification_rows, to_csv_bytes
from tests.engine.test_taskfile import COUNT_WARNING_300, expected_lines, zip_report


def warning(file: str, line: int | None, what: str, value: str, more: str = "") -> Issue:
    return Issue(file, line, None, f"The file contains the author {what} '{value}'{more}; the rules ask for "
                                   f"anonymous files, so remove it.")


def test_accented_and_unaccented_forms_of_a_name_are_one_name():
    rows = syllogism_classification_rows(n=300)
    rows[3]["prompt"] = "Collected by Zébulon Quixoté. " + rows[3]["prompt"]
    rows[7]["prompt"] = "Thanks to Jose Nunez. " + rows[7]["prompt"]
    rows[11]["prompt"] = "JOSÉ NÚÑEZ wrote this one. " + rows[11]["prompt"]
    rows[20]["prompt"] = "Ze\u0301bulon Quixote\u0301, decomposed. " + rows[20]["prompt"]
    lines = expected_lines(rows)
    report = zip_report({"t.csv": to_csv_bytes(rows)}, author_names=["Zebulon Quixote", "José Núñez"])
    assert report.errors == []
    assert report.warnings == [
        Issue("t.csv", lines[3], None, "The file contains the author name 'Zebulon Quixote' (and 1 more place); "
                                       "the rules ask for anonymous files, so remove it."),
        Issue("t.csv", lines[7], None, "The file contains the author name 'José Núñez' (and 1 more place); the "
                                       "rules ask for anonymous files, so remove it."),
        COUNT_WARNING_300,
    ]


def test_an_accented_file_name_and_a_case_folded_email():
    rows = syllogism_classification_rows(n=300)
    rows[5]["prompt"] = "Mail ZEBULON@QUIXOTÉ.ORG. " + rows[5]["prompt"]
    report = zip_report({"núñez-data/t.csv": to_csv_bytes(rows)}, author_names=["Jose Nunez", "Nunez"],
                        author_emails=["zebulon@quixote.org"])
    assert report.warnings == [
        Issue("núñez-data/t.csv", None, None, "The file name contains the author name 'Nunez'; the rules ask for "
                                              "anonymous files, so rename it."),
        Issue("t.csv", expected_lines(rows)[5], None, "The file contains the author email address "
                                                      "'zebulon@quixote.org'; the rules ask for anonymous files, "
                                                      "so remove it."),
        COUNT_WARNING_300,
    ]


def test_the_fold_and_the_way_back():
    assert [fold(s) for s in ("Zébulon", "Núñez", "JOSÉ", "josé", "Straße", "Łódź", "İstanbul")] == [
        "zebulon", "nunez", "jose", "jose", "strasse", "łodz", "istanbul"]
    text = "a Ze\u0301bulon b Straße c 文字 JOSÉ d"
    folded = FoldedText(text)
    assert folded.text == "a zebulon b strasse c 文字 jose d"
    for word, original in [("zebulon", "Ze\u0301bulon"), ("strasse", "Straße"), ("文字", "文字"), ("jose", "JOSÉ"),
                           ("d", "d")]:
        start = folded.text.index(word)
        begin, end = folded.span(start, start + len(word))
        assert text[begin:end] == original
