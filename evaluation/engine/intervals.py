"""The one convention for the intervals that tables, plots and trends show: 95%, everywhere.

    CONFIDENCE = 0.95; Z95 = the standard normal's 97.5% quantile (1.959963984540054)
    mean_error(sem) = Z95 * sem          half-width of a mean's 95% interval (normal, over examples)

The command line's plot (engine/plots.py), the portal's plots and tables (evaluation/plots.py,
the `ci95` filter) and the trend statistics (trends.py) all take their interval from here, and a
figure names it with `INTERVAL_LABEL`.
"""

from __future__ import annotations

CONFIDENCE = 0.95
Z95 = 1.959963984540054  # the standard normal distribution's 97.5% quantile, correctly rounded
INTERVAL_LABEL = "95% CI"


def mean_error(sem: float | None) -> float:
    """Half-width of the 95% interval of a mean whose standard error is `sem` (0 when unknown)."""
    return Z95 * (sem or 0.0)
