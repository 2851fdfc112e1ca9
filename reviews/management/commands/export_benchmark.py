"""Export a contest's Accepted Tasks as one zip, as the organizers' export page does.

    python manage.py export_benchmark --contest SLUG --out FILE.zip [--by USERNAME]

The zip holds README.md, SHA256SUMS and, per task, its CSVs as submitted, <task>.jsonl,
metadata.json (authors included: this export is for the organizers) and results.json (the evaluation's
results on every series, private ones included). The file appears only when
complete (it is written next to FILE.zip first). The export goes into the contest's audit log, under
--by when given.
"""

from __future__ import annotations

from reviews import export

from ._contest_zip import ContestZipCommand


class Command(ContestZipCommand):
    help = "Export a contest's Accepted Tasks (CSVs, jsonl, metadata, results, README, SHA-256 checksums) as one zip."
    what = "the benchmark"

    def write(self, contest, target) -> list[str]:
        return export.write_benchmark(contest, target)

    def wrote(self, out, names) -> str:
        return (f"Wrote {out}: {len(names)} accepted task{'s' if len(names) != 1 else ''}"
                f"{': ' + ', '.join(names) if names else ''}.")
