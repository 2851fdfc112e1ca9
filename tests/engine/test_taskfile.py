"""The task-file reader: every contest rule, with the exact file, line, column and message."""

from __future__ import annotations

import gzip
import io
import random
import stat
import zipfile

import pytest

from evaluation.engine.taskfile import (
    Limits,
    classify_name,
    read_task_csv,
    read_task_zip,
)
from evaluation.engine.types import (
    ClassificationExample,
    Issue,
    LogoddsExample,
    SequenceProbExample,
)
from tests.datasets import (
    lambada_sequence_prob_rows,
    logodds_rows,
    make_zip,
    syllogism_classification_rows,
    to_csv_bytes,
)

COUNT_WARNING_300 = Issue(None, None, None, "The task has 300 examples; aim for about 1000 so "
                                            "that the scaling trend is measured precisely.")
EXPECTED_NAMES = ("t.csv for a task in one file, or t-PART1.csv, t-PART2.csv, … for a task in "
                  "several parts, plus optional controls t-CONTROL1.csv, t-CONTROL2.csv, …")


def expected_lines(rows: list[dict]) -> list[int]:
    """Where each row starts in a to_csv file, counted independently of the reader."""
    lines, line = [], 2
    for row in rows:
        lines.append(line)
        line += 1 + sum(str(v).count("\n") for v in row.values())
    return lines


def zip_report(files: dict[str, bytes], metric: str = "classification", task_name: str = "t",
               **kwargs):
    return read_task_zip(make_zip(files), metric=metric, task_name=task_name, **kwargs)


def csv_errors(data: bytes, metric: str = "classification", name: str = "t.csv"):
    task_file, errors, warnings = read_task_csv(name, data, metric=metric)
    return task_file, errors, warnings


def classification_csv(n: int = 300, **changes) -> tuple[list[dict], bytes]:
    rows = syllogism_classification_rows(n=n, seed=1)
    for index, change in changes.items():
        rows[int(index.lstrip("r"))].update(change)
    return rows, to_csv_bytes(rows)


# --- valid uploads -----------------------------------------------------------------------------


def test_valid_classification_task_reads_every_row_with_its_line():
    rows = syllogism_classification_rows(n=300, seed=0)
    data = to_csv_bytes(rows)
    report = zip_report({"t.csv": data})
    assert report.errors == []
    assert report.warnings == [COUNT_WARNING_300]
    assert report.valid
    assert [f.as_dict() for f in report.files] == [
        {"name": "t.csv", "kind": "main", "index": None, "rows": 300,
         "columns": ["prompt", "classes", "answer_index"]}]
    task_file = report.files[0]
    lines = expected_lines(rows)
    assert lines[:3] == [2, 13, 24]  # each 1-shot prompt spans 11 physical lines
    assert task_file.examples == [
        ClassificationExample(line=line, prompt=row["prompt"], classes=(" Yes", " No"),
                              answer_index=row["answer_index"])
        for line, row in zip(lines, rows)]
    import hashlib
    assert task_file.sha256 == hashlib.sha256(data).hexdigest()


def test_valid_sequence_prob_task():
    rows = lambada_sequence_prob_rows(n=300, seed=0)
    report = zip_report({"t.csv": to_csv_bytes(rows)}, metric="sequence_prob")
    assert report.errors == [] and report.warnings == [COUNT_WARNING_300]
    assert report.files[0].columns == ["prompt", "completion"]
    assert report.files[0].examples == [
        SequenceProbExample(line=i + 2, prompt=row["prompt"], completion=row["completion"])
        for i, row in enumerate(rows)]
    assert report.files[0].examples[0].completion.startswith(" ")


@pytest.mark.parametrize("metric", ["logodds", "absolute_logodds"])
def test_valid_logodds_task(metric):
    rows = logodds_rows(n=300, seed=0)
    report = zip_report({"t.csv": to_csv_bytes(rows)}, metric=metric)
    assert report.errors == [] and report.warnings == [COUNT_WARNING_300]
    assert report.files[0].columns == ["prompt", "other_prompt", "classes", "answer_index"]
    lines = expected_lines(rows)
    assert lines[:2] == [2, 11]  # prompt and other_prompt span 5 physical lines each
    assert report.files[0].examples == [
        LogoddsExample(line=line, prompt=row["prompt"], other_prompt=row["other_prompt"],
                       classes=(" A", " B"), answer_index=0)
        for line, row in zip(lines, rows)]


