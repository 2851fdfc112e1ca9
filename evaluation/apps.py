from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = "Evaluation"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from portal import api_hooks, panels
        from portal.signals import version_saved

        from . import api, receivers
        from .models import Run

        post_delete.connect(receivers.run_deleted, sender=Run, dispatch_uid="evaluation.run_deleted")
        version_saved.connect(receivers.evaluate_new_version, dispatch_uid="evaluation.evaluate_new_version")
        panels.register(receivers.evaluation_panel, order=10)
        api_hooks.register_submission_field("evaluation", api.evaluation_field, schema=api.EvaluationSerializer)
        api_hooks.register_submission_field("evaluation_runs", api.evaluation_runs_field,
                                            schema=api.evaluation_runs_schema)
