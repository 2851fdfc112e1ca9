"""The review side's REST endpoints (Django REST Framework), included under /api/ by portal/urls.py.

The same selectors as the pages decide what each user sees; the same services decide what they may
do, and their refusals become `{"detail": message}` with the refusal's status (400, 403, 409), through
portal.refusals' exception handler. Organizers' endpoints use portal.access' permission.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation import api as evaluation_api
from evaluation.api import ResultsSerializer
from portal import selectors as portal_selectors
from portal.access import IsOrganizer
from portal.models import Contest, Submission

from . import selectors, services
from .models import Assignment

# --- payloads -------------------------------------------------------------------------------------------


class FileSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="task.csv, task-PART<n>.csv or task-CONTROL<n>.csv")
    kind = serializers.CharField()
    index = serializers.IntegerField(allow_null=True)
    rows = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.CharField())


class AnonymousSubmissionSerializer(serializers.Serializer):
    label = serializers.CharField()
    task_name = serializers.CharField(allow_null=True, help_text="null unless the contest shows reviewers task names")
    metric = serializers.CharField()
    shot_setting = serializers.CharField()
    has_control_data = serializers.BooleanField()
    description = serializers.DictField(child=serializers.CharField(allow_blank=True))
    files = FileSerializer(many=True)
    download = serializers.CharField(help_text="the anonymised zip")


class ShownReviewSerializer(serializers.Serializer):
    reviewer = serializers.CharField(source="label", help_text='"Reviewer N"; organizers also see the username')
    own = serializers.BooleanField(source="is_own")
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    levels = serializers.DictField(child=serializers.CharField())
    to_authors = serializers.CharField(allow_blank=True)
    to_organizers = serializers.CharField(allow_null=True, allow_blank=True,
                                          help_text="null for those who may not read it")


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contest = serializers.CharField()
    round = serializers.IntegerField()
    reviewer = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    review_deadline = serializers.DateTimeField(allow_null=True)
    reviews_open = serializers.BooleanField()
    submission = AnonymousSubmissionSerializer()
    results = ResultsSerializer(help_text="The evaluation's results on every series, public and private, as "
                                          "GET /api/submissions/<id>/results/ gives them, under anonymous file "
                                          "names and without the per-example CSV links.")
    reviews = ShownReviewSerializer(many=True)


def results_payload(*, submission: Submission, results) -> dict:
    """The results as a reviewer reads them, in the shape of GET /api/submissions/<id>/results/
    (ResultsSerializer), without the per-example `csv` links (those answer the evaluation's own readers, the
    owner and organizers) and without the files' sha256: the hash of a file as uploaded, before redaction,
    would let a reviewer confirm a guess of its public source."""
    return evaluation_api.results_payload(None, submission, results, hashes=False)


def assignment_payload(request, assignment: Assignment) -> dict:
    anonymous = selectors.anonymous_submission(assignment)
    results = selectors.results_for_assignment(assignment).results
    round = assignment.submission.round
    return AssignmentSerializer({
        "id": assignment.pk, "contest": assignment.submission.contest.slug, "round": round.number,
        "reviewer": selectors.reviewer_label(viewer=request.user, assignment=assignment),
        "due_at": assignment.due_at, "review_deadline": selectors.review_deadline(round),
        "reviews_open": selectors.reviews_open(round=round),
        "submission": {**anonymous.__dict__, "description": {key: text for key, _, text in anonymous.fields},
                       "download": reverse("reviews-assignment-zip", args=[assignment.pk])},
        "results": results_payload(submission=assignment.submission, results=results),
        "reviews": selectors.shown_reviews(viewer=request.user, submission=assignment.submission),
    }).data


# --- endpoints ------------------------------------------------------------------------------------------


class AssignRequestSerializer(serializers.Serializer):
    reviewer = serializers.CharField(help_text="the reviewer's username")
    due_at = serializers.DateTimeField(required=False, allow_null=True,
                                       help_text="default: the round's review deadline")


class SubmissionAssignments(APIView):
    """POST /api/submissions/<id>/assignments/ (organizers): assign a reviewer. 201; 409 across a conflict
    (or if already assigned); 400 if the account is not a reviewer of the contest."""

    permission_classes = [IsAuthenticated, IsOrganizer]
    serializer_class = AssignRequestSerializer

    def post(self, request, pk: int):
        submission = portal_selectors.get_submission_for(user=request.user, pk=pk)
        body = AssignRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reviewer = User.objects.filter(username=body.validated_data["reviewer"]).first()
        if reviewer is None:
            return Response({"detail": f"No account is named {body.validated_data['reviewer']}."}, status=400)
        assignment = services.assign(submission=submission, reviewer=reviewer, by=request.user,
                                     due_at=body.validated_data.get("due_at"), site=request.build_absolute_uri("/"))
        return Response({"id": assignment.pk, "submission": submission.pk, "reviewer": reviewer.username,
                         "number": assignment.number, "due_at": assignment.due_at}, status=status.HTTP_201_CREATED)


class AssignmentList(APIView):
    """GET /api/reviews/assignments/: the assignments this user may see (a reviewer: their own), anonymised."""

    serializer_class = AssignmentSerializer

    @extend_schema(operation_id="reviews_assignments_list", responses=AssignmentSerializer(many=True))
    def get(self, request):
        return Response([assignment_payload(request, a) for a in selectors.assignments_visible_to(request.user)])


class AssignmentDetail(APIView):
    """GET /api/reviews/assignments/<id>/: one assignment (404 for anyone who may not see it)."""

    serializer_class = AssignmentSerializer

    def get(self, request, pk: int):
        return Response(assignment_payload(request, selectors.get_assignment_for(user=request.user, pk=pk)))


class ReviewRequestSerializer(serializers.Serializer):
    levels = serializers.DictField(child=serializers.CharField(), help_text="criterion key -> level")
    to_authors = serializers.CharField(required=False, allow_blank=True, default="")
    to_organizers = serializers.CharField(required=False, allow_blank=True, default="")
    submit = serializers.BooleanField()


class AssignmentReview(APIView):
    """PUT /api/reviews/assignments/<id>/review/: save the review as a draft (submit: false) or submit it."""

    serializer_class = ReviewRequestSerializer

    def put(self, request, pk: int):
        assignment = selectors.get_assignment_for(user=request.user, pk=pk)
        body = ReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.save_review(assignment=assignment, user=request.user, **body.validated_data)
        return Response(assignment_payload(request, selectors.get_assignment_for(user=request.user, pk=pk)))


class LevelSerializer(serializers.Serializer):
    level = serializers.CharField()
    description = serializers.CharField()


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    levels = LevelSerializer(many=True)


class Rubric(APIView):
    """GET /api/reviews/rubric/: the criteria, each with its three levels and their descriptions."""

    @extend_schema(responses=CriterionSerializer(many=True))
    def get(self, request):
        return Response([{"key": c.key, "name": c.name,
                          "levels": [{"level": lv.level, "description": lv.description} for lv in c.level_list]}
                         for c in selectors.rubric()])


class AwardSerializer(serializers.Serializer):
    tier = serializers.CharField()
    amount = serializers.IntegerField(help_text="USD paid in this round (an upgrade pays the difference)")
    upgraded_from = serializers.CharField(allow_blank=True, help_text="the tier won in an earlier round that this "
                                                                      "award upgrades; empty: a new prize")
    override_reason = serializers.CharField(allow_blank=True)
    acknowledgement = serializers.DictField(
        help_text="the gaps of its evidence the organizers awarded it despite ({gaps: [[gap, what it lacked], "
                  "...], reason, evidence: as it stood}); {} when its evidence was complete")
    nonprofit = serializers.CharField(allow_blank=True, help_text="the non-profit that receives the money, if any")


class EvidenceSerializer(serializers.Serializer):
    eligible = serializers.BooleanField(allow_null=True, help_text="the evaluation's eligibility; null: not known yet")
    eligibility_reason = serializers.CharField(help_text="the rules' reason, or the organizers' decision")
    overridden = serializers.BooleanField(help_text="the organizers decided the eligibility")
    rules_eligible = serializers.BooleanField(allow_null=True, help_text="what the rules alone say")
    unfinished_public = serializers.IntegerField(help_text="runs of the current version queued or running, public series")
    unfinished_private = serializers.IntegerField(help_text="the same on the private series")
    failed = serializers.IntegerField(help_text="runs of the current version that failed")
    reviews = serializers.IntegerField(help_text="submitted reviews")
    required_reviews = serializers.IntegerField(help_text="N, the contest's reviewers per submission")
    gaps = serializers.DictField(child=serializers.CharField(),
                                 help_text="eligibility, runs, reviews -> what is missing; an award against any "
                                           "needs an acknowledgement with a reason")


class CandidateSerializer(serializers.Serializer):
    submission = serializers.IntegerField()
    task_name = serializers.CharField()
    reviews = serializers.IntegerField()
    levels = serializers.DictField(child=serializers.CharField(), help_text="criterion key -> combined level")
    eligible_tier = serializers.CharField(allow_null=True)
    grand_count = serializers.IntegerField()
    rank_score = serializers.FloatField(
        allow_null=True, help_text="the Borda score within the eligible tier (the reviewers' rankings cut to the "
                                   "tier, first 1, last 0; 1/2 when none places it); null for a task with no tier")
    rank_score_exact = serializers.CharField(allow_null=True,
                                             help_text="the exact rank score (a fraction) that ties are broken on")
    previous_tier = serializers.CharField(allow_null=True, help_text="the tier this task won in round 1, if any")
    paid_before = serializers.IntegerField(help_text="USD the earlier rounds' awards paid it")
    kept = serializers.BooleanField(help_text="an earlier winner without an award of this round: it keeps its tier, "
                                              "and nothing more is paid")
    proposed_tier = serializers.CharField(allow_null=True)
    award = AwardSerializer(allow_null=True, help_text="the award decided, null until then")
    evidence = EvidenceSerializer(help_text="what an award would rest on")


class RoundProposalSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    caps = serializers.DictField(child=serializers.IntegerField(), help_text="tier -> most awards of that tier")
    decided = serializers.DictField(child=serializers.IntegerField(),
                                    help_text="tier -> prizes the caps count so far (after round 1, the earlier "
                                              "rounds' winners too; each submission once, at its highest tier)")
    announced = serializers.BooleanField()
    error = serializers.CharField(allow_null=True, allow_blank=True)
    candidates = CandidateSerializer(many=True)
    proposal = serializers.DictField(child=serializers.CharField(), help_text="submission id -> proposed tier")


class ContestAwardsSerializer(serializers.Serializer):
    contest = serializers.CharField()
    rounds = RoundProposalSerializer(many=True)


class ContestAwards(APIView):
    """GET /api/contests/<slug>/awards/ (organizers): per round, the caps, every candidate with its combined
    levels, eligible tier, tie-break keys and evidence, the allocation the rules propose, and the awards decided."""

    permission_classes = [IsAuthenticated, IsOrganizer]

    @extend_schema(responses=ContestAwardsSerializer)
    def get(self, request, slug: str):
        contest = get_object_or_404(Contest, slug=slug)
        return Response({"contest": contest.slug, "rounds": [_proposal(selectors.award_proposal(r))
                                                             for r in contest.rounds.order_by("number")]})


def _proposal(proposal: selectors.Proposal) -> dict:
    return {
        "round": proposal.round.number, "caps": proposal.caps, "decided": proposal.counts(),
        "announced": proposal.announced,
        "error": proposal.error,
        "candidates": [{
            "submission": row.submission.pk, "task_name": row.submission.task_name, "reviews": row.reviews,
            "levels": row.levels, "eligible_tier": row.tier, "grand_count": row.grand_count,
            "rank_score": float(row.rank_score) if row.ranked else None,
            "rank_score_exact": str(row.rank_score) if row.ranked else None,
            "previous_tier": row.previous_tier, "paid_before": row.paid_before, "kept": row.kept,
            "proposed_tier": row.proposed,
            "award": ({"tier": row.award.tier, "amount": row.award.amount, "upgraded_from": row.award.upgraded_from,
                       "override_reason": row.award.override_reason, "acknowledgement": row.award.acknowledgement,
                       "nonprofit": row.award.nonprofit}
                      if row.award else None),
            "evidence": {**row.evidence.as_dict(), "rules_eligible": row.rules_eligible, "gaps": row.gaps},
        } for row in proposal.rows],
        "proposal": {str(key): tier for key, tier in proposal.allocation.items()},
    }


urlpatterns = [
    path("submissions/<int:pk>/assignments/", SubmissionAssignments.as_view(), name="api-assign"),
    path("reviews/assignments/", AssignmentList.as_view(), name="api-assignments"),
    path("reviews/assignments/<int:pk>/", AssignmentDetail.as_view(), name="api-assignment"),
    path("reviews/assignments/<int:pk>/review/", AssignmentReview.as_view(), name="api-assignment-review"),
    path("reviews/rubric/", Rubric.as_view(), name="api-rubric"),
    path("contests/<slug:slug>/awards/", ContestAwards.as_view(), name="api-contest-awards"),
]
