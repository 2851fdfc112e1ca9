"""What partners do, in the contest's audit log (reviews.AuditEntry), each entry naming the partner:
every token issued or revoked, every claim, upload and failure. Entries of a run carry its contest
and submission; token entries belong to no contest and show in every contest's log."""

from __future__ import annotations

from evaluation.models import Partner, Run
from reviews.services import audit


def _run_entry(action: str, run: Run, partner: Partner, message: str, **data) -> None:
    submission = run.version.submission
    audit(actor=None, action=action, contest=submission.contest, submission=submission,
          message=f"Partner {partner.name}: {message}", partner=partner.name, run=run.pk, model=run.model.name,
          **data)


def claimed(*, run: Run, partner: Partner) -> None:
    _run_entry("partner_claimed", run, partner, f"claimed run {run.pk} on {run.model.name} (attempt {run.attempts}).",
               attempt=run.attempts)


def uploaded(*, run: Run, partner: Partner, files: int, examples: int, status: str) -> None:
    _run_entry("partner_uploaded", run, partner,
               f"uploaded the results of run {run.pk} on {run.model.name}: {files} file(s), {examples} example(s).",
               files=files, examples=examples, status=status)


def failed(*, run: Run, partner: Partner, message: str, status: str) -> None:
    _run_entry("partner_failed", run, partner,
               f"reported run {run.pk} on {run.model.name} failed ({message}); the run is now {status}.",
               reason=message, status=status)


def token_issued(*, partner: Partner, by, prefix: str, revoked: int) -> None:
    audit(actor=by, action="partner_token_issued", contest=None,
          message=f"Partner {partner.name}: a new API token ({prefix}…) was issued"
                  + (f"; {revoked} older token(s) revoked." if revoked else "."),
          partner=partner.name, prefix=prefix, revoked=revoked)


def tokens_revoked(*, partner: Partner, by, count: int) -> None:
    audit(actor=by, action="partner_token_revoked", contest=None,
          message=f"Partner {partner.name}: {count} API token(s) revoked.", partner=partner.name, revoked=count)