def test_multi_part_task_with_controls():
    rows = syllogism_classification_rows(n=700, seed=3)
    report = zip_report({
        "t-CONTROL1.csv": to_csv_bytes(rows[600:]),
        "t-PART2.csv": to_csv_bytes(rows[150:300]),
        "t-PART1.csv": to_csv_bytes(rows[:150]),
    })
    assert report.errors == []
    assert [(f.name, f.kind, f.index, f.rows) for f in report.files] == [
        ("t-PART1.csv", "part", 1, 150), ("t-PART2.csv", "part", 2, 150),
        ("t-CONTROL1.csv", "control", 1, 100)]
    # controls do not count towards the 300 examples
    assert report.warnings == [COUNT_WARNING_300]


def test_a_single_top_folder_is_accepted_and_dropped_from_names():
    rows = syllogism_classification_rows(n=300)
    report = zip_report({"my-task/": b"", "my-task/t.csv": to_csv_bytes(rows)})
    assert report.errors == []
    assert [f.name for f in report.files] == ["t.csv"]


@pytest.mark.parametrize("source_kind", ["path", "bytes", "file"])
def test_sources_path_bytes_and_file_object(tmp_path, source_kind):
    upload = make_zip({"t.csv": to_csv_bytes(syllogism_classification_rows(n=300))})
    if source_kind == "path":
        path = tmp_path / "u.zip"
        path.write_bytes(upload)
        source = str(path)
    elif source_kind == "bytes":
        source = upload
    else:
        source = io.BytesIO(upload)
    report = read_task_zip(source, metric="classification", task_name="t")
    assert report.valid and report.files[0].rows == 300


def test_crlf_blank_lines_and_quoted_newlines_map_to_physical_lines():
    data = (b'prompt,classes,answer_index\r\n'
            b'"first\r\nprompt",\"[\' a\', \' b\']\",0\r\n'          # lines 2-3
            b'\r\n'                                                  # line 4 (blank, skipped)
            b'   \r\n'                                               # line 5 (whitespace, skipped)
            b'"second ""quoted""\nover\nthree",\"[\' a\', \' b\']\",7\r\n'  # lines 6-8
            b'third,\"[\' a\', \' b\']\",1\r\n')                      # line 9
    task_file, errors, _ = csv_errors(data)
    assert [e.line for e in task_file.examples] == [2, 9]
    assert task_file.examples[0].prompt == "first\r\nprompt"
    assert errors == [Issue("t.csv", 6, "answer_index",  # the second data row starts on line 6
                            "Example 2: answer_index is 7 but classes has 2 classes (positions 0 to 1); "
                            "give the position of the correct class, counting from 0.")]


def test_classify_name():
    assert classify_name("t.csv", "t") == ("main", None)
    assert classify_name("t-PART12.csv", "t") == ("part", 12)
    assert classify_name("t-CONTROL3.csv", "t") == ("control", 3)
    assert classify_name("t-PART0.csv", "t") is None
    assert classify_name("t-part1.csv", "t") is None
    assert classify_name("other.csv", "t") is None
    assert classify_name("a.b.csv", "a.b") == ("main", None)
    assert classify_name("axb.csv", "a.b") is None  # the task name is not a pattern


# --- names and parts ---------------------------------------------------------------------------


def test_file_not_named_after_the_task():
    report = zip_report({"my_task.csv": to_csv_bytes(syllogism_classification_rows())})
    assert report.errors == [
        Issue("my_task.csv", None, None,
              f"The file name does not follow the naming rule; name the files {EXPECTED_NAMES}."),
        Issue(None, None, None, "The zip has no task file; add t.csv (or t-PART1.csv, "
                                "t-PART2.csv, … for a task in several parts)."),
    ]
    assert report.files == []


def test_main_file_and_parts_together():
    rows = syllogism_classification_rows(n=600)
    report = zip_report({"t.csv": to_csv_bytes(rows[:300]), "t-PART1.csv": to_csv_bytes(rows[300:])})
    assert report.errors == [Issue(None, None, None,
                                   "The zip holds both t.csv and PART files; use either one file "
                                   "t.csv or numbered parts t-PART1.csv, t-PART2.csv, …, not both.")]


def test_part_numbering_gap():
    rows = syllogism_classification_rows(n=600)
    report = zip_report({"t-PART1.csv": to_csv_bytes(rows[:300]),
                         "t-PART3.csv": to_csv_bytes(rows[300:])})
    assert report.errors == [Issue(None, None, None,
                                   "PART files must be numbered 1, 2, 3, … without gaps; "
                                   "t-PART2.csv is missing.")]


def test_only_controls():
    report = zip_report({"t-CONTROL1.csv": to_csv_bytes(syllogism_classification_rows())})
    assert report.errors == [Issue(None, None, None,
                                   "The zip has no task file; add t.csv (or t-PART1.csv, "
                                   "t-PART2.csv, … for a task in several parts).")]


# --- columns and rows --------------------------------------------------------------------------


