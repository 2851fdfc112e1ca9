from django.urls import path

from . import views

urlpatterns = [
    path("submissions/<int:pk>/evaluation/progress/", views.progress, name="evaluation-progress"),
    path("submissions/<int:pk>/results/<str:sha256>/<str:model_name>.csv", views.example_csv,
         name="evaluation-example-csv"),
    path("submissions/<int:pk>/few-shot/", views.request_few_shot, name="evaluation-few-shot"),
    path("submissions/<int:pk>/eligibility/", views.override_eligibility, name="evaluation-eligibility"),
    path("submissions/<int:pk>/private-evaluation/", views.start_private, name="evaluation-start-private"),
    path("evaluation/runs/", views.runs_page, name="evaluation-runs"),
    path("evaluation/runs/<int:run_id>/<str:action>/", views.run_action, name="evaluation-run-action"),
    path("evaluation/rounds/<int:round_id>/private/", views.start_private_round, name="evaluation-start-private-round"),
]
