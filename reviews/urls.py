"""The review side's pages, included at the site's root by portal/urls.py."""

from django.urls import path

from . import annotation_views, public_views, validation_views, views

urlpatterns = [
    path("reviews/", views.home, name="reviews-home"),
    path("reviews/assignments/<int:pk>/", views.assignment_detail, name="reviews-assignment"),
    path("reviews/assignments/<int:pk>/task.zip", views.assignment_zip, name="reviews-assignment-zip"),
    path("reviews/assignments/<int:pk>/conflict/", views.assignment_conflict, name="reviews-assignment-conflict"),
    path("reviews/assignments/<int:pk>/remove/", views.unassign, name="reviews-unassign"),
    path("reviews/conflicts/", views.domain_conflict, name="reviews-domain-conflict"),
    path("reviews/rounds/<int:round_pk>/ranking/", views.ranking, name="reviews-ranking"),
    path("reviews/submissions/<int:pk>/", views.submission_reviews, name="reviews-submission"),
    path("reviews/awards/<int:pk>/nonprofit/", views.nonprofit, name="reviews-nonprofit"),
    path("reviews/contests/<slug:slug>/", views.contest_reviews, name="reviews-contest"),
    path("reviews/contests/<slug:slug>/reviewers/", views.add_reviewer, name="reviews-add-reviewer"),
    path("reviews/contests/<slug:slug>/assign/", views.assign, name="reviews-assign"),
    path("reviews/contests/<slug:slug>/conflicts/", views.organizer_conflict, name="reviews-organizer-conflict"),
    path("reviews/contests/<slug:slug>/rounds/<int:number>/auto-assign/", views.auto_assign, name="reviews-auto-assign"),
    path("reviews/contests/<slug:slug>/rounds/<int:number>/awards/", views.awards, name="reviews-awards"),
    path("reviews/contests/<slug:slug>/rounds/<int:number>/awards/confirm/", views.confirm_awards,
         name="reviews-confirm-awards"),
    path("reviews/contests/<slug:slug>/rounds/<int:number>/awards/override/", views.override_award,
         name="reviews-override-award"),
    path("reviews/contests/<slug:slug>/rounds/<int:number>/awards/announce/", views.announce_awards,
         name="reviews-announce-awards"),
    path("reviews/contests/<slug:slug>/rounds/<int:number>/release/", views.release_feedback,
         name="reviews-release-feedback"),
    path("reviews/contests/<slug:slug>/audit/", views.audit_log, name="reviews-audit"),
    path("reviews/contests/<slug:slug>/export/benchmark.zip", views.export_benchmark, name="reviews-export-benchmark"),
    path("reviews/contests/<slug:slug>/export/release.zip", views.export_release, name="reviews-export-release"),
    path("reviews/contests/<slug:slug>/export/reviews.csv", views.export_reviews, name="reviews-export-reviews"),
    path("reviews/contests/<slug:slug>/export/awards.csv", views.export_awards, name="reviews-export-awards"),
    # the human validation of labels
    path("reviews/contests/<slug:slug>/validation/", validation_views.contest_validation,
         name="reviews-validation-contest"),
    path("reviews/contests/<slug:slug>/validation/start/", validation_views.start_validation,
         name="reviews-validation-start"),
    path("reviews/contests/<slug:slug>/rounds/<int:number>/validation/start/", validation_views.start_round_validations,
         name="reviews-validation-start-round"),
    path("reviews/contests/<slug:slug>/rounds/<int:number>/validation/validators/",
         validation_views.name_round_validators, name="reviews-validation-round-validators"),
    path("reviews/validations/<int:pk>/", validation_views.validation_page, name="reviews-validation"),
    path("reviews/validations/<int:pk>/validators/", validation_views.name_validators,
         name="reviews-validation-validators"),
    path("reviews/validate/", validation_views.validate_home, name="reviews-validate-home"),
    path("reviews/validate/<int:pk>/", validation_views.validate, name="reviews-validate"),
    # meta-reviews, causes, the published example, the release licence
    path("reviews/submissions/<int:pk>/meta-review/", annotation_views.meta_review, name="reviews-meta-review"),
    path("reviews/submissions/<int:pk>/causes/", annotation_views.causes, name="reviews-causes"),
    path("reviews/submissions/<int:pk>/example/", annotation_views.publish_example, name="reviews-publish-example"),
    path("reviews/contests/<slug:slug>/licence/", annotation_views.licence, name="reviews-licence"),
    # the public results of the rounds whose awards are announced
    path("results/", public_views.results_index, name="results-index"),
    path("results/<slug:slug>/rounds/<int:number>/", public_views.results_round, name="results-round"),
]