def test_missing_column_with_a_rename_hint():
    rows = [{"prompt": r["prompt"], "Classes ": r["classes"], "answer_index": r["answer_index"]}
            for r in syllogism_classification_rows()]
    _, errors, warnings = csv_errors(to_csv_bytes(rows))
    assert errors == [Issue("t.csv", 1, "classes",
                            "The column 'classes' is missing; the classification metric needs "
                            "the columns prompt, classes, answer_index in the header (line 1). "
                            "The header has 'Classes '; rename it to 'classes'.")]
    assert warnings == []  # the misspelt column is not reported a second time


def test_missing_columns_for_logodds():
    rows = [{"prompt": r["prompt"], "classes": r["classes"], "answer_index": 0}
            for r in logodds_rows()]
    _, errors, _ = csv_errors(to_csv_bytes(rows), metric="logodds")
    assert errors == [Issue("t.csv", 1, "other_prompt",
                            "The column 'other_prompt' is missing; the logodds metric needs the "
                            "columns prompt, other_prompt, classes, answer_index in the header "
                            "(line 1).")]


def test_extra_and_unnamed_columns_are_warnings():
    rows = syllogism_classification_rows()
    frame_rows = [{"Unnamed: 0": i, **r, "notes": "x"} for i, r in enumerate(rows)]
    data = to_csv_bytes(frame_rows).replace(b"Unnamed: 0,", b",", 1)  # what to_csv(index=True) writes
    task_file, errors, warnings = csv_errors(data)
    assert errors == []
    assert warnings == [
        Issue("t.csv", 1, "Unnamed: 0",
              "The column 'Unnamed: 0' has no name in the header and will be ignored; it is "
              "usually the index that DataFrame.to_csv writes, so save with "
              "to_csv(path, index=False)."),
        Issue("t.csv", 1, "notes",
              "The column 'notes' is not used by the classification metric and will be "
              "ignored; remove it unless you need it."),
    ]
    assert len(task_file.examples) == 300


@pytest.mark.parametrize("value, message", [
    ("[' Yes', ' No'", "classes \"[' Yes', ' No'\" is not a Python list literal; write it like "
                       "[\" Yes\", \" No\"], with every class in quotes and the brackets closed."),
    ("[Yes, No]", "classes '[Yes, No]' is not a Python list literal; write it like "
                  "[\" Yes\", \" No\"], with every class in quotes and the brackets closed."),
    ("__import__('os').system('true')",
     "classes \"__import__('os').system('true')\" is not a Python list literal; write it like "
     "[\" Yes\", \" No\"], with every class in quotes and the brackets closed."),
    ("(' Yes', ' No')", "classes \"(' Yes', ' No')\" is a tuple, not a list; write it like "
                        "[\" Yes\", \" No\"]."),
    ("[' Yes', 2]", "Class 2 in classes is 2, not a string; put every class in quotes, like "
                    "[\" Yes\", \" No\"]."),
    ("[' Yes']", "classes has 1 class; a classification task needs at least 2 classes to "
                 "choose from."),
    ("[' Yes', '']", "Class 2 in classes is an empty string; every class needs text (usually "
                     "starting with a space, like \" Yes\")."),
])
def test_bad_classes(value, message):
    rows, data = classification_csv(r4={"classes": value})
    task_file, errors, _ = csv_errors(data)
    assert errors == [Issue("t.csv", expected_lines(rows)[4], "classes", f"Example 5: {message}")]
    assert len(task_file.examples) == 299


def test_variable_number_of_classes_is_allowed():
    rows, data = classification_csv(r0={"classes": "[' Yes', ' No', ' Maybe']", "answer_index": 2})
    task_file, errors, _ = csv_errors(data)
    assert errors == []
    assert task_file.examples[0].classes == (" Yes", " No", " Maybe")
    assert task_file.examples[0].answer_index == 2


def test_logodds_needs_exactly_two_classes():
    rows = logodds_rows()
    rows[10]["classes"] = "[' A', ' B', ' C']"
    _, errors, _ = csv_errors(to_csv_bytes(rows), metric="logodds")
    assert errors == [Issue("t.csv", expected_lines(rows)[10], "classes",
                            "Example 11: classes has 3 classes; the logodds metric needs exactly 2, like "
                            "[\" Yes\", \" No\"].")]


@pytest.mark.parametrize("value, message", [
    (2, "answer_index is 2 but classes has 2 classes (positions 0 to 1); give the position of "
        "the correct class, counting from 0."),
    (-1, "answer_index is -1 but classes has 2 classes (positions 0 to 1); give the position of "
         "the correct class, counting from 0."),
    ("yes", "answer_index is 'yes', not a whole number; give the position of the correct class "
            "in classes, counting from 0."),
    (0.5, "answer_index is 0.5, not a whole number; give the position of the correct class in "
          "classes, counting from 0."),
    (None, "answer_index is empty; give the position of the correct class in classes, counting "
           "from 0."),
])
def test_bad_answer_index(value, message):
    rows, data = classification_csv(r7={"answer_index": value})
    task_file, errors, _ = csv_errors(data)
    assert errors == [Issue("t.csv", expected_lines(rows)[7], "answer_index", f"Example 8: {message}")]
    assert len(task_file.examples) == 299


