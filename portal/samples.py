"""Builders of real contest-format task data: the demo's sample submissions, the tests and the benchmarks.

Each builder returns a list of dicts, one per row, with exactly the columns the contest README
asks for its metric. Rows are deterministic for a given seed and always distinct. The text is
generic (no person's name appears in it), so author-anonymity checks stay quiet unless a test
adds a name on purpose.

    rows = syllogism_classification_rows(n=300, seed=0)
    data = to_csv_bytes(rows)                      # bytes of a CSV as pandas writes it
    zipped = make_zip({"my-task.csv": data})        # bytes of a zip holding it
"""

from __future__ import annotations

import io
import random
import zipfile

import pandas as pd

__all__ = [
    "syllogism_classification_rows",
    "lambada_sequence_prob_rows",
    "logodds_rows",
    "to_csv_bytes",
    "make_zip",
]

_NOUNS = [
    "cats", "dogs", "birds", "fish", "trees", "flowers", "stones", "rivers", "clouds", "ships",
    "lamps", "chairs", "books", "songs", "engines", "bridges", "gardens", "towers", "coins",
    "mirrors", "keys", "doors", "windows", "maps", "clocks", "candles", "bottles", "ropes",
    "wheels", "kites", "apples", "oranges", "horses", "bees", "owls", "wolves", "shells", "pearls",
    "robots", "planets", "comets", "violins", "drums", "hammers", "needles", "glaciers", "deserts",
]
_ADJECTIVES = [
    "red", "heavy", "quiet", "ancient", "bright", "hollow", "frozen", "golden", "tiny", "curious",
    "gentle", "loud", "wooden", "silver", "round", "sharp", "soft", "bitter", "sweet", "rusty",
]
_NAMES_OF_PLACES = [
    "the harbour", "the old mill", "the market", "the hill", "the station", "the library",
    "the orchard", "the lighthouse", "the square", "the bakery", "the valley", "the workshop",
]
_VERBS_PAST = [
    "walked", "waited", "looked", "listened", "paused", "smiled", "shivered", "laughed", "sighed",
]
_LAST_WORDS = [
    "door", "window", "river", "garden", "letter", "lantern", "bridge", "station", "kitchen",
    "mountain", "harbour", "market", "forest", "table", "staircase", "corridor", "orchard",
    "library", "meadow", "chimney", "basket", "wagon", "blanket", "compass", "notebook",
]


def _syllogism(rng: random.Random) -> tuple[str, bool]:
    """One syllogism as text, and whether its conclusion follows from the premises."""
    a, b, c = rng.sample(_NOUNS, 3)
    form = rng.randrange(4)
    if form == 0:  # Barbara: valid
        lines = [f"All {a} are {b}.", f"All {b} are {c}.", f"Therefore, all {a} are {c}."]
        valid = True
    elif form == 1:  # affirming the consequent-style: invalid
        lines = [f"All {a} are {b}.", f"All {c} are {b}.", f"Therefore, all {a} are {c}."]
        valid = False
    elif form == 2:  # Celarent: valid
        lines = [f"No {a} are {b}.", f"All {c} are {a}.", f"Therefore, no {c} are {b}."]
        valid = True
    else:  # undistributed middle with "some": invalid
        lines = [f"Some {a} are {b}.", f"Some {b} are {c}.", f"Therefore, some {a} are {c}."]
        valid = False
    return "\n".join(lines), valid


def syllogism_classification_rows(n: int = 300, seed: int = 0) -> list[dict]:
    """`classification` rows: a 1-shot syllogism prompt, classes [" Yes", " No"]."""
    rng = random.Random(seed)
    rows: list[dict] = []
    seen: set[str] = set()
    while len(rows) < n:
        shot, shot_valid = _syllogism(rng)
        query, query_valid = _syllogism(rng)
        prompt = (
            "Decide whether the conclusion follows logically from the premises, "
            "regardless of whether it is true.\n\n"
            f"{shot}\nDoes the conclusion follow? Answer:{' Yes' if shot_valid else ' No'}\n\n"
            f"{query}\nDoes the conclusion follow? Answer:"
        )
        if prompt in seen:
            continue
        seen.add(prompt)
        rows.append({"prompt": prompt, "classes": str([" Yes", " No"]),
                     "answer_index": 0 if query_valid else 1})
    return rows


def lambada_sequence_prob_rows(n: int = 300, seed: int = 0) -> list[dict]:
    """`sequence_prob` rows: a short passage whose final word (with its leading space) is the
    completion, LAMBADA-style: the word was named earlier in the passage."""
    rng = random.Random(seed)
    rows: list[dict] = []
    seen: set[str] = set()
    while len(rows) < n:
        word = rng.choice(_LAST_WORDS)
        adj = rng.choice(_ADJECTIVES)
        place = rng.choice(_NAMES_OF_PLACES)
        verb = rng.choice(_VERBS_PAST)
        other = rng.choice([w for w in _LAST_WORDS if w != word])
        minutes = rng.randrange(2, 60)
        prompt = (
            f"She {verb} by the {adj} {word} near {place} for {minutes} minutes. "
            f"Nobody came, and the {other} behind her stayed dark. "
            f"When the bell finally rang, she turned around and opened the"
        )
        if prompt in seen:
            continue
        seen.add(prompt)
        rows.append({"prompt": prompt, "completion": f" {word}"})
    return rows


def logodds_rows(n: int = 300, seed: int = 0) -> list[dict]:
    """`logodds` rows: two prompts that differ in one premise, two single-word classes."""
    rng = random.Random(seed)
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()
    while len(rows) < n:
        a, b = rng.sample(_NOUNS, 2)
        adj, other_adj = rng.sample(_ADJECTIVES, 2)
        question = (f"Question: Are the {a} {adj}?\n"
                    f" A. Yes\n B. No\nAnswer:")
        prompt = f"All {a} are {b}. All {b} are {adj}.\n{question}"
        other_prompt = f"All {a} are {b}. All {b} are {other_adj}.\n{question}"
        if (prompt, other_prompt) in seen:
            continue
        seen.add((prompt, other_prompt))
        rows.append({"prompt": prompt, "other_prompt": other_prompt,
                     "classes": str([" A", " B"]), "answer_index": 0})
    return rows


def to_csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    """The rows as CSV bytes, exactly as `pandas.DataFrame.to_csv(index=False)` writes them."""
    frame = pd.DataFrame(rows, columns=columns) if columns is not None else pd.DataFrame(rows)
    return frame.to_csv(index=False).encode("utf-8")


def make_zip(files: dict[str, bytes]) -> bytes:
    """A deflated zip holding `files` (name -> bytes), in the given order. Its entries carry a fixed date, so
    the same files make the same bytes (and the same stored zip) whenever they are zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2022, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
