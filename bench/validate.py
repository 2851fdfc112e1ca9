"""Benchmark: validate a realistic 20,897-row classification upload through read_task_zip.

Builds few-shot prompts of about 2 kB each (distinct rows, real sentences), writes them with
pandas' to_csv, zips the CSV, and times `read_task_zip` -- the same function the portal's upload
form calls, with two authors' names and emails to look for. Prints rows per second and seconds (best and median of a few runs).

    python bench/validate.py [--rows 20897] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from evaluation.engine.taskfile import read_task_zip
from tests.datasets import make_zip, to_csv_bytes

_SUBJECTS = ["the committee", "a farmer", "the old sailor", "every student", "the museum",
             "a small company", "the river town", "her neighbour", "the orchestra", "a scientist"]
_VERBS = ["announced", "discovered", "argued", "promised", "reported", "noticed", "decided",
          "explained", "suggested", "remembered"]
_OBJECTS = ["that the bridge would reopen in spring", "a crack in the eastern wall",
            "that prices had risen again", "to plant more trees along the road",
            "a letter hidden in the attic", "that the lake froze earlier this year",
            "a new way to measure rainfall", "that the train was running late",
            "to repaint the lighthouse", "an error in last year's accounts"]


# the portal form passes the submission's authors, so the anonymity scan is part of the timing
AUTHORS = ["Grace Hopper", "Alan Turing"]
EMAILS = ["grace.hopper@example.org", "alan.turing@example.org"]


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} "
            f"{rng.choice(_OBJECTS)} on day {rng.randrange(1, 10_000)}.")


def _rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        shots = []
        while sum(len(s) for s in shots) < 1800:
            passage = " ".join(_sentence(rng) for _ in range(3))
            answer = rng.choice([" True", " False"])
            shots.append(f"Passage: {passage}\nQuestion: Is the passage consistent?\nAnswer:{answer}\n\n")
        passage = " ".join(_sentence(rng) for _ in range(3))
        prompt = "".join(shots) + f"Passage: {passage} (item {i})\nQuestion: Is the passage consistent?\nAnswer:"
        rows.append({"prompt": prompt, "classes": str([" True", " False"]),
                     "answer_index": rng.randrange(2)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_897)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rows = _rows(args.rows)
    csv = to_csv_bytes(rows)
    upload = make_zip({"bench-task.csv": csv})
    print(f"rows: {len(rows)}  csv: {len(csv) / 1e6:.1f} MB  zip: {len(upload) / 1e6:.1f} MB  "
          f"mean prompt: {sum(len(r['prompt']) for r in rows) / len(rows):.0f} chars")

    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        report = read_task_zip(upload, metric="classification", task_name="bench-task",
                               author_names=AUTHORS, author_emails=EMAILS)
        times.append(time.perf_counter() - start)
        assert report.valid, report.errors[:5]
        assert report.files[0].rows == len(rows) and len(report.files[0].examples) == len(rows)
    best, median = min(times), statistics.median(times)
    print(f"read_task_zip: best {best:.3f} s ({len(rows) / best:,.0f} rows/s), "
          f"median {median:.3f} s ({len(rows) / median:,.0f} rows/s) over {args.repeat} runs")


if __name__ == "__main__":
    main()