def test_float_column_of_whole_numbers_is_accepted():
    rows, data = classification_csv()
    data = data.replace(b",0\n", b",0.0\n")
    task_file, errors, _ = csv_errors(data)
    assert errors == [] and {e.answer_index for e in task_file.examples} == {0, 1}


def test_empty_prompt_completion_and_other_prompt():
    rows, data = classification_csv(r0={"prompt": ""}, r2={"prompt": "   "})
    _, errors, _ = csv_errors(data)
    lines = expected_lines(rows)
    message = "The prompt is empty; every row needs the text the model reads."
    assert errors == [Issue("t.csv", lines[0], "prompt", f"Example 1: {message}"),
                      Issue("t.csv", lines[2], "prompt", f"Example 3: {message}")]

    rows = lambada_sequence_prob_rows()
    rows[5]["completion"] = None
    _, errors, _ = csv_errors(to_csv_bytes(rows), metric="sequence_prob")
    assert errors == [Issue("t.csv", 7, "completion", "Example 6: The completion is empty; every row needs "
                                                      "the text whose probability is measured.")]

    rows = logodds_rows()
    rows[1]["other_prompt"] = ""
    _, errors, _ = csv_errors(to_csv_bytes(rows), metric="absolute_logodds")
    assert errors == [Issue("t.csv", expected_lines(rows)[1], "other_prompt",
                            "Example 2: The other_prompt is empty; every row of a absolute_logodds task "
                            "needs the second prompt to compare with.")]


def test_fewer_than_300_examples_is_an_error_over_all_parts():
    rows = syllogism_classification_rows(n=400)
    report = zip_report({"t-PART1.csv": to_csv_bytes(rows[:100]),
                         "t-PART2.csv": to_csv_bytes(rows[100:299]),
                         "t-CONTROL1.csv": to_csv_bytes(rows[299:])})
    assert report.errors == [Issue(None, None, None,
                                   "The task has 299 examples in its non-control files; the "
                                   "contest requires at least 300, so add more examples.")]
    assert report.warnings == []


def test_fewer_than_1000_examples_is_a_warning_and_1000_is_fine():
    rows = syllogism_classification_rows(n=1000)
    assert zip_report({"t.csv": to_csv_bytes(rows[:999])}).warnings == [
        Issue(None, None, None, "The task has 999 examples; aim for about 1000 so that the "
                                "scaling trend is measured precisely.")]
    report = zip_report({"t.csv": to_csv_bytes(rows)})
    assert report.errors == [] and report.warnings == []


def test_not_utf8_names_the_line():
    rows, data = classification_csv()
    line = expected_lines(rows)[3] + 2  # third physical line of row 3's prompt
    lines = data.split(b"\n")
    lines[line - 1] = b"All caf\xe9s are " + lines[line - 1]
    _, errors, _ = csv_errors(b"\n".join(lines))
    assert errors == [Issue("t.csv", line, None,
                            "The file is not UTF-8 text: byte 0xE9 at position 8 of the line "
                            "cannot be decoded. Save the file as UTF-8 (pandas: to_csv(path, "
                            "index=False, encoding='utf-8')).")]


def test_parser_error_names_the_physical_line():
    rows, data = classification_csv(n=300)
    bad_row = 5
    lines = data.split(b"\n")
    line = expected_lines(rows)[bad_row]
    # the row's last physical line ends with ",<answer_index>"; add a field to it
    last = line + rows[bad_row]["prompt"].count("\n")
    lines[last - 1] += b",extra"
    task_file, errors, _ = csv_errors(b"\n".join(lines))
    assert task_file is None
    assert errors == [Issue("t.csv", line, None,
                            "pandas could not read the file: this row has 4 fields but the "
                            "header has 3. Put any field that contains a comma, a quote or a "
                            "line break in double quotes (doubling the quotes inside it), or "
                            "remove the extra comma.")]


def test_unclosed_quote():
    data = b'prompt,classes,answer_index\n"a\nb","[\' a\', \' b\']",0\n"never closed,[\' a\'],0\nmore\n'
    task_file, errors, _ = csv_errors(data)
    assert task_file is None
    assert errors == [Issue("t.csv", 4, None,
                            "pandas could not read the file: a quoted field that starts on this "
                            "line is never closed. Close it with a double quote, and double any "
                            "quote inside it (\"\").")]


