"""The review side's records: rubric, settings, reviewers, conflicts, assignments, reviews, awards, audit; and
the contest's outcome: the human validation of labels, meta-reviews, causes, published examples, the release's
licence.

Rules (who may do what, when; who sees what) live in services.py, outcome.py and the selectors package; the rules
that need no database in plain modules (prizes.py, conflicts.py, assigning.py, redaction.py, suggestions.py,
licences.py).

The records are in three modules by subject (reviewing.py, validation.py, publication.py); import them from
here.
"""

from .publication import (  # noqa: F401
    Cause,
    CauseTag,
    MetaReview,
    PublishedExample,
    ReleaseSettings,
)
from .reviewing import (  # noqa: F401
    LEVEL_CHOICES,
    TIER_CHOICES,
    Assignment,
    AuditEntry,
    Award,
    Conflict,
    ContestReviewer,
    Criterion,
    CriterionLevel,
    Ranking,
    Review,
    ReviewRevision,
    ReviewRound,
    ReviewSettings,
)
from .validation import (  # noqa: F401
    LabelValidation,
    ValidationAnswer,
    ValidationExample,
    Validator,
)
