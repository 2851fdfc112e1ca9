"""Reading and validating a contest task upload: a zip of CSV files, read the way the rules say.

Plain Python (no Django): the portal's upload form, the `validate_submission` command, the Celery
workers and the engine's command line all call this package, so a file the portal accepts is
exactly a file the workers can score. Each module does one job:

* `zipsafety` — opening the upload (a path, bytes or a binary file object, read in place when it
  can seek), size limits, zip bombs, entries that do not belong (`Limits`);
* `names` — the naming rule, near misses ("rename X to Y"), the rules on the set of files;
* `rows` and `lines` — one CSV read with pandas' default arguments, each row located at its
  physical line and turned into a typed example by its metric's row parser;
* `authors` — the anonymity scan of file names and contents;
* `upload` — the whole upload, and the task-level count rule.

Public API
----------
``read_task_zip(source, *, metric, task_name, limits=Limits(), author_names=(), author_emails=(),
min_examples_is_error=True)``
    Reads a whole upload and returns a `TaskReport`. It never raises for bad user input: every
    problem is an `Issue` in ``report.errors`` or ``report.warnings``, all of them at once (per
    file the error list is capped at `MAX_ERRORS_PER_FILE`, followed by one "and N more" issue).
    The count rule (at least `MIN_EXAMPLES` rows over the non-control files) is an error unless
    ``min_examples_is_error=False``; fewer than `ADVISED_EXAMPLES` is a warning.
``read_task_path(path, *, metric, task_name, ...)`` (the same options)
    Reads a task from disk for the command lines: a zip as above, or one CSV judged as the zip
    holding only that file would be.
``read_task_csv(name, data, *, metric, kind="main", index=None, author_names=(), author_emails=())``
    Reads one CSV's bytes: returns ``(TaskFile | None, errors, warnings)``.
``check_example_count(files, *, min_examples_is_error=True)`` and ``classify_name(name, task_name)``.

Locations: ``Issue.file`` is the CSV's name (for problems with the zip itself, the entry's name
as stored in the zip, or None for the whole upload); ``Issue.line`` is the physical line in the
file as an editor counts it (header = line 1); ``Issue.column`` is the CSV column's name. Messages
are sentences that say what to fix and do not repeat the location, so a page shows the location
fields next to the message.
"""

from .names import classify_name
from .rows import MAX_ERRORS_PER_FILE, read_task_csv
from .upload import ADVISED_EXAMPLES, MIN_EXAMPLES, check_example_count, read_task_path, read_task_zip
from .zipsafety import Limits

__all__ = [
    "Limits",
    "MAX_ERRORS_PER_FILE",
    "MIN_EXAMPLES",
    "ADVISED_EXAMPLES",
    "read_task_zip",
    "read_task_path",
    "read_task_csv",
    "check_example_count",
    "classify_name",
]