def test_trailing_comma_on_every_row():
    data = b"prompt,classes,answer_index\n" + b"".join(
        f"p{i},\"[' a', ' b']\",0,\n".encode() for i in range(300))
    task_file, errors, _ = csv_errors(data)
    assert errors == [Issue("t.csv", 1, None,
                            "The rows have more fields than the header names, so pandas would use "
                            "the extra first field as the row index; name every column in the "
                            "header (line 1) or remove the extra field (often a trailing comma "
                            "at the end of each row).")]


def test_empty_file_and_header_only():
    assert csv_errors(b"")[1] == [Issue("t.csv", None, None,
                                        "The file is empty; it needs a header line "
                                        "(prompt,classes,answer_index) and then one row per "
                                        "example.")]
    task_file, errors, _ = csv_errors(b"prompt,completion\n", metric="sequence_prob")
    assert task_file.rows == 0
    assert errors == [Issue("t.csv", None, None,
                            "The file has a header but no rows; add one row per example.")]


def test_classes_without_leading_space_one_grouped_warning():
    rows = syllogism_classification_rows(n=300)
    for row in rows[:150]:
        row["classes"] = "['Yes', 'No']"
    _, errors, warnings = csv_errors(to_csv_bytes(rows))
    lines = expected_lines(rows)
    assert errors == []
    listed = ", ".join(map(str, lines[:10]))
    assert warnings == [Issue("t.csv", 2, "classes",
                              f"Classes without a leading space on lines {listed} and 140 more "
                              f"(for example 'Yes'); a model reads ' Yes' after a prompt as a "
                              f"different token from 'Yes', so classes usually start with a "
                              f"space, like ' Yes'.")]


def test_duplicate_rows_grouped():
    rows = syllogism_classification_rows(n=300)
    rows[20] = dict(rows[3])
    rows[40] = dict(rows[3])
    rows[50] = dict(rows[10])
    lines = expected_lines(rows)
    _, errors, warnings = csv_errors(to_csv_bytes(rows))
    assert errors == []
    assert warnings == [Issue("t.csv", lines[20], None,
                              f"Lines {lines[20]}, {lines[40]} and {lines[50]} repeat earlier rows "
                              f"exactly (line {lines[20]} repeats line {lines[3]}); remove the "
                              f"duplicates, each example should appear once.")]
    rows = syllogism_classification_rows(n=300)
    rows[1] = dict(rows[0])
    _, _, warnings = csv_errors(to_csv_bytes(rows))
    assert warnings == [Issue("t.csv", 13, None, "This row repeats line 2 exactly; remove the "
                                                 "duplicate, each example should appear once.")]


def test_errors_are_capped_per_file():
    rows = syllogism_classification_rows(n=500)
    for row in rows:
        row["classes"] = "[' Yes'"
    _, errors, _ = csv_errors(to_csv_bytes(rows))
    assert len(errors) == 201
    assert errors[0].line == 2 and errors[199].line == expected_lines(rows)[199]
    assert errors[-1] == Issue("t.csv", None, None,
                               "…and 300 more errors in this file not listed; fix the ones "
                               "above and upload again.")


def test_all_problems_in_all_files_at_once():
    rows = syllogism_classification_rows(n=600)
    rows[0]["answer_index"] = 9
    rows[400]["prompt"] = ""
    report = zip_report({"t-PART1.csv": to_csv_bytes(rows[:300]),
                         "t-PART2.csv": to_csv_bytes(rows[300:]),
                         "readme.md": b"hello"})
    assert [(e.file, e.line, e.column) for e in report.errors] == [
        ("readme.md", None, None), ("t-PART1.csv", 2, "answer_index"),
        ("t-PART2.csv", expected_lines(rows[300:])[100], "prompt")]


# --- authors -----------------------------------------------------------------------------------


def test_author_names_and_emails_in_names_and_contents():
    rows = syllogism_classification_rows(n=300)
    rows[4]["prompt"] = rows[4]["prompt"] + " Written by ada LOVELACE."
    rows[9]["prompt"] = "Contact ada@example.org. " + rows[9]["prompt"]
    rows[12]["prompt"] = "Ada Lovelace again. " + rows[12]["prompt"]
    lines = expected_lines(rows)
    report = zip_report({"ada-lovelace/t.csv": to_csv_bytes(rows)},
                        author_names=["Ada Lovelace", "Al", "Lovelace"],
                        author_emails=["Ada@Example.org"])
    assert report.errors == []
    assert report.warnings == [
        Issue("ada-lovelace/t.csv", None, None,
              "The file name contains the author name 'Lovelace'; the rules ask for anonymous "
              "files, so rename it."),
        Issue("t.csv", lines[4] + 10, None,
              "The file contains the author name 'Ada Lovelace' (and 1 more place); the rules "
              "ask for anonymous files, so remove it."),
        Issue("t.csv", lines[4] + 10, None,
              "The file contains the author name 'Lovelace' (and 1 more place); the rules ask "
              "for anonymous files, so remove it."),
        Issue("t.csv", lines[9], None,
              "The file contains the author email address 'Ada@Example.org'; the rules ask for "
              "anonymous files, so remove it."),
        COUNT_WARNING_300,
    ]


