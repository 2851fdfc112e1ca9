"""Write a contest's public release of its benchmark as one zip, as the organizers' button does.

    python manage.py export_release --contest SLUG --out FILE.zip [--by USERNAME]

The zip (reviews/release.py) holds the accepted tasks of the rounds whose awards are announced: a dataset card
that `datasets.load_dataset` reads (one config per task), metadata.json, the tasks' JSONL, lm-eval task YAMLs
with the contest's metrics, and SHA256SUMS; no email, no reviewer or validator, no task that was not accepted,
nothing of an unannounced round. Before a round is announced it writes nothing and exits 1 with the reason the
button gives. The file appears only when complete (it is written next to FILE.zip first). The export goes into
the contest's audit log, under --by when given.
"""

from __future__ import annotations

from reviews import export, release

from ._contest_zip import ContestZipCommand


class Command(ContestZipCommand):
    help = ("Write a contest's public release (the accepted tasks of its announced rounds: dataset card, JSONL, "
            "lm-eval tasks, metadata, SHA-256 checksums) as one zip.")
    what = "the public release"
    refusals = (release.ReleaseRefused, export.ExportFailed)

    def write(self, contest, target) -> list[str]:
        return release.write_release(contest, target)

    def wrote(self, out, names) -> str:
        return (f"Wrote {out}: {len(names)} accepted task{'s' if len(names) != 1 else ''} of the announced "
                f"rounds: {', '.join(names)}.")
