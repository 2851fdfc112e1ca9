"""The sample task builders live in `portal.samples` (seed_demo uses them too); tests import them here."""

from portal.samples import (  # noqa: F401
    lambada_sequence_prob_rows,
    logodds_rows,
    make_zip,
    syllogism_classification_rows,
    to_csv_bytes,
)