def test_short_author_names_and_parts_of_words_do_not_match():
    rows = syllogism_classification_rows(n=300)  # contains "Answer", "All", "Therefore"
    report = zip_report({"t.csv": to_csv_bytes(rows)}, author_names=["An", "Ans", "Al", "fore"])
    assert report.warnings == [COUNT_WARNING_300]


# --- the zip itself ----------------------------------------------------------------------------


def _valid_csv() -> bytes:
    return to_csv_bytes(syllogism_classification_rows(n=300))


def test_not_a_zip():
    report = read_task_zip(_valid_csv(), metric="classification", task_name="t")
    assert report.errors == [Issue(None, None, None,
                                   "The upload is not a zip file; put your CSV files in a .zip "
                                   "archive (for example `zip task.zip task.csv`) and upload "
                                   "that.")]


def test_compressed_size_limit():
    upload = make_zip({"t.csv": _valid_csv()})
    report = read_task_zip(upload, metric="classification", task_name="t",
                           limits=Limits(max_compressed_bytes=1024))
    assert report.errors == [Issue(None, None, None,
                                   f"The zip is {len(upload) / 1024:.1f} kB; the limit is 1.0 kB. "
                                   f"Remove files or split the task so the zip fits.")]


def test_entry_count_limit():
    files = {"t.csv": _valid_csv(), **{f"t-CONTROL{i}.csv": b"x" for i in range(1, 5)}}
    report = zip_report(files, limits=Limits(max_entries=4))
    assert report.errors == [Issue(None, None, None, "The zip has 5 entries; the limit is 4. "
                                                     "Upload only the task's CSV files.")]


def test_uncompressed_size_limit():
    data = _valid_csv()
    report = zip_report({"t.csv": data}, limits=Limits(max_uncompressed_bytes=100_000))
    assert report.errors == [Issue(None, None, None,
                                   f"The zip's contents are {len(data) / 1024:.1f} kB "
                                   f"uncompressed; the limit is 97.7 kB. Make the task smaller.")]


def test_overall_compression_ratio_limit():
    bomb = b"prompt,completion\n" + b"a,b\n" * 1_000_000
    upload = make_zip({"t.csv": bomb})
    report = read_task_zip(upload, metric="sequence_prob", task_name="t")
    assert report.errors == [Issue(None, None, None,
                                   f"The zip expands {len(bomb) // len(upload)} times when "
                                   f"unpacked; the limit is 200 times. Upload the CSV files "
                                   f"zipped normally.")]


def test_entry_compression_ratio_limit_enforced_while_reading():
    bomb = b"prompt,completion\n" + b"a,b\n" * 1_000_000
    noise = random.Random(0).randbytes(3_000_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("t.csv", bomb)
        archive.writestr("t-CONTROL1.csv", noise, compress_type=zipfile.ZIP_STORED)
    report = read_task_zip(buffer.getvalue(), metric="sequence_prob", task_name="t")
    assert report.errors[0] == Issue("t.csv", None, None,
                                     "The file expands more than 200 times when unpacked; upload "
                                     "the CSV files zipped normally.")


def test_declared_sizes_that_lie_are_not_trusted():
    data = _valid_csv()
    upload = bytearray(make_zip({"t.csv": data}))
    # shrink the declared uncompressed size in the local header and the central directory
    true_size = len(data).to_bytes(4, "little")
    assert upload.count(true_size) == 2
    upload = bytes(upload).replace(true_size, (1000).to_bytes(4, "little"))
    report = read_task_zip(upload, metric="classification", task_name="t")
    assert len(report.errors) == 1
    assert report.errors[0].file == "t.csv"
    assert report.errors[0].message.startswith("The file could not be unpacked from the zip (")
    assert report.errors[0].message.endswith("); zip it again with a standard zip tool and "
                                             "upload it.")


def _zip_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def test_dangerous_entries_are_refused():
    link = zipfile.ZipInfo("t-CONTROL1.csv")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    encrypted = "t-CONTROL2.csv"  # zipfile cannot write encrypted entries: set the flag below
    upload = _zip_with([
        ("t.csv", _valid_csv()),
        ("/etc/t-CONTROL3.csv", b"x"),
        ("../t-CONTROL4.csv", b"x"),
        (link, b"/etc/passwd"),
        (encrypted, b"x"),
        ("inner.zip", make_zip({"t.csv": b"x"})),
        ("t-CONTROL5.csv", gzip.compress(b"prompt,classes\n")),
        ("script.py", b"print()"),
    ])
    central = upload.index(b"PK\x01\x02")  # central directory headers: name at +46, flags at +8
    while upload[central + 46:central + 46 + len(encrypted)] != encrypted.encode():
        central = upload.index(b"PK\x01\x02", central + 4)
    upload = upload[:central + 8] + bytes([upload[central + 8] | 0x1]) + upload[central + 9:]
    report = read_task_zip(upload, metric="classification", task_name="t")
    assert report.errors == [
        Issue("/etc/t-CONTROL3.csv", None, None,
              "The zip entry has an absolute path; zip the CSV files with relative names."),
        Issue("../t-CONTROL4.csv", None, None,
              "The zip entry's path contains '..'; zip the CSV files with plain relative names."),
        Issue("t-CONTROL1.csv", None, None,
              "The zip entry is a symbolic link; put the CSV file itself in the zip."),
        Issue("t-CONTROL2.csv", None, None,
              "The zip entry is encrypted; zip the CSV files without a password."),
        Issue("inner.zip", None, None,
              "The zip contains another archive; archives inside the zip are not accepted, so "
              "put the CSV files directly in the zip."),
        Issue("script.py", None, None,
              f"Only CSV files belong in the zip; remove this file (the task's files are "
              f"{EXPECTED_NAMES})."),
        Issue("t-CONTROL5.csv", None, None,
              "The file is a compressed archive, not a CSV; archives inside the zip are not "
              "accepted, so put the CSV file itself in the zip."),
    ]
    assert [f.name for f in report.files] == ["t.csv"]


def test_macos_metadata_and_dotfiles_are_ignored_with_a_warning():
    report = zip_report({"t.csv": _valid_csv(), "__MACOSX/._t.csv": b"\x00\x05",
                         ".DS_Store": b"\x00", "sub/.hidden.csv": b"x"})
    assert report.errors == []
    assert report.warnings == [
        Issue(None, None, None, "Ignored 3 entries that are not part of the task (macOS metadata "
                                "or hidden files): __MACOSX/._t.csv, .DS_Store, sub/.hidden.csv."),
        COUNT_WARNING_300]


def test_nested_or_scattered_folders_are_errors():
    report = zip_report({"a/b/t.csv": _valid_csv()})
    assert report.errors[0] == Issue("a/b/t.csv", None, None,
                                     "The CSV file is inside a folder; put the CSV files at the "
                                     "top of the zip (or all of them inside one single folder).")
    report = zip_report({"t.csv": _valid_csv(), "x/t-CONTROL1.csv": _valid_csv()})
    assert report.errors == [Issue("x/t-CONTROL1.csv", None, None,
                                   "The CSV file is inside a folder; put the CSV files at the top "
                                   "of the zip (or all of them inside one single folder).")]


def test_duplicate_entry_names():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("t.csv", _valid_csv())
        with pytest.warns(UserWarning):
            archive.writestr("t.csv", _valid_csv())
    report = read_task_zip(buffer.getvalue(), metric="classification", task_name="t")
    assert report.errors == [Issue("t.csv", None, None,
                                   "The zip holds two entries with this name; keep only one.")]


def test_unknown_metric():
    report = zip_report({"t.csv": _valid_csv()}, metric="accuracy")
    assert report.errors == [Issue(None, None, None,
                                   "Unknown metric 'accuracy'; choose one of classification, "
                                   "sequence_prob, logodds, absolute_logodds.")]


def test_issue_as_text():
    assert Issue("t.csv", 5, "classes", "Fix it.").as_text() == "t.csv, line 5, column 'classes': Fix it."
    assert Issue(None, None, None, "Fix it.").as_text() == "Fix it."


def test_damaged_zips_are_reported_never_raised():
    upload = make_zip({"t.csv": _valid_csv()})
    truncated = upload[: len(upload) // 2]
    assert read_task_zip(truncated, metric="classification", task_name="t").errors == [
        Issue(None, None, None, "The upload is not a zip file; put your CSV files in a .zip "
                                "archive (for example `zip task.zip task.csv`) and upload that.")]
    rng = random.Random(0)
    for _ in range(200):  # flipped bytes anywhere: always a report, never an exception
        damaged = bytearray(upload)
        for _ in range(3):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        report = read_task_zip(bytes(damaged), metric="classification", task_name="t")
        assert report.errors or report.files[0].rows == 300
    middle = bytearray(upload)
    middle[len(upload) // 3] ^= 0xFF  # inside the deflated data of t.csv
    report = read_task_zip(bytes(middle), metric="classification", task_name="t")
    assert [(e.file, e.message[:45]) for e in report.errors] == [
        ("t.csv", "The file could not be unpacked from the zip (")]


# --- near misses of the naming rule ------------------------------------------------------------


def _rename(name: str, to: str) -> str:
    return f"The file name differs from the naming rule only in case, '_' or spaces; rename {name} to {to}."


def test_a_name_that_misses_only_by_underscores_says_which_name_it_should_have():
    rows = syllogism_classification_rows(n=300)
    report = zip_report({"prompt_injection_avoidance.csv": to_csv_bytes(rows)},
                        task_name="prompt-injection-avoidance")
    # no "no task file" error: renaming the file is the one thing to do
    assert report.errors == [Issue("prompt_injection_avoidance.csv", None, None,
                                   _rename("prompt_injection_avoidance.csv", "prompt-injection-avoidance.csv"))]
    assert report.files == [] and report.warnings == []


@pytest.mark.parametrize("name, should_be", [
    ("T.csv", "t.csv"),
    ("t.CSV", "t.csv"),
    ("t-part1.csv", "t-PART1.csv"),
    ("T_Part_1.csv", "t-PART1.csv"),
    ("t part 1.csv", "t-PART1.csv"),
    ("t-control2.csv", "t-CONTROL2.csv"),
])
def test_case_underscores_and_spaces_are_near_misses(name, should_be):
    rows = syllogism_classification_rows(n=300)
    files = {name: to_csv_bytes(rows)}
    if "ontrol" in name:
        files["t.csv"] = to_csv_bytes(rows)
    report = zip_report(files)
    assert report.errors == [Issue(name, None, None, _rename(name, should_be))]


def test_near_misses_of_parts_count_as_the_parts_they_should_be():
    rows = syllogism_classification_rows(n=600)
    report = zip_report({"Task-part1.csv": to_csv_bytes(rows[:300]), "task-PART2.csv": to_csv_bytes(rows[300:])},
                        task_name="task")
    # no "task-PART1.csv is missing", and no count error while a part is unread
    assert report.errors == [Issue("Task-part1.csv", None, None, _rename("Task-part1.csv", "task-PART1.csv"))]
    assert [f.name for f in report.files] == ["task-PART2.csv"] and report.warnings == []


def test_a_near_miss_of_a_name_already_in_the_zip():
    rows = syllogism_classification_rows(n=300)
    report = zip_report({"t.csv": to_csv_bytes(rows), "T.csv": to_csv_bytes(rows)})
    assert report.errors == [Issue("T.csv", None, None, "The file name differs from t.csv, which the zip also "
                                                        "holds, only in case, '_' or spaces; remove one of the two.")]


def test_a_misnamed_control_does_not_hold_back_the_count_rule():
    rows = syllogism_classification_rows(n=310)
    report = zip_report({"t.csv": to_csv_bytes(rows[:299]), "t_control1.csv": to_csv_bytes(rows[299:])})
    assert report.errors == [
        Issue("t_control1.csv", None, None, _rename("t_control1.csv", "t-CONTROL1.csv")),
        Issue(None, None, None, "The task has 299 examples in its non-control files; the contest requires at "
                                "least 300, so add more examples."),
    ]


# --- the count rule where a task is still being written ----------------------------------------


def test_fewer_than_300_examples_can_be_a_warning():
    rows = syllogism_classification_rows(n=20)
    too_few = Issue(None, None, None, "The task has 20 examples in its non-control files; the contest "
                                      "requires at least 300, so add more examples.")
    strict = zip_report({"t.csv": to_csv_bytes(rows)})
    assert (strict.valid, strict.errors, strict.warnings) == (False, [too_few], [])
    lenient = zip_report({"t.csv": to_csv_bytes(rows)}, min_examples_is_error=False)
    assert (lenient.valid, lenient.errors, lenient.warnings) == (True, [], [too_few])
    assert len(lenient.files[0].examples) == 20


# --- reading in place ---------------------------------------------------------------------------


class CountingFile(io.FileIO):
    """A real file that counts the bytes read from it."""

    bytes_read = 0

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.bytes_read += n or 0
        return n

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_an_open_file_is_read_in_place_not_as_a_whole(tmp_path):
    rows = syllogism_classification_rows(n=300)
    noise = random.Random(0).randbytes(3 * 1024 * 1024)  # incompressible, ignored (macOS metadata)
    path = tmp_path / "upload.zip"
    path.write_bytes(make_zip({"__MACOSX/._t.csv": noise, "t.csv": to_csv_bytes(rows)}))
    size = path.stat().st_size
    with CountingFile(path, "rb") as handle:
        report = read_task_zip(handle, metric="classification", task_name="t")
        assert report.valid and report.files[0].rows == 300
        assert 0 < handle.bytes_read < size - 3 * 1024 * 1024  # the ignored entry was never read
    with open(path, "rb") as handle:  # an ordinary open() file object as well
        assert read_task_zip(handle, metric="classification", task_name="t").files[0].rows == 300
